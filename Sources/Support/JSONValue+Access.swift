import Foundation

/// Typed views of a parsed ``JSONValue``, for files the program itself wrote (checkpoint
/// metadata, `metrics.jsonl`): each is nil when the value is of another kind, so a reader says
/// "does not parse" instead of trapping.
extension JSONValue {
  /// The members of an object, in file order.
  public var members: [(key: String, value: JSONValue)]? {
    guard case .object(let members) = self else { return nil }
    return members
  }

  /// The elements of an array.
  public var elements: [JSONValue]? {
    guard case .array(let elements) = self else { return nil }
    return elements
  }

  /// The text of a string.
  public var string: String? {
    guard case .string(let text) = self else { return nil }
    return text
  }

  /// A number with no fraction or exponent that fits an `Int` (`12`, `-3`).
  public var integer: Int? {
    guard case .number(let text) = self else { return nil }
    return Int(text)
  }

  /// A number as the nearest `Double` (the parser has checked its syntax).
  public var double: Double? {
    guard case .number(let text) = self else { return nil }
    return Double(text)
  }

  /// `true` or `false`.
  public var boolean: Bool? {
    guard case .boolean(let value) = self else { return nil }
    return value
  }

  /// An integer as JSON.
  public static func integer(_ value: Int) -> JSONValue { .number(String(value)) }

  /// A string array as JSON.
  public static func strings(_ values: [String]) -> JSONValue { .array(values.map { .string($0) }) }

  /// Parses JSON text held as bytes, such as a safetensors header (invalid UTF-8 is replaced and
  /// then fails to parse where it matters).
  public static func parse(_ bytes: some Collection<UInt8>) throws(JSONParser.SyntaxError)
    -> JSONValue
  {
    try JSONParser.parse(String(decoding: bytes, as: UTF8.self))
  }
}

extension JSONValue {
  /// `value` with `digits` decimals (`81.25`), as the `--json` outputs print figures; `null`
  /// when not finite (JSON has no NaN).
  public static func fixed(_ value: Double, digits: Int) -> JSONValue {
    value.isFinite ? .number(String(format: "%.\(digits)f", value)) : .null
  }
}
