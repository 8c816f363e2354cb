import Support

/// A command's command line, parsed against the options it declares.
///
/// Accepted forms, as in swift-argument-parser:
/// - `--name value` and `--name=value` for an option with a value; `-x value` for its short name;
/// - `--flag` (or `-f`) for a flag, which never takes a value;
/// - an option given twice keeps both values when it is repeatable, else the last;
/// - every other word is a positional argument, as is everything after `--`;
/// - a lone `-` and negative numbers (`-3`) are values, not options, and so is a single-dash
///   word after an option that needs a value unless it is one of the command's short options.
///
/// Unknown options, missing values and surplus positional arguments are rejected here, with a
/// did-you-mean suggestion; `-h`/`--help` is handled by the runner before parsing.
public struct Arguments {
  /// The command's words after the program name (`["bench", "matmul"]`), used in messages.
  public let commandPath: [String]
  /// The positional arguments, in order.
  public private(set) var positionals: [String] = []
  /// Each given option's values by long name, in command-line order; a flag holds "".
  private var givenValues: [String: [String]] = [:]
  private let options: [OptionDescription]

  /// Parses `tokens` (the words after the command's name) against `options` and `arguments`.
  public init(
    parsing tokens: [String], options: [OptionDescription],
    arguments: [ArgumentDescription] = [], commandPath: [String]
  ) throws(UsageError) {
    self.commandPath = commandPath
    self.options = options
    var index = 0
    while index < tokens.count {
      let token = tokens[index]
      index += 1
      if token == "--" {
        positionals += tokens[index...]
        break
      }
      guard Arguments.looksLikeOption(token) else {
        positionals.append(token)
        continue
      }
      // `--name=value` carries its value inline; short options accept `-x=value` likewise.
      let (spelling, inlineValue) = Arguments.splitInlineValue(token)
      guard let option = option(spelledAs: spelling) else {
        throw unknownOption(spelling)
      }
      guard option.takesValue else {
        if inlineValue != nil {
          throw UsageError(
            "option '\(option.longForm)' is a flag and takes no value, got '\(token)'")
        }
        givenValues[option.name, default: []].append("")
        continue
      }
      var value = inlineValue
      if value == nil, index < tokens.count, takesAsValue(tokens[index]) {
        value = tokens[index]
        index += 1
      }
      guard let value else {
        throw UsageError("missing value for '\(option.longForm) <\(option.valueName ?? "value")>'")
      }
      if option.isRepeatable {
        givenValues[option.name, default: []].append(value)
      } else {
        givenValues[option.name] = [value]
      }
    }
    try checkPositionals(against: arguments)
  }

  /// Whether the flag (or option) called `name` was given.
  public func contains(_ name: String) -> Bool {
    givenValues[name] != nil
  }

  /// The value of option `name`: the last one given, or nil.
  public func value(of name: String) -> String? {
    givenValues[name]?.last
  }

  /// Every value of the repeatable option `name`, in command-line order.
  public func values(of name: String) -> [String] {
    givenValues[name] ?? []
  }

  /// The value of option `name` converted by `convert`, or nil when not given.
  ///
  /// - Parameter expected: what a valid value looks like, completing "expected …" in the error
  ///   when `convert` returns nil (`a positive integer`).
  public func value<Value>(
    of name: String, expected: String, _ convert: (String) -> Value?
  ) throws(UsageError) -> Value? {
    guard let text = value(of: name) else { return nil }
    return try converted(text, option: name, expected: expected, convert)
  }

  /// Every value of option `name`, each converted by `convert`.
  public func values<Value>(
    of name: String, expected: String, _ convert: (String) -> Value?
  ) throws(UsageError) -> [Value] {
    var result: [Value] = []
    for text in values(of: name) {
      result.append(try converted(text, option: name, expected: expected, convert))
    }
    return result
  }

  /// The value of option `name` as an integer ≥ 1, or nil when not given.
  public func positiveInteger(_ name: String) throws(UsageError) -> Int? {
    try value(of: name, expected: "a positive integer") { text in
      Int(text).flatMap { $0 > 0 ? $0 : nil }
    }
  }

  /// The value of option `name` as an integer from 1 to `maximum`, or nil when not given.
  ///
  /// A count sizes arrays and loops, so an absurd one would trap or exhaust memory long after
  /// parsing; the bound turns it into a usage error naming the limit.
  public func positiveInteger(_ name: String, maximum: Int) throws(UsageError) -> Int? {
    try value(of: name, expected: "a positive integer up to \(maximum)") { text in
      Int(text).flatMap { (1...maximum).contains($0) ? $0 : nil }
    }
  }

