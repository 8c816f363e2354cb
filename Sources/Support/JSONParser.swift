import Foundation

/// A strict JSON parser (RFC 8259) for config files that reports the line and column of a
/// syntax error and says what was expected, with hints for the usual slips: trailing commas,
/// comments, single quotes and unquoted strings.
///
/// Foundation's `JSONSerialization` gives only a character offset and keeps neither member
/// order nor the text of numbers, which the config's messages quote.
public struct JSONParser {
  /// A syntax error at a 1-based line and column (columns count Unicode scalars).
  public struct SyntaxError: Error, Equatable {
    public var line: Int
    public var column: Int
    public var message: String
  }

  /// Deeper nesting than any config needs is refused rather than risking the stack.
  public static let maximumDepth = 128

  private let bytes: [UInt8]
  private var index = 0
  private var depth = 0

  private init(_ text: String) {
    bytes = Array(text.utf8)
  }

  /// Parses `text`, which must hold exactly one JSON value.
  public static func parse(_ text: String) throws(SyntaxError) -> JSONValue {
    var parser = JSONParser(text)
    parser.skipWhitespace()
    guard parser.index < parser.bytes.count else {
      throw parser.error("the file is empty; expected a JSON object")
    }
    let value = try parser.parseValue()
    parser.skipWhitespace()
    if parser.index < parser.bytes.count {
      throw parser.error("unexpected \(parser.found) after the end of the JSON value")
    }
    return value
  }

  // MARK: Values

  private mutating func parseValue() throws(SyntaxError) -> JSONValue {
    guard let byte = peek() else { throw unexpected(expecting: "a value", unquoted: "strings") }
    switch byte {
    case UInt8(ascii: "{"): return try parseObject()
    case UInt8(ascii: "["): return try parseArray()
    case UInt8(ascii: "\""): return .string(try parseString())
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
    default: break
    }
    let word = bareWord()
    switch word {
    case "true":
      index += 4
      return .boolean(true)
    case "false":
      index += 5
      return .boolean(false)
    case "null":
      index += 4
      return .null
    default: break
    }
    if ["true", "false", "null"].contains(word.lowercased()) {
      throw error("found '\(word)': JSON writes true, false and null in lower case")
    }
    throw unexpected(expecting: "a value", unquoted: "strings")
  }

  /// The error for a character that cannot start what is expected, with a hint for the usual
  /// slips: comments, single quotes, unquoted words.
  private func unexpected(expecting expected: String, unquoted: String) -> SyntaxError {
    let word = bareWord()
    switch peek() {
    case nil: return error("unexpected end of file; expected \(expected)")
    case UInt8(ascii: "/"): return error("found '/': JSON has no comments")
    case UInt8(ascii: "'"): return error("found \"'\": JSON strings use double quotes")
    case _ where !word.isEmpty:
      return error("found '\(word)': \(unquoted) need double quotes (\"\(word)\")")
    default: return error("expected \(expected), found \(found)")
    }
  }

  private mutating func parseObject() throws(SyntaxError) -> JSONValue {
    try enter()
    index += 1  // {
    var members: [(key: String, value: JSONValue)] = []
    skipWhitespace()
    if peek() == UInt8(ascii: "}") {
      index += 1
      depth -= 1
      return .object(members)
    }
    while true {
      skipWhitespace()
      guard peek() == UInt8(ascii: "\"") else {
        if peek() == UInt8(ascii: "}") {
          throw error("found '}' after ',': JSON allows no trailing comma")
        }
        throw unexpected(expecting: "a quoted key", unquoted: "keys")
      }
      let keyStart = index
      let key = try parseString()
      if members.contains(where: { $0.key == key }) {
        index = keyStart
        throw error("duplicate key \(jsonStringLiteral(key))")
      }
      skipWhitespace()
      guard peek() == UInt8(ascii: ":") else {
        throw error("expected ':' after the key \(jsonStringLiteral(key)), found \(found)")
      }
      index += 1
      skipWhitespace()
      members.append((key, try parseValue()))
      skipWhitespace()
      switch peek() {
      case UInt8(ascii: ","): index += 1
      case UInt8(ascii: "}"):
        index += 1
        depth -= 1
        return .object(members)
      case nil: throw error("unexpected end of file; expected ',' or '}' to continue the object")
      default:
        throw error(
          "expected ',' or '}' after the value of \(jsonStringLiteral(key)), found \(found)")
      }
    }
  }

  private mutating func parseArray() throws(SyntaxError) -> JSONValue {
    try enter()
    index += 1  // [
    var elements: [JSONValue] = []
    skipWhitespace()
    if peek() == UInt8(ascii: "]") {
      index += 1
      depth -= 1
      return .array(elements)
    }
    while true {
      skipWhitespace()
      if peek() == UInt8(ascii: "]") {
        throw error("found ']' after ',': JSON allows no trailing comma")
      }
      elements.append(try parseValue())
      skipWhitespace()
      switch peek() {
      case UInt8(ascii: ","): index += 1
      case UInt8(ascii: "]"):
        index += 1
        depth -= 1
        return .array(elements)
      case nil: throw error("unexpected end of file; expected ',' or ']' to continue the array")
      default: throw error("expected ',' or ']' after an array element, found \(found)")
      }
    }
  }

  private mutating func enter() throws(SyntaxError) {
    depth += 1
    if depth > JSONParser.maximumDepth {
      throw error("nested deeper than \(JSONParser.maximumDepth) levels")
    }
  }

  // MARK: Strings and numbers

