/// The `13a` tokenizer: sacreBLEU's default for BLEU, equivalent to the tokenization of the
/// WMT scoring script `mteval-v13a.pl`.
///
/// The rules, applied in this order to the code points of one line:
/// 1. Remove `<skipped>`; join hyphen line breaks (`-\n` is removed); other newlines become
///    spaces; decode `&quot;`, `&amp;`, `&lt;`, `&gt;` one after another (so `&amp;lt;`
///    becomes `<`, while `&amp;quot;` stays `&quot;`).
/// 2. Pad the line with one space on each side.
/// 3. Surround every ASCII punctuation character except `'`, `,`, `-` and `.` with spaces.
/// 4. Split `.` and `,` from a preceding non-digit, then from a following non-digit, so
///    `3.5` and `1,000` stay whole while `end.` and `.5` at a word start split.
/// 5. Split `-` from a preceding digit (`2-3` becomes `2 - 3`).
/// 6. Split at whitespace (Python's definition, which includes U+00A0 and U+3000).
///
/// Steps 4 and 5 are regular-expression substitutions that scan left to right without
/// overlapping matches; that is why `a..b` tokenizes to `a . . b` only after both passes.
public enum Tokenizer13a {
  /// The name sacreBLEU's signature uses for this tokenizer.
  public static let signatureName = "13a"

  /// The tokens of `line`, after sacreBLEU's trailing-whitespace strip.
  public static func tokens(_ line: String) -> [String] {
    tokenScalars(line).map { String(String.UnicodeScalarView($0)) }
  }

  /// The tokenized line, tokens joined by single spaces, as sacreBLEU's tokenizer returns it.
  public static func tokenize(_ line: String) -> String {
    tokens(line).joined(separator: " ")
  }

  /// The tokens of `line` as code point arrays; BLEU counts n-grams on these directly.
  static func tokenScalars(_ line: String) -> [[Unicode.Scalar]] {
    // BLEU strips trailing whitespace before tokenizing (sacreBLEU `_preprocess_segment`).
    var text = SacreBLEUText.trimmingTrailingWhitespace(Array(line.unicodeScalars))
    text = decodeMarkup(text)
    text = [" "] + text + [" "]
    text = separatePunctuation(text)
    for rule in PairRule.allCases {
      text = rule.apply(to: text)
    }
    return SacreBLEUText.words(text)
  }

  private static let replacements: [(from: [Unicode.Scalar], to: [Unicode.Scalar])] = [
    ("<skipped>", ""), ("-\n", ""), ("\n", " "),
  ].map { (Array(scalarsOf: $0.0), Array(scalarsOf: $0.1)) }

  // mteval only decodes these four entities, and only in this order.
  private static let entities: [(from: [Unicode.Scalar], to: [Unicode.Scalar])] = [
    ("&quot;", "\""), ("&amp;", "&"), ("&lt;", "<"), ("&gt;", ">"),
  ].map { (Array(scalarsOf: $0.0), Array(scalarsOf: $0.1)) }

  /// Step 1: the language-independent clean-up.
  private static func decodeMarkup(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
    var text = scalars
    for (from, to) in replacements {
      text = SacreBLEUText.replacing(from, with: to, in: text)
    }
    guard text.contains("&") else { return text }
    for (from, to) in entities {
      text = SacreBLEUText.replacing(from, with: to, in: text)
    }
    return text
  }

  /// Step 3: ASCII punctuation other than `'`, `,`, `-`, `.` becomes a token of its own.
  private static func separatePunctuation(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
    var result: [Unicode.Scalar] = []
    result.reserveCapacity(scalars.count * 2)
    for scalar in scalars {
      if isSeparatedPunctuation(scalar) {
        result.append(contentsOf: [" ", scalar, " "])
      } else {
        result.append(scalar)
      }
    }
    return result
  }

  /// The class `[\{-\~\[-\` -\&\(-\+\:-\@\/]`: `{|}~`, ``[\]^_` ``, space to `&`, `(` to `+`,
  /// `:` to `@`, and `/`.
  private static func isSeparatedPunctuation(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x7B...0x7E, 0x5B...0x60, 0x20...0x26, 0x28...0x2B, 0x3A...0x40, 0x2F:
      return true
    default:
      return false
    }
  }
}

/// Steps 4 and 5 of ``Tokenizer13a``: the three substitutions of sacreBLEU's regular
/// expressions `([^0-9])([\.,])`, `([\.,])([^0-9])` and `([0-9])(-)`, in that order.
private enum PairRule: CaseIterable {
  /// `end.` → `end . `, `.5` after a space → ` . 5`.
  case separatorAfterNonDigit
  /// `. x` → ` . x`: splits a period or comma from a following non-digit.
  case separatorBeforeNonDigit
  /// `9-11` → `9 - 11`.
  case dashAfterDigit

  /// One regular-expression pass: at each position, if the pair matches, emit its rewrite
  /// and continue after the pair; otherwise copy one code point. For a pattern of two
  /// single-character classes this is exactly Python's `re.sub`, which never overlaps
  /// matches.
  func apply(to scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
    var result: [Unicode.Scalar] = []
    result.reserveCapacity(scalars.count + scalars.count / 2)
    var index = 0
    while index < scalars.count {
      if index + 1 < scalars.count && matches(scalars[index], scalars[index + 1]) {
        result.append(contentsOf: rewrite(scalars[index], scalars[index + 1]))
        index += 2
      } else {
        result.append(scalars[index])
        index += 1
      }
    }
    return result
  }

  private func matches(_ first: Unicode.Scalar, _ second: Unicode.Scalar) -> Bool {
    switch self {
    case .separatorAfterNonDigit: return !isDigit(first) && isPeriodOrComma(second)
    case .separatorBeforeNonDigit: return isPeriodOrComma(first) && !isDigit(second)
    case .dashAfterDigit: return isDigit(first) && second == "-"
    }
  }

  private func rewrite(_ first: Unicode.Scalar, _ second: Unicode.Scalar) -> [Unicode.Scalar] {
    switch self {
    case .separatorAfterNonDigit, .dashAfterDigit: return [first, " ", second, " "]
    case .separatorBeforeNonDigit: return [" ", first, " ", second]
    }
  }

  /// `[0-9]` in the patterns: ASCII digits only, not other Unicode digits.
  private func isDigit(_ scalar: Unicode.Scalar) -> Bool {
    scalar.value >= 0x30 && scalar.value <= 0x39
  }

  private func isPeriodOrComma(_ scalar: Unicode.Scalar) -> Bool {
    scalar == "." || scalar == ","
  }
}
