import NN
import Support

/// A problem with one value at a JSON path, before it is tied to the file or `--set` argument
/// the value came from (see ``ConfigError/invalid(source:path:message:)``).
public struct ConfigProblem: Error, Equatable {
  /// The JSON path, such as `model.heads`.
  public var path: String
  /// What is wrong, such as `expected an integer, got "eight"`.
  public var message: String
}

/// A field whose value is one of a few words, such as `"relu"` or `"gelu"`.
public protocol ConfigChoice: RawRepresentable, CaseIterable, Codable, Equatable, Sendable
where RawValue == String {}

/// One key of a config section: its JSON name, its type and meaning for the reference table,
/// and how to read it from JSON (with every check a single value allows) and write it back.
///
/// Each section lists its fields once (`DataConfig.fields`, …); parsing, `--set`, `config.json`,
/// `Codable` and the documentation table are all driven by those lists, so they cannot drift.
public struct ConfigField<Section> {
  /// The JSON key, snake_case as users write it.
  public let key: String
  /// The type and allowed values, for the reference table (`integer ≥ 1`).
  public let type: String
  /// What the field means, for the reference table.
  public let summary: String
  /// Whether `--set` takes the text after `=` as the value verbatim (string fields).
  public let takesText: Bool
  /// Stores the value read from `json` into the section, or throws naming `path`.
  public let read: (inout Section, _ json: JSONValue, _ path: String) throws(ConfigProblem) -> Void
  /// The section's current value of the field, as JSON.
  public let value: (Section) -> JSONValue

  /// An integer of at least `minimum` and at most `maximum`.
  public static func integer(
    _ key: String, _ keyPath: WritableKeyPath<Section, Int>, minimum: Int, maximum: Int = .max,
    _ summary: String
  ) -> ConfigField {
    ConfigField(
      key: key, type: integerNotation(minimum: minimum, maximum: maximum), summary: summary,
      takesText: false,
      read: { (section, json, path) throws(ConfigProblem) in
        section[keyPath: keyPath] = try readInteger(
          json, minimum: minimum, maximum: maximum, path: path)
      },
      value: { .number(String($0[keyPath: keyPath])) })
  }

  /// An integer of at least `minimum` and at most `maximum`, or `null` for none (nil).
  public static func optionalInteger(
    _ key: String, _ keyPath: WritableKeyPath<Section, Int?>, minimum: Int, maximum: Int = .max,
    _ summary: String
  ) -> ConfigField {
    ConfigField(
      key: key, type: "\(integerNotation(minimum: minimum, maximum: maximum)) \\| null",
      summary: summary, takesText: false,
      read: { (section, json, path) throws(ConfigProblem) in
        if case .null = json {
          section[keyPath: keyPath] = nil
          return
        }
        guard case .number = json else {
          throw ConfigProblem(
            path: path, message: "expected an integer or null, got \(json.quoted)")
        }
        section[keyPath: keyPath] = try readInteger(
          json, minimum: minimum, maximum: maximum, path: path)
      },
      value: { $0[keyPath: keyPath].map { .number(String($0)) } ?? .null })
  }

  /// A step limit: an integer of at least 0, or `"auto"` (``StepLimit``).
  public static func stepLimit(
    _ key: String, _ keyPath: WritableKeyPath<Section, StepLimit>, _ summary: String
  ) -> ConfigField {
    let word = jsonStringLiteral(StepLimit.autoWord)
    return ConfigField(
      key: key, type: "integer ≥ 0 \\| \(word)", summary: summary, takesText: false,
      read: { (section, json, path) throws(ConfigProblem) in
        switch json {
        case .string(StepLimit.autoWord):
          section[keyPath: keyPath] = .auto
        case .number:
          section[keyPath: keyPath] = .steps(try readInteger(json, minimum: 0, path: path))
        default:
          throw ConfigProblem(
            path: path, message: "expected an integer or \(word), got \(json.quoted)")
        }
      },
      value: {
        switch $0[keyPath: keyPath] {
        case .steps(let steps): return .number(String(steps))
        case .auto: return .string(StepLimit.autoWord)
        }
      })
  }

