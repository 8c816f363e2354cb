import Foundation
import Support

/// A byte-pair-encoding subword model: learns a vocabulary from text, splits sentences into
/// pieces and joins pieces back into text (Sennrich et al., "Neural Machine Translation of Rare
/// Words with Subword Units", 2016; pieces written the SentencePiece way).
///
/// Encoding is lossless up to white space: for every string `s`,
/// `decode(pieces: encode(s)) == BPEModel.normalize(s)`, byte for byte, in any script. Pieces
/// mark the start of a word with `▁` (U+2581), so detokenising needs no language rules:
///
///     "I go to school"   →  ["▁I", "▁go", "▁to", "▁school"]
///     "나는 학교에 간다"    →  ["▁나는", "▁학교", "에", "▁간다"]
///
/// A character the model never saw is written as its UTF-8 bytes (`"→"` becomes `<0xE2>`,
/// `<0x86>`, `<0x92>`), so encoding never produces `<unk>`. A `▁` in the text itself is always
/// written as bytes, which keeps it apart from the word mark. See ``Vocabulary`` for the fixed
/// ids of `<pad>`, `<s>`, `</s>`, `<unk>` and the byte pieces, and `BPEModelFile.swift` for the
/// file format.
///
/// One model can serve both languages (learn it from source and target text together, the
/// default for `bpe learn`) or each language can have its own: learn two models.
public struct BPEModel: Sendable, Equatable {
  /// The pieces and their ids.
  public let vocabulary: Vocabulary
  /// The merges in the order they were learned (which is also the order they apply).
  let merges: [BPEMerge]
  private let encoder: BPEEncoder

  /// A model from a vocabulary and merges whose ids index into it (already validated).
  init(vocabulary: Vocabulary, merges: [BPEMerge]) {
    self.vocabulary = vocabulary
    self.merges = merges
    encoder = BPEEncoder(vocabulary: vocabulary, merges: merges)
  }

  /// The number of learned merges.
  public var mergeCount: Int { merges.count }

  /// The smallest vocabulary a model can have: the reserved pieces and one character.
  public static let minimumVocabularySize = Vocabulary.reservedCount + 1

  /// Learns a model from training sentences, one per element.
  ///
  /// Words are counted first; merges then join the most frequent adjacent pair of pieces until
  /// the vocabulary holds `vocabularySize` pieces or no pair occurs `minimumPairCount` times
  /// (so a small corpus can give a smaller vocabulary than asked for; read
  /// `vocabulary.count`). The result depends only on the text, never on its order.
  /// - Parameters:
  ///   - lines: the training sentences; pass source and target sentences together for a joint
  ///     vocabulary.
  ///   - vocabularySize: the wanted number of pieces, reserved ones included (at least
  ///     ``minimumVocabularySize``).
  ///   - minimumPairCount: the fewest occurrences a pair needs to be merged.
  public static func learn<Lines: Sequence<String>>(
    lines: Lines, vocabularySize: Int, minimumPairCount: Int = 2
  ) throws(BPEError) -> BPEModel {
    var wordCounts: [[Unicode.Scalar]: Int] = [:]
    for line in lines { countWords(in: line, into: &wordCounts) }
    return try learn(
      wordCounts: wordCounts, vocabularySize: vocabularySize,
      minimumPairCount: minimumPairCount)
  }

  /// Learns a model from text files, one sentence a line, reading them one at a time.
  ///
  /// Throws ``BPEError/input(_:)`` naming the file (and line) when a file cannot be read or is
  /// not UTF-8.
  public static func learn(
    files: [URL], vocabularySize: Int, minimumPairCount: Int = 2
  ) throws(BPEError) -> BPEModel {
    var wordCounts: [[Unicode.Scalar]: Int] = [:]
    for file in files {
      let lines: [String]
      do {
        lines = try TextFile.readLines(at: file)
      } catch {
        throw .input(error)
      }
      for line in lines { countWords(in: line, into: &wordCounts) }
    }
    return try learn(
      wordCounts: wordCounts, vocabularySize: vocabularySize,
      minimumPairCount: minimumPairCount)
  }