  /// Parses a string starting at its opening quote.
  private mutating func parseString() throws(SyntaxError) -> String {
    let start = index
    index += 1
    var scalars = String.UnicodeScalarView()
    var run = index  // the start of the current stretch of unescaped bytes
    func flush(upTo end: Int) {
      scalars.append(contentsOf: String(decoding: bytes[run..<end], as: UTF8.self).unicodeScalars)
    }
    while true {
      guard let byte = peek() else {
        index = start
        throw error("unterminated string; add the closing '\"'")
      }
      if byte == UInt8(ascii: "\"") {
        flush(upTo: index)
        index += 1
        return String(scalars)
      }
      if byte < 0x20 {
        throw error("control character in a string; write \\n for a line break, \\t for a tab")
      }
      if byte != UInt8(ascii: "\\") {
        index += 1
        continue
      }
      flush(upTo: index)
      index += 1
      guard let escape = peek() else { continue }
      index += 1
      switch escape {
      case UInt8(ascii: "\""): scalars.append("\"")
      case UInt8(ascii: "\\"): scalars.append("\\")
      case UInt8(ascii: "/"): scalars.append("/")
      case UInt8(ascii: "b"): scalars.append("\u{08}")
      case UInt8(ascii: "f"): scalars.append("\u{0C}")
      case UInt8(ascii: "n"): scalars.append("\n")
      case UInt8(ascii: "r"): scalars.append("\r")
      case UInt8(ascii: "t"): scalars.append("\t")
      case UInt8(ascii: "u"): scalars.append(try parseUnicodeEscape())
      default:
        index -= 2
        throw error("invalid escape '\\\(Character(Unicode.Scalar(escape)))' in a string")
      }
      run = index
    }
  }

  /// The scalar of a `\uXXXX` escape (the `\u` already consumed), joining surrogate pairs.
  private mutating func parseUnicodeEscape() throws(SyntaxError) -> Unicode.Scalar {
    let escapeStart = index - 2
    func hex4() -> UInt32? {
      guard index + 4 <= bytes.count,
        let value = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16)
      else { return nil }
      index += 4
      return value
    }
    func invalid() -> SyntaxError {
      index = escapeStart
      return error("invalid \\u escape; expected four hex digits naming a Unicode scalar")
    }
    guard let high = hex4() else { throw invalid() }
    if (0xD800..<0xDC00).contains(high) {
      guard bytes[index...].starts(with: Array("\\u".utf8)) else { throw invalid() }
      index += 2
      guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { throw invalid() }
      return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))!
    }
    guard let scalar = Unicode.Scalar(high) else { throw invalid() }
    return scalar
  }

  /// Parses `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, keeping its text.
  private mutating func parseNumber() throws(SyntaxError) -> JSONValue {
    let start = index
    func digits() -> Int {
      let first = index
      while let byte = peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { index += 1 }
      return index - first
    }
    func invalid() -> SyntaxError {
      let end = index
      index = start
      while let byte = peek(), !Self.isDelimiter(byte) { index += 1 }
      let text = String(decoding: bytes[start..<max(index, end)], as: UTF8.self)
      index = start
      return error("invalid number '\(text)'")
    }
    if peek() == UInt8(ascii: "-") { index += 1 }
    let integerStart = index
    let integerDigits = digits()
    guard integerDigits > 0 else { throw invalid() }
    if integerDigits > 1, bytes[integerStart] == UInt8(ascii: "0") { throw invalid() }
    if peek() == UInt8(ascii: ".") {
      index += 1
      guard digits() > 0 else { throw invalid() }
    }
    if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
      index += 1
      if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
      guard digits() > 0 else { throw invalid() }
    }
    if let byte = peek(), !Self.isDelimiter(byte) { throw invalid() }
    return .number(String(decoding: bytes[start..<index], as: UTF8.self))
  }

  // MARK: Scanning

  private func peek() -> UInt8? {
    index < bytes.count ? bytes[index] : nil
  }

  private mutating func skipWhitespace() {
    while let byte = peek(),
      byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\t")
        || byte == UInt8(ascii: "\r")
    {
      index += 1
    }
  }

  /// Whether `byte` may follow a number or literal: white space or structure.
  private static func isDelimiter(_ byte: UInt8) -> Bool {
    " \t\r\n,]}:".utf8.contains(byte)
  }

  /// The run of letters, digits and underscores at the current position (an unquoted word).
  private func bareWord() -> String {
    var end = index
    while end < bytes.count {
      let byte = bytes[end]
      let isWordByte =
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
        || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
        || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_")
      guard isWordByte else { break }
      end += 1
    }
    return String(decoding: bytes[index..<end], as: UTF8.self)
  }

  /// The character at the current position, quoted, for "found …" in messages.
  private var found: String {
    guard index < bytes.count else { return "the end of the file" }
    let character = String(decoding: bytes[index..<min(index + 4, bytes.count)], as: UTF8.self)
      .first!
    return character == "'" ? "\"'\"" : "'\(character)'"
  }

  /// A syntax error at the current position.
  private func error(_ message: String) -> SyntaxError {
    var line = 1
    var column = 1
    for byte in bytes[..<min(index, bytes.count)] {
      if byte == UInt8(ascii: "\n") {
        line += 1
        column = 1
      } else if byte & 0xC0 != 0x80 {
        // Continuation bytes of a multi-byte scalar do not start a new column.
        column += 1
      }
    }
    // Messages quote the file's own characters, which may be an ESC or a NUL.
    return SyntaxError(line: line, column: column, message: escapingControlCharacters(message))
  }
}