  /// A linear decay's re-plan, `{"at_step": N, "from_max_steps": M}` (``DecayReplan``), or
  /// `null` for none. Each member is checked like an integer field, under its own path.
  public static func decayReplan(
    _ key: String, _ keyPath: WritableKeyPath<Section, DecayReplan?>, _ summary: String
  ) -> ConfigField {
    let names = ["at_step", "from_max_steps"]
    let shape =
      "{" + names.map { "\(jsonStringLiteral($0)): integer ≥ 1" }.joined(separator: ", ")
      + "}"
    return ConfigField(
      key: key, type: "\(shape) \\| null", summary: summary, takesText: false,
      read: { (section, json, path) throws(ConfigProblem) in
        if case .null = json {
          section[keyPath: keyPath] = nil
          return
        }
        guard case .object(let members) = json else {
          throw ConfigProblem(
            path: path, message: "expected an object \(shape) or null, got \(json.quoted)")
        }
        for member in members where !names.contains(member.key) {
          var message = "unknown key; \(key) has \(names.joined(separator: " and "))"
          if let suggestion = ClosestMatch.suggestion(
            for: member.key, among: names, minimumLimit: 1)
          {
            message = "unknown key (did you mean \(jsonStringLiteral(suggestion))?)"
          }
          throw ConfigProblem(path: "\(path).\(member.key)", message: message)
        }
        var values: [Int] = []
        for name in names {
          guard let value = json[name] else {
            throw ConfigProblem(
              path: "\(path).\(name)",
              message: "missing; \(key) needs \(names.joined(separator: " and "))")
          }
          values.append(try readInteger(value, minimum: 1, path: "\(path).\(name)"))
        }
        section[keyPath: keyPath] = DecayReplan(step: values[0], firstTotalSteps: values[1])
      },
      value: { section in
        guard let replan = section[keyPath: keyPath] else { return .null }
        return .object([
          (names[0], .number(String(replan.step))),
          (names[1], .number(String(replan.firstTotalSteps))),
        ])
      })
  }

  /// A non-negative integer stored as `UInt64` (a seed).
  public static func unsigned(
    _ key: String, _ keyPath: WritableKeyPath<Section, UInt64>, _ summary: String
  ) -> ConfigField {
    ConfigField(
      key: key, type: "integer ≥ 0", summary: summary, takesText: false,
      read: { (section, json, path) throws(ConfigProblem) in
        section[keyPath: keyPath] = UInt64(try readInteger(json, minimum: 0, path: path))
      },
      value: { .number(String($0[keyPath: keyPath])) })
  }

  /// A real number in `range`.
  ///
  /// - Parameter usedAsFloat: whether the program computes with the value in `Float`; then the
  ///   value must also lie in `range` after that conversion, and not become 0 or infinite
  ///   (``ConfigNumberRange/floatProblem(_:text:)``).
  public static func number(
    _ key: String, _ keyPath: WritableKeyPath<Section, Double>, _ range: ConfigNumberRange,
    usedAsFloat: Bool = false, _ summary: String
  ) -> ConfigField {
    ConfigField(
      key: key, type: "number \(range.notation)", summary: summary, takesText: false,
      read: { (section, json, path) throws(ConfigProblem) in
        guard case .number(let text) = json, let value = Double(text), value.isFinite else {
          throw ConfigProblem(path: path, message: "expected a number, got \(json.quoted)")
        }
        guard range.contains(value) else {
          throw ConfigProblem(path: path, message: "expected \(range.phrase), got \(text)")
        }
        if usedAsFloat, let problem = range.floatProblem(value, text: text) {
          throw ConfigProblem(path: path, message: problem)
        }
        section[keyPath: keyPath] = value
      },
      value: { JSONValue.real($0[keyPath: keyPath]) })
  }

