/// A JSON string literal for `text`: quotes, backslashes and control characters escaped, every
/// other character as it is (JSON text is UTF-8). `JSONValue`'s writers use it, and messages
/// quote names with it.
public func jsonStringLiteral(_ text: String) -> String {
  var result = "\""
  for scalar in text.unicodeScalars {
    switch scalar {
    case "\"": result += "\\\""
    case "\\": result += "\\\\"
    case "\n": result += "\\n"
    case "\r": result += "\\r"
    case "\t": result += "\\t"
    case _ where scalar.value < 0x20:
      result +=
        "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
        + String(scalar.value, radix: 16)
    default: result.unicodeScalars.append(scalar)
    }
  }
  return result + "\""
}

/// `text` with every control character (general category Cc: U+0000–U+001F, U+007F–U+009F)
/// written as a JSON-style escape (`\u001B`), every other character as it is.
///
/// Messages quote what the user wrote (a config's bytes, a file name, an argument); written raw
/// to a terminal, an ESC starts an escape sequence that can clear the screen, and a NUL or a
/// line break cuts the one-line message. Error lines go through this before they are printed.
public func escapingControlCharacters(_ text: String) -> String {
  guard text.unicodeScalars.contains(where: isControlCharacter) else { return text }
  var result = String.UnicodeScalarView()
  for scalar in text.unicodeScalars {
    if isControlCharacter(scalar) {
      let hex = String(scalar.value, radix: 16, uppercase: true)
      result.append(
        contentsOf: "\\u\(String(repeating: "0", count: 4 - hex.count))\(hex)".unicodeScalars)
    } else {
      result.append(scalar)
    }
  }
  return String(result)
}

/// Whether `scalar` is a control character, Unicode general category Cc.
private func isControlCharacter(_ scalar: Unicode.Scalar) -> Bool {
  scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
}