  /// The value of option `name` as a decimal number in `range`, or nil when not given.
  ///
  /// Only decimal notation (`0.6`, `-1`, `1e-3`) is a number here, as only decimal digits are an
  /// integer for the integer options: `Double` alone would also take `0x10`, `inf` and `nan`.
  public func number(_ name: String, in range: ClosedRange<Double>) throws(UsageError) -> Double? {
    let bounds =
      "\(Arguments.decimalText(range.lowerBound)) to \(Arguments.decimalText(range.upperBound))"
    return try value(of: name, expected: "a decimal number from \(bounds)") { text in
      guard Arguments.isDecimal(text), let value = Double(text), range.contains(value) else {
        return nil
      }
      return value
    }
  }

  /// Whether `text` is written `[+-]digits[.digits][e[+-]digits]` (or `.5`): no `0x10`, `inf`
  /// or `nan`, which `Double(_:)` would take.
  static func isDecimal(_ text: String) -> Bool { DecimalText(text, lenient: true) != nil }

  /// `10` rather than `10.0`, for messages.
  private static func decimalText(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
  }

  private func converted<Value>(
    _ text: String, option name: String, expected: String, _ convert: (String) -> Value?
  ) throws(UsageError) -> Value {
    guard let value = convert(text) else {
      throw UsageError("invalid value '\(text)' for '--\(name)': expected \(expected)")
    }
    return value
  }

  private func option(spelledAs spelling: String) -> OptionDescription? {
    if spelling.hasPrefix("--") {
      let name = spelling.dropFirst(2)
      return options.first { $0.name == name }
    }
    let letter = spelling.dropFirst()
    return letter.count == 1 ? options.first { $0.shortName == letter.first } : nil
  }

  private func unknownOption(_ spelling: String) -> UsageError {
    var candidates = options.map(\.longForm) + ["--help"]
    candidates += options.compactMap { $0.shortName.map { "-\($0)" } } + ["-h"]
    return UsageError(
      "unknown option '\(spelling)'\(scopeSuffix)",
      suggestion: ClosestMatch.suggestion(for: spelling, among: candidates))
  }

  private func checkPositionals(against arguments: [ArgumentDescription]) throws(UsageError) {
    let required = arguments.filter { !$0.isOptional }.count
    if positionals.count < required {
      let missing = arguments.filter { !$0.isOptional }[positionals.count]
      throw UsageError("missing argument '<\(missing.name)>'\(scopeSuffix)")
    }
    let repeating = arguments.last?.isRepeating ?? false
    if !repeating, positionals.count > arguments.count {
      var message = "unexpected argument '\(positionals[arguments.count])'\(scopeSuffix)"
      if arguments.last?.name == "text" {
        // `translate Cheolsu gave Younghee an apple`: the shell split the sentence.
        let sentence = positionals.joined(separator: " ")
        message +=
          "; quote a sentence of several words, as in "
          + "'transformer-cli \(commandPath.joined(separator: " ")) \"\(sentence)\"'"
      }
      throw UsageError(message)
    }
  }

  /// ` for 'bench matmul'`, or nothing at the top level.
  private var scopeSuffix: String {
    commandPath.isEmpty ? "" : " for '\(commandPath.joined(separator: " "))'"
  }

  /// Whether `token`, after an option that needs a value, is that value: any word but an
  /// option, and a single-dash word that is none of this command's short options (`--alpha
  /// -inf`, `--output -x.txt`) too, so that its value is judged and named, not called missing.
  /// A double-dash word stays an option (a misspelt one is reported as unknown).
  private func takesAsValue(_ token: String) -> Bool {
    guard Arguments.looksLikeOption(token) else { return true }
    guard !token.hasPrefix("--") else { return false }
    return option(spelledAs: Arguments.splitInlineValue(token).spelling) == nil
  }

  /// Whether `token` is written as an option: a dash and a letter, so that `-`, `-3` and `-0.5`
  /// stay values.
  static func looksLikeOption(_ token: String) -> Bool {
    guard token.hasPrefix("-"), token.count > 1 else { return false }
    let second = token[token.index(after: token.startIndex)]
    return !(second.isNumber || second == ".")
  }

  /// `--name=value` → (`--name`, `value`); `--name` → (`--name`, nil).
  static func splitInlineValue(_ token: String) -> (spelling: String, value: String?) {
    guard let equals = token.firstIndex(of: "=") else { return (token, nil) }
    return (String(token[..<equals]), String(token[token.index(after: equals)...]))
  }
}