  /// `true` or `false`.
  public static func boolean(
    _ key: String, _ keyPath: WritableKeyPath<Section, Bool>, _ summary: String
  ) -> ConfigField {
    ConfigField(
      key: key, type: "boolean", summary: summary, takesText: false,
      read: { (section, json, path) throws(ConfigProblem) in
        guard case .boolean(let value) = json else {
          throw ConfigProblem(path: path, message: "expected true or false, got \(json.quoted)")
        }
        section[keyPath: keyPath] = value
      },
      value: { .boolean($0[keyPath: keyPath]) })
  }

  /// A string; empty only if `allowsEmpty`.
  public static func text(
    _ key: String, _ keyPath: WritableKeyPath<Section, String>, allowsEmpty: Bool,
    _ summary: String
  ) -> ConfigField {
    ConfigField(
      key: key, type: "string", summary: summary, takesText: true,
      read: { (section, json, path) throws(ConfigProblem) in
        guard case .string(let value) = json else {
          throw ConfigProblem(path: path, message: "expected a string, got \(json.quoted)")
        }
        guard allowsEmpty || !value.isEmpty else {
          throw ConfigProblem(path: path, message: "must not be empty")
        }
        section[keyPath: keyPath] = value
      },
      value: { .string($0[keyPath: keyPath]) })
  }

  /// One of the words of `Choice`.
  public static func choice<Choice: ConfigChoice>(
    _ key: String, _ keyPath: WritableKeyPath<Section, Choice>, _ summary: String
  ) -> ConfigField {
    let words = Choice.allCases.map(\.rawValue)
    let listed = words.map { jsonStringLiteral($0) }
    let expected =
      listed.count == 2
      ? "\(listed[0]) or \(listed[1])" : "one of \(listed.joined(separator: ", "))"
    return ConfigField(
      key: key, type: listed.joined(separator: " \\| "), summary: summary, takesText: true,
      read: { (section, json, path) throws(ConfigProblem) in
        guard case .string(let word) = json, let value = Choice(rawValue: word) else {
          var message = "expected \(expected), got \(json.quoted)"
          if case .string(let word) = json,
            let suggestion = ClosestMatch.suggestion(for: word, among: words, minimumLimit: 1)
          {
            message += " (did you mean \(jsonStringLiteral(suggestion))?)"
          }
          throw ConfigProblem(path: path, message: message)
        }
        section[keyPath: keyPath] = value
      },
      value: { .string($0[keyPath: keyPath].rawValue) })
  }
}

/// The reference table's type of an integer field: `integer ≥ 1` or `integer in [1, 4096]`.
private func integerNotation(minimum: Int, maximum: Int) -> String {
  maximum == .max ? "integer ≥ \(minimum)" : "integer in [\(minimum), \(maximum)]"
}

/// Reads an integer: a JSON number with no fractional part (`100`, `1e3`, `2.50e2`), at least
/// `minimum` and at most `maximum`.
///
/// The decimal text is read exactly rather than through `Double`, which would take `1e-400`
/// for 0 and `1.0000000000000001` for 1.
private func readInteger(
  _ json: JSONValue, minimum: Int, maximum: Int = .max, path: String
) throws(ConfigProblem) -> Int {
  guard case .number(let text) = json else {
    throw ConfigProblem(path: path, message: "expected an integer, got \(json.quoted)")
  }
  switch ExactInteger(decimal: text) {
  case .value(let value):
    guard value >= minimum else {
      throw ConfigProblem(path: path, message: "expected an integer >= \(minimum), got \(text)")
    }
    guard value <= maximum else {
      throw ConfigProblem(path: path, message: "expected an integer <= \(maximum), got \(text)")
    }
    return value
  case .tooLarge:
    throw ConfigProblem(path: path, message: "expected an integer <= \(maximum), got \(text)")
  case .tooSmall:
    throw ConfigProblem(path: path, message: "expected an integer >= \(minimum), got \(text)")
  case .fractional, .notANumber:
    throw ConfigProblem(path: path, message: "expected an integer, got \(text)")
  }
}

