import Foundation

/// A JSON value as a config file spells it: object members keep their order and numbers keep
/// their text, so that messages can quote exactly what the user wrote.
public indirect enum JSONValue: Equatable, Sendable {
  /// An object's members in file order (keys are unique: the parser refuses duplicates).
  case object([(key: String, value: JSONValue)])
  /// An array's elements.
  case array([JSONValue])
  /// A string, unescaped.
  case string(String)
  /// A number, as its literal text (`100`, `1e-9`, `-0.5`).
  case number(String)
  /// `true` or `false`.
  case boolean(Bool)
  /// `null`.
  case null

  public static func == (left: JSONValue, right: JSONValue) -> Bool {
    switch (left, right) {
    case (.object(let a), .object(let b)):
      return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    case (.array(let a), .array(let b)): return a == b
    case (.string(let a), .string(let b)): return a == b
    case (.number(let a), .number(let b)): return a == b
    case (.boolean(let a), .boolean(let b)): return a == b
    case (.null, .null): return true
    default: return false
    }
  }

  /// The value of member `key` of an object, or nil.
  public subscript(key: String) -> JSONValue? {
    guard case .object(let members) = self else { return nil }
    return members.first { $0.key == key }?.value
  }

  /// How the value appears after "got" in a message: scalars as JSON text, containers by kind.
  public var quoted: String {
    switch self {
    case .object: return "an object"
    case .array: return "an array"
    case .string(let text): return jsonStringLiteral(text)
    case .number(let text): return text
    case .boolean(let value): return value ? "true" : "false"
    case .null: return "null"
    }
  }

  /// The value as indented JSON text, members in order, nested objects indented two spaces.
  public func formatted(indent: String = "") -> String {
    switch self {
    case .object(let members):
      guard !members.isEmpty else { return "{}" }
      let inner = indent + "  "
      let lines = members.map {
        "\(inner)\(jsonStringLiteral($0.key)): \($0.value.formatted(indent: inner))"
      }
      return "{\n" + lines.joined(separator: ",\n") + "\n\(indent)}"
    case .array(let elements):
      return "[" + elements.map { $0.formatted(indent: indent) }.joined(separator: ", ") + "]"
    default:
      return quoted
    }
  }

  /// The value as one line of JSON with no spaces, members in order or, with `sortingKeys`,
  /// sorted by key at every level (as `JSONEncoder`'s `.sortedKeys` orders them).
  public func compactText(sortingKeys: Bool = false) -> String {
    switch self {
    case .object(let members):
      let ordered = sortingKeys ? members.sorted { $0.key < $1.key } : members
      let parts = ordered.map {
        jsonStringLiteral($0.key) + ":" + $0.value.compactText(sortingKeys: sortingKeys)
      }
      return "{" + parts.joined(separator: ",") + "}"
    case .array(let elements):
      return "[" + elements.map { $0.compactText(sortingKeys: sortingKeys) }.joined(separator: ",")
        + "]"
    default:
      return quoted
    }
  }

  /// The number for a real-valued field: the shortest text that reads back as `value`.
  public static func real(_ value: Double) -> JSONValue {
    if value == value.rounded(), abs(value) < 1e15 { return .number(String(Int(value))) }
    return .number("\(value)")
  }
}
