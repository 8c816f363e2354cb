/// Column arithmetic for text on a terminal, where East Asian wide characters (Hangul, CJK)
/// take two columns and combining marks none.
public enum TerminalText {
  /// The number of terminal columns `text` occupies.
  public static func width(_ text: String) -> Int {
    text.unicodeScalars.reduce(0) { $0 + width(of: $1) }
  }

  /// `text` followed by spaces up to `columns` terminal columns.
  public static func padded(_ text: String, to columns: Int) -> String {
    text + String(repeating: " ", count: max(0, columns - width(text)))
  }

  /// The longest start of `text` that fits in `columns` terminal columns.
  public static func prefix(_ text: String, columns: Int) -> String {
    var used = 0
    var result = ""
    for character in text {
      let characterWidth = width(String(character))
      if used + characterWidth > columns { break }
      used += characterWidth
      result.append(character)
    }
    return result
  }

  /// `text` preceded by `character` up to `count` characters.
  public static func leftPadded(_ text: String, to count: Int, with character: Character = " ")
    -> String
  {
    text.count >= count ? text : String(repeating: character, count: count - text.count) + text
  }

  /// 2 for wide scalars, 0 for combining marks and zero-width joiners, else 1.
  private static func width(of scalar: Unicode.Scalar) -> Int {
    switch scalar.value {
    case 0x0300...0x036F, 0x200B...0x200F, 0xFE00...0xFE0F: return 0
    case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
      0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
      0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x20000...0x3FFFD:
      return 2
    default: return 1
    }
  }
}
