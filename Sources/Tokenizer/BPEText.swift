/// The text rules shared by BPE learning, encoding and decoding.
///
/// A sentence is normalised by folding every run of Unicode white space (`White_Space`: space,
/// tab, line breaks, no-break space, ideographic space, …) to one U+0020 and trimming both ends.
/// Nothing else changes: no case folding, no Unicode normalisation, so decoding gives back the
/// normalised text byte for byte (but for control characters other than white space, which
/// decode as U+FFFD: see ``outputLine(_:)``). A word is a maximal run of non-space characters;
/// its pieces carry the word boundary as a leading `▁`, as SentencePiece does, so that
/// detokenisation is "concatenate and turn `▁` into a space" in every language.
///
/// Characters are Unicode scalars, not grapheme clusters: an emoji with a skin-tone modifier is
/// two characters, and text in decomposed form keeps its combining marks as separate characters.
/// That keeps the alphabet small and the round trip exact.
enum BPEText {
  /// True for the Unicode `White_Space` characters, with a fast path for ASCII.
  @inline(__always)
  static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
    if scalar.value < 0x80 {
      return scalar.value == 0x20 || (scalar.value >= 0x09 && scalar.value <= 0x0D)
    }
    return scalar.properties.isWhitespace
  }

  /// `text` with runs of white space folded to one space and the ends trimmed.
  static func normalize(_ text: String) -> String {
    var result = String.UnicodeScalarView()
    forEachWord(in: text) { word in
      if !result.isEmpty { result.append(" ") }
      result.append(contentsOf: word)
    }
    return String(result)
  }

  /// Calls `body` with each word of `text`, in order, as its Unicode scalars.
  static func forEachWord(in text: String, _ body: (ArraySlice<Unicode.Scalar>) -> Void) {
    // One buffer for the whole line; words are handed out as slices of it.
    let scalars = Array(text.unicodeScalars)
    var start = 0
    var index = 0
    while index < scalars.count {
      if isWhitespace(scalars[index]) {
        if index > start { body(scalars[start..<index]) }
        start = index + 1
      }
      index += 1
    }
    if index > start { body(scalars[start..<index]) }
  }

  /// The text for a sequence of piece byte strings: `▁` becomes a space, byte pieces become
  /// their byte, special pieces vanish except `<unk>`, which shows as `⁇` (as spm_decode does).
  ///
  /// Bytes that do not form valid UTF-8 (a model can emit half a character) decode as U+FFFD,
  /// and the text is made one line by ``outputLine(_:)``.
  static func detokenize(_ pieces: [Piece]) -> String {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(pieces.count * 4)
    for piece in pieces {
      switch piece {
      case .byte(let byte):
        bytes.append(byte)
      case .unknown:
        bytes.append(contentsOf: Array("\u{2047}".utf8))
      case .control:
        break
      case .text(let text):
        appendReplacingBoundaries(text, to: &bytes)
      }
    }
    return outputLine(String(decoding: bytes, as: UTF8.self))
  }

  /// `text` made fit to be one line of line-oriented output (a translation, an N-best TSV field,
  /// a `bpe decode` line), the one rule every decoded text goes through.
  ///
  /// Byte pieces can spell any character, so a model (or a hand-written `<0x0A>`) can produce a
  /// line break, a tab, a NUL or an escape sequence, which would split one answer over several
  /// lines, break TSV columns or act on a terminal. So every run of white space (tab, LF, VT, FF,
  /// CR, NEL, U+2028, U+2029, …) becomes one space and the ends are trimmed, which is the
  /// normalised form ``normalize(_:)`` gives and the only one encoding can represent, so a round
  /// trip loses nothing; every other control character (general category Cc: U+0000–U+001F,
  /// U+007F–U+009F) becomes U+FFFD, as bytes that are not UTF-8 do.
  static func outputLine(_ text: String) -> String {
    var result = String.UnicodeScalarView()
    var spacePending = false
    for scalar in text.unicodeScalars {
      if isWhitespace(scalar) {
        spacePending = !result.isEmpty
        continue
      }
      if spacePending {
        result.append(" ")
        spacePending = false
      }
      let isControl = scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
      result.append(isControl ? "\u{FFFD}" : scalar)
    }
    return String(result)
  }

  /// One piece, as decoding sees it.
  enum Piece {
    /// `<pad>`, `<s>` or `</s>`: nothing to print.
    case control
    /// `<unk>`.
    case unknown
    /// A byte piece.
    case byte(UInt8)
    /// A learned piece: characters, maybe with a leading `▁`.
    case text([UInt8])
  }

  /// The UTF-8 of `▁`: E2 96 81.
  static let boundaryBytes: [UInt8] = Array(String(Vocabulary.wordBoundary).utf8)

  /// Appends `text` to `bytes` with every `▁` turned into a space. Learned pieces only ever hold
  /// `▁` as the word mark (a literal `▁` in the input is always encoded as byte pieces), so this
  /// never turns a user's `▁` into a space.
  private static func appendReplacingBoundaries(_ text: [UInt8], to bytes: inout [UInt8]) {
    var index = 0
    while index < text.count {
      if index + 2 < text.count, text[index] == boundaryBytes[0],
        text[index + 1] == boundaryBytes[1], text[index + 2] == boundaryBytes[2]
      {
        bytes.append(UInt8(ascii: " "))
        index += 3
      } else {
        bytes.append(text[index])
        index += 1
      }
    }
  }
}