  private static func learn(
    wordCounts: [[Unicode.Scalar]: Int], vocabularySize: Int, minimumPairCount: Int
  ) throws(BPEError) -> BPEModel {
    guard vocabularySize >= minimumVocabularySize else {
      throw .vocabularySizeTooSmall(requested: vocabularySize, minimum: Vocabulary.reservedCount)
    }
    guard !wordCounts.isEmpty else { throw .noTrainingText }
    let learned = BPELearner.learn(
      wordCounts: wordCounts, vocabularySize: vocabularySize,
      minimumPairCount: max(1, minimumPairCount))
    return BPEModel(vocabulary: learned.vocabulary, merges: learned.merges)
  }

  private static func countWords(in line: String, into counts: inout [[Unicode.Scalar]: Int]) {
    BPEText.forEachWord(in: line) { word in counts[Array(word), default: 0] += 1 }
  }

  /// `text` with every run of white space folded to one space and the ends trimmed: what
  /// decoding an encoded `text` gives back.
  public static func normalize(_ text: String) -> String {
    BPEText.normalize(text)
  }

  /// `text` as one line fit for standard output, by the rule decoded text follows: white space
  /// folded to single spaces and trimmed, other control characters (NUL, ESC, DEL, …) replaced
  /// by U+FFFD. Commands that echo what the user typed pass it through this first, so that an
  /// escape sequence in an argument cannot act on the terminal.
  public static func outputLine(_ text: String) -> String {
    BPEText.outputLine(text)
  }

  /// The pieces of `text` (normalised first); empty for blank text.
  public func encode(_ text: String) -> [String] {
    encodeIDs(text).map { vocabulary.pieces[$0] }
  }

  /// The piece ids of `text` (normalised first), without `<s>` or `</s>`.
  public func encodeIDs(_ text: String) -> [Int] {
    var ids: [Int] = []
    BPEText.forEachWord(in: text) { word in
      for id in encoder.encode(word: word) { ids.append(Int(id)) }
    }
    return ids
  }

  /// The text for a list of pieces, such as one line of `bpe encode` output.
  ///
  /// Works on the piece texts alone, so any list decodes: `<0xE2>` style pieces become bytes,
  /// `<pad>`, `<s>` and `</s>` vanish, `<unk>` shows as `⁇`, and everything else is text whose
  /// `▁` marks become spaces. Invalid UTF-8 from byte pieces decodes as U+FFFD. The text is
  /// always one line fit for line-oriented output: byte pieces can spell a line break or a tab,
  /// so white space is folded to single spaces and trimmed, and other control characters
  /// (NUL, ESC, DEL, …) become U+FFFD.
  public func decode(pieces: [String]) -> String {
    BPEText.detokenize(
      pieces.map { piece -> BPEText.Piece in
        if let special = Vocabulary.specialPieces.firstIndex(of: piece) {
          return special == Vocabulary.unknownID ? .unknown : .control
        }
        if let byte = Vocabulary.byte(forPiece: piece) { return .byte(byte) }
        return .text(Array(piece.utf8))
      })
  }

  /// The text for a list of piece ids, as produced by ``encodeIDs(_:)`` or a decoder: one
  /// line, as ``decode(pieces:)`` gives it.
  ///
  /// Throws ``BPEError/idOutOfRange(id:vocabularySize:)`` for an id the vocabulary lacks.
  public func decode(ids: [Int]) throws(BPEError) -> String {
    var pieces: [BPEText.Piece] = []
    pieces.reserveCapacity(ids.count)
    for id in ids {
      guard id >= 0, id < vocabulary.count else {
        throw .idOutOfRange(id: id, vocabularySize: vocabulary.count)
      }
      if id == Vocabulary.unknownID {
        pieces.append(.unknown)
      } else if Vocabulary.isSpecial(id) {
        pieces.append(.control)
      } else if let byte = Vocabulary.byte(forID: id) {
        pieces.append(.byte(byte))
      } else {
        pieces.append(.text(vocabulary.pieceBytes[id]))
      }
    }
    return BPEText.detokenize(pieces)
  }

  /// Equal when both vocabularies and merge lists are identical.
  public static func == (lhs: BPEModel, rhs: BPEModel) -> Bool {
    lhs.vocabulary == rhs.vocabulary && lhs.merges == rhs.merges
  }
}
