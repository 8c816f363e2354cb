import Foundation

// Text handling shared by BLEU, chrF and the 13a tokenizer.
//
// sacreBLEU works on Python `str` values, which are sequences of Unicode code points compared
// code point by code point. Swift's `String` compares by canonical equivalence and iterates
// grapheme clusters, so a precomposed "ü" equals "u" + U+0308 and a flag emoji is one
// `Character`. Both would change n-gram counts, so everything here works on
// `Unicode.Scalar` arrays, which is exactly Python's view of a string.

/// Helpers that reproduce the Python string operations sacreBLEU relies on.
enum SacreBLEUText {
  /// Whether `scalar` is whitespace to Python's `str.isspace()`, and so to `str.split()` and
  /// `str.rstrip()` without arguments.
  ///
  /// Python counts a code point as whitespace when its general category is Zs or its
  /// bidirectional class is WS, B or S. That is Unicode's White_Space property plus the four
  /// information separators U+001C–U+001F (bidi class B/S) — which Swift's
  /// `Unicode.Scalar.Properties.isWhitespace` leaves out — so the set is listed explicitly.
  static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029,
      0x202F, 0x205F, 0x3000:
      return true
    default:
      return false
    }
  }

  /// Splits `scalars` into words at runs of whitespace, like Python's `str.split()`.
  static func words(_ scalars: [Unicode.Scalar]) -> [[Unicode.Scalar]] {
    var words: [[Unicode.Scalar]] = []
    var current: [Unicode.Scalar] = []
    for scalar in scalars {
      if isWhitespace(scalar) {
        if !current.isEmpty {
          words.append(current)
          current.removeAll(keepingCapacity: true)
        }
      } else {
        current.append(scalar)
      }
    }
    if !current.isEmpty { words.append(current) }
    return words
  }

  /// Removes every whitespace code point, like Python's `''.join(line.split())`.
  static func removingWhitespace(_ text: String) -> [Unicode.Scalar] {
    text.unicodeScalars.filter { !isWhitespace($0) }
  }

  /// Drops trailing whitespace, like Python's `str.rstrip()`.
  static func trimmingTrailingWhitespace(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
    var end = scalars.count
    while end > 0 && isWhitespace(scalars[end - 1]) { end -= 1 }
    return Array(scalars[..<end])
  }

  /// Replaces every non-overlapping occurrence of `target`, scanning left to right, like
  /// Python's `str.replace`. Matching is code point by code point, never canonical.
  static func replacing(
    _ target: [Unicode.Scalar], with replacement: [Unicode.Scalar], in scalars: [Unicode.Scalar]
  ) -> [Unicode.Scalar] {
    precondition(!target.isEmpty, "SacreBLEUText.replacing: empty target")
    guard scalars.count >= target.count else { return scalars }
    var result: [Unicode.Scalar] = []
    result.reserveCapacity(scalars.count)
    var index = 0
    while index < scalars.count {
      if index + target.count <= scalars.count
        && scalars[index..<(index + target.count)].elementsEqual(target)
      {
        result.append(contentsOf: replacement)
        index += target.count
      } else {
        result.append(scalars[index])
        index += 1
      }
    }
    return result
  }

  /// Formats `value` with `digits` decimals the way Python's `f"{value:.{digits}f}"` does.
  ///
  /// Both Python and glibc's `printf` round the exact binary value (ties to even), so
  /// identical doubles print identically.
  static func fixed(_ value: Double, digits: Int) -> String {
    String(format: "%.\(digits)f", value)
  }
}

extension Array where Element == Unicode.Scalar {
  /// The code points of a string literal (test and tokenizer constants).
  init(scalarsOf text: String) { self = Array(text.unicodeScalars) }
}