/// A JSON number's text read as an integer without rounding.
enum ExactInteger: Equatable {
  /// A whole number that fits `Int`.
  case value(Int)
  /// A whole number above `Int.max`.
  case tooLarge
  /// A whole number below `Int.min`.
  case tooSmall
  /// A number with a nonzero fractional part, however small (`1e-400`, `2.5`).
  case fractional
  /// Not a JSON number.
  case notANumber

  /// Reads `-?digits(.digits)?([eE][+-]?digits)?`.
  init(decimal text: String) {
    guard let number = DecimalText(text) else {
      self = .notANumber
      return
    }
    let (negative, integerPart, fractionPart) =
      (number.negative, number.integerDigits, number.fractionDigits)
    // Beyond a million the exponent decides alone: nothing of that size fits Int, and nothing
    // that small is whole unless its digits are all 0 (handled below).
    let magnitude =
      number.exponentDigits.count > 7 ? 10_000_000 : Int(number.exponentDigits) ?? 0
    var exponent = number.exponentNegative ? -magnitude : magnitude
    // The significant digits and the power of ten they are scaled by.
    var digits = (integerPart + fractionPart).drop { $0 == "0" }
    exponent -= fractionPart.count
    while digits.last == "0" {
      digits = digits.dropLast()
      exponent += 1
    }
    if digits.isEmpty {
      self = .value(0)
      return
    }
    guard exponent >= 0 else {
      self = .fractional
      return
    }
    // Int.max has 19 digits; longer ones cannot fit, shorter ones Int(_:) checks.
    if digits.count + exponent <= 19,
      let whole = Int((negative ? "-" : "") + digits + String(repeating: "0", count: exponent))
    {
      self = .value(whole)
    } else {
      self = negative ? .tooSmall : .tooLarge
    }
  }
}

/// The values a real-valued field allows.
public enum ConfigNumberRange {
  /// Greater than 0.
  case positive
  /// 0 or greater.
  case nonNegative
  /// [0, 1): probabilities of dropping, decay rates, smoothing.
  case unitInterval
  /// [0, maximum]: amounts that later become integers (seconds, bytes), which must fit.
  case nonNegativeUpTo(Double)

  public func contains(_ value: Double) -> Bool {
    switch self {
    case .positive: return value > 0
    case .nonNegative: return value >= 0
    case .unitInterval: return value >= 0 && value < 1
    case .nonNegativeUpTo(let maximum): return value >= 0 && value <= maximum
    }
  }

  /// Why `value` (written `text`), which is in the range, changes meaning in `Float`: it
  /// overflows to infinity, a nonzero value becomes 0 (for `clip_norm` that is "off", for a
  /// rate no learning at all), or it rounds out of the range (0.99999999 to 1). Nil when
  /// `Float(value)` means the same.
  public func floatProblem(_ value: Double, text: String) -> String? {
    let single = Float(value)
    if !single.isFinite {
      return "\(text) is too large for 32-bit floating point, whose largest value is 3.4e38"
    }
    if single == 0 && value != 0 {
      return "\(text) rounds to 0 in 32-bit floating point"
    }
    guard contains(Double(single)) else {
      if case .unitInterval = self, single == 1 {
        return "\(text) rounds to 1 in 32-bit floating point; use at most 0.9999999"
      }
      return "\(text) rounds to \(single) in 32-bit floating point, outside \(notation)"
    }
    return nil
  }

  /// The range in the reference table.
  public var notation: String {
    switch self {
    case .positive: return "> 0"
    case .nonNegative: return "≥ 0"
    case .unitInterval: return "in [0, 1)"
    case .nonNegativeUpTo(let maximum): return "in [0, \(Self.text(maximum))]"
    }
  }

  /// The range in a message: "expected …, got 1.5".
  public var phrase: String {
    switch self {
    case .positive: return "a number > 0"
    case .nonNegative: return "a number >= 0"
    case .unitInterval: return "a value in [0, 1)"
    case .nonNegativeUpTo(let maximum): return "a number in [0, \(Self.text(maximum))]"
    }
  }

  /// `1000000` rather than `1000000.0`.
  private static func text(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
  }
}
