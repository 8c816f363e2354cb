/// Renders a command's `--help` in swift-argument-parser's layout: OVERVIEW, the discussion,
/// USAGE, then ARGUMENTS, OPTIONS and SUBCOMMANDS with their help in one column.
enum HelpFormatter {
  /// Where the help column starts, and the width text is wrapped to.
  static let helpColumn = 26
  static let lineWidth = 80

  /// The help of the command reached by `path`.
  ///
  /// - Parameters:
  ///   - command: the command to describe.
  ///   - path: the words that reach it, program name first (`["transformer-cli", "bench"]`).
  ///   - options: every option it accepts, in help order (its own, then the shared groups).
  static func render(_ command: any Command.Type, path: [String], options: [OptionDescription])
    -> String
  {
    let configuration = command.configuration
    let invocation = path.joined(separator: " ")
    var lines = ["OVERVIEW: \(configuration.abstract)", ""]
    if !configuration.discussion.isEmpty {
      lines += configuration.discussion.split(separator: "\n", omittingEmptySubsequences: false)
        .map(String.init)
      lines.append("")
    }

    var usage = [invocation]
    if configuration.isGroup {
      usage.append("<subcommand>")
    } else {
      usage += options.map(\.usageLabel)
      usage += configuration.arguments.map(\.usageLabel)
    }
    lines += usageLines(usage)
    lines.append("")

    if !configuration.arguments.isEmpty {
      lines.append("ARGUMENTS:")
      for argument in configuration.arguments {
        lines += entry("<\(argument.name)>", argument.help)
      }
      lines.append("")
    }

    lines.append("OPTIONS:")
    for option in options {
      lines += entry(option.helpLabel, option.help)
    }
    lines += entry("-h, --help", "Show help information.")

    if configuration.isGroup {
      lines += ["", "SUBCOMMANDS:"]
      for subcommand in configuration.subcommands {
        lines += entry(subcommand.configuration.name, subcommand.configuration.abstract)
      }
      let helpInvocation = ([path[0], "help"] + path.dropFirst()).joined(separator: " ")
      lines += ["", "  See '\(helpInvocation) <subcommand>' for detailed help."]
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// `USAGE:` and the invocation's parts, wrapped between parts at `lineWidth`; continuation
  /// lines are indented by two so that no `[--option <value>]` is split.
  static func usageLines(_ parts: [String]) -> [String] {
    var lines: [String] = []
    var line = "USAGE:"
    var lineHasPart = false
    for part in parts {
      if lineHasPart, line.count + 1 + part.count > lineWidth {
        lines.append(line)
        line = " "
      }
      line += " " + part
      lineHasPart = true
    }
    lines.append(line)
    return lines
  }

  /// A label indented by two and its help wrapped from `helpColumn`; a label too long to leave
  /// two spaces before the column puts the help on the next line.
  static func entry(_ label: String, _ help: String) -> [String] {
    let indent = String(repeating: " ", count: helpColumn)
    let wrapped = wrap(help, width: lineWidth - helpColumn)
    var first = "  " + label
    var rest = wrapped.dropFirst().map { indent + $0 }
    if first.count + 2 <= helpColumn {
      first += String(repeating: " ", count: helpColumn - first.count) + (wrapped.first ?? "")
    } else if let firstHelp = wrapped.first {
      rest.insert(indent + firstHelp, at: 0)
    }
    return [first] + rest
  }

  /// Splits `text` into lines of at most `width` characters at spaces (a longer word stays whole).
  static func wrap(_ text: String, width: Int) -> [String] {
    var lines: [String] = []
    var line = ""
    for word in text.split(separator: " ") {
      if line.isEmpty {
        line = String(word)
      } else if line.count + 1 + word.count <= width {
        line += " " + word
      } else {
        lines.append(line)
        line = String(word)
      }
    }
    if !line.isEmpty { lines.append(line) }
    return lines
  }
}
