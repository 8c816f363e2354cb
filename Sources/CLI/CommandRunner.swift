import Foundation
import Support

/// Walks the command tree along the command line, then parses, validates and runs the command
/// reached, turning every outcome into an exit status and at most one line on stderr.
///
/// Rules (swift-argument-parser's where it has one):
/// - `-h`/`--help` anywhere before `--` prints the help of the command reached so far;
///   `help [command …]` at the top level does the same.
/// - `--version` right after the program name prints the version.
/// - A group invoked without a subcommand (`transformer-cli`, `transformer-cli bench`) prints its
///   help to stdout and exits 0, as swift-argument-parser does for a command without `run()`.
/// - Usage errors exit 64, runtime errors 1, a command's own `ExitStatus` its status; results
///   are written to stdout only.
struct CommandRunner {
  /// The program's name as help and messages show it.
  let programName: String
  /// The top of the tree: the program itself, a group of the registered commands.
  let root: any Command.Type

  /// Runs `arguments` (the words after the program name) and returns the exit status.
  func run(_ arguments: [String], console: inout Console) -> Int32 {
    var path: [any Command.Type] = [root]
    do {
      try run(arguments, path: &path, console: &console)
      return ExitCode.success.rawValue
    } catch let exit as ExitStatus {
      return exit.status
    } catch let error as UsageError {
      let helpCommand = invocation(path) + " --help"
      console.writeErrorLine("Error: \(error) (see '\(helpCommand)')")
      return ExitCode.usageError.rawValue
    } catch {
      console.writeErrorLine("Error: \(Self.oneLine(error))")
      return ExitCode.failure.rawValue
    }
  }

  /// Resolves the command, then runs it; `path` ends at the deepest command reached, so that a
  /// usage error can point at the right `--help`.
  private func run(_ arguments: [String], path: inout [any Command.Type], console: inout Console)
    throws
  {
    if arguments.first == "help", root.configuration.subcommand(named: "help") == nil {
      try resolve(Array(arguments.dropFirst()), path: &path)
      console.output.write(help(path))
      return
    }
    if arguments.first == "--version" {
      console.writeLine(TransformerCLI.version)
      return
    }
    // Descend through groups; the first word that is not a subcommand belongs to the leaf.
    var index = 0
    while let command = path.last, command.configuration.isGroup, index < arguments.count {
      let word = arguments[index]
      if word == "-h" || word == "--help" { break }
      guard !Arguments.looksLikeOption(word) else {
        throw unknownOption(word, in: path)
      }
      guard let subcommand = command.configuration.subcommand(named: word) else {
        throw unknownCommand(word, in: path)
      }
      path.append(subcommand)
      index += 1
    }
    let rest = Array(arguments[index...])
    let beforeTerminator = rest.prefix { $0 != "--" }
    guard let command = path.last, !command.configuration.isGroup,
      !beforeTerminator.contains("-h"), !beforeTerminator.contains("--help")
    else {
      console.output.write(help(path))
      return
    }

    let options = acceptedOptions(command)
    let parsed = try Arguments(
      parsing: rest, options: options, arguments: command.configuration.arguments,
      commandPath: path.dropFirst().map { $0.configuration.name })
    let global = try GlobalOptions(parsed)
    try global.validate()
    var instance = command.init()
    try instance.parse(parsed)
    try instance.validate()
    global.apply()
    do {
      try instance.run(&console)
    } catch is HelpRequest {
      console.output.write(help(path))
    }
  }

  /// Follows `words` as subcommand names for `help <command …>`.
  private func resolve(_ words: [String], path: inout [any Command.Type]) throws {
    for word in words {
      guard let command = path.last, let subcommand = command.configuration.subcommand(named: word)
      else {
        throw unknownCommand(word, in: path)
      }
      path.append(subcommand)
    }
  }

  /// Every option `command` accepts, in help order: its own, then the global ones.
  private func acceptedOptions(_ command: any Command.Type) -> [OptionDescription] {
    let configuration = command.configuration
    if configuration.isGroup || !configuration.usesThreads { return configuration.options }
    return configuration.options + GlobalOptions.options
  }

  /// The help text of the last command of `path`.
  func help(_ path: [any Command.Type]) -> String {
    guard let command = path.last else { return "" }
    return HelpFormatter.render(
      command, path: [programName] + path.dropFirst().map { $0.configuration.name },
      options: acceptedOptions(command))
  }

  /// `transformer-cli bench matmul`.
  private func invocation(_ path: [any Command.Type]) -> String {
    ([programName] + path.dropFirst().map { $0.configuration.name }).joined(separator: " ")
  }

  /// ` for 'bench'`, or nothing at the top level.
  private func scope(_ path: [any Command.Type]) -> String {
    path.count > 1
      ? " for '\(path.dropFirst().map { $0.configuration.name }.joined(separator: " "))'" : ""
  }

  private func unknownCommand(_ word: String, in path: [any Command.Type]) -> UsageError {
    let names = path.last.map { $0.configuration.subcommands.map { $0.configuration.name } } ?? []
    return UsageError(
      "unknown command '\(word)'\(scope(path))",
      suggestion: ClosestMatch.suggestion(for: word, among: names))
  }

  private func unknownOption(_ word: String, in path: [any Command.Type]) -> UsageError {
    let spelling = Arguments.splitInlineValue(word).spelling
    if GlobalOptions.options.contains(where: { $0.longForm == spelling }) {
      // Global options belong to the command that runs, not to the groups above it.
      return UsageError(
        "option '\(spelling)' goes after the command's name, as in "
          + "'\(invocation(path)) <subcommand> \(spelling) …'")
    }
    let options = path.last.map(acceptedOptions) ?? []
    var candidates = options.map(\.longForm) + ["--help", "-h"]
    if path.count == 1 { candidates.append("--version") }
    return UsageError(
      "unknown option '\(spelling)'\(scope(path))",
      suggestion: ClosestMatch.suggestion(for: spelling, among: candidates))
  }

  /// A runtime error's text on one line, as the one-line-per-error rule needs.
  static func oneLine(_ error: any Error) -> String {
    String(describing: error)
      .split(whereSeparator: \.isNewline)
      .map { $0.trimmingCharacters(in: .whitespaces) }
      .joined(separator: " ")
  }
}
