/// The pieces of a subword model and their integer ids.
///
/// The first 261 ids are fixed, so every model agrees on them and a checkpoint's embedding rows
/// keep their meaning:
///
/// | id | piece | meaning |
/// |---|---|---|
/// | 0 | `<pad>` | padding in a batch; never produced by encoding |
/// | 1 | `<s>` | start of sentence: the first decoder input |
/// | 2 | `</s>` | end of sentence: the last decoder output, appended to source sentences |
/// | 3 | `<unk>` | unknown; never produced by encoding (byte fallback covers every character) |
/// | 4 … 259 | `<0x00>` … `<0xFF>` | one UTF-8 byte, for characters outside the learned alphabet |
/// | 260 | `▁` (U+2581) | the word-boundary mark on its own |
///
/// Ids from 261 on are the learned alphabet (single characters, most frequent first) followed by
/// the pieces created by merges, in the order they were learned.
public struct Vocabulary: Sendable, Equatable {
  /// The id of `<pad>`.
  public static let paddingID = 0
  /// The id of `<s>`, the start-of-sentence token.
  public static let startID = 1
  /// The id of `</s>`, the end-of-sentence token.
  public static let endID = 2
  /// The id of `<unk>`. Encoding never produces it; decoding shows it as `⁇`.
  public static let unknownID = 3
  /// The ids of the 256 byte pieces: byte `b` has id `byteIDs.lowerBound + b`.
  public static let byteIDs = 4..<260
  /// The id of the bare word-boundary piece `▁`.
  public static let wordBoundaryID = 260
  /// The number of ids every model reserves before its learned alphabet.
  public static let reservedCount = 261

  /// The special pieces, indexed by their ids 0…3.
  public static let specialPieces = ["<pad>", "<s>", "</s>", "<unk>"]
  /// The word-boundary mark U+2581 (LOWER ONE EIGHTH BLOCK), as SentencePiece writes it.
  public static let wordBoundary: Unicode.Scalar = "\u{2581}"

  /// The pieces in id order.
  public private(set) var pieces: [String]
  /// The UTF-8 bytes of each piece, in id order. Lookups go through bytes rather than `String`,
  /// because `String` equality treats canonically equivalent texts (precomposed `é` and `e` plus
  /// a combining accent) as equal, and tokenisation must be exact to the byte.
  private(set) var pieceBytes: [[UInt8]]
  private var idOfBytes: [[UInt8]: Int]

  /// The reserved pieces alone: specials, bytes and the word-boundary mark.
  public init() {
    pieces = []
    pieceBytes = []
    idOfBytes = [:]
    for piece in Vocabulary.specialPieces { _ = append(Array(piece.utf8)) }
    for byte in 0...255 { _ = append(Array(Vocabulary.bytePiece(UInt8(byte)).utf8)) }
    _ = append(Array(String(Vocabulary.wordBoundary).utf8))
  }

  /// The number of pieces, which is the size of the model's embedding and output layers (V).
  public var count: Int { pieces.count }

  /// The piece with this id, or nil when the id is out of range.
  public func piece(forID id: Int) -> String? {
    pieces.indices.contains(id) ? pieces[id] : nil
  }

  /// The id of this piece, compared byte for byte, or nil when it is not in the vocabulary.
  public func id(forPiece piece: String) -> Int? {
    idOfBytes[Array(piece.utf8)]
  }

  /// True for `<pad>`, `<s>`, `</s>` and `<unk>`.
  public static func isSpecial(_ id: Int) -> Bool {
    id >= 0 && id < specialPieces.count
  }

  /// The byte a byte piece stands for, or nil when `id` is not a byte piece.
  public static func byte(forID id: Int) -> UInt8? {
    byteIDs.contains(id) ? UInt8(id - byteIDs.lowerBound) : nil
  }

  /// The id of the byte piece for `byte`.
  public static func id(forByte byte: UInt8) -> Int {
    byteIDs.lowerBound + Int(byte)
  }

  /// The text of a byte piece, `<0xE2>` style (two upper-case hex digits, as SentencePiece).
  public static func bytePiece(_ byte: UInt8) -> String {
    let digits = Array("0123456789ABCDEF")
    return "<0x\(digits[Int(byte >> 4)])\(digits[Int(byte & 15)])>"
  }

  /// Parses a `<0xE2>` style piece back to its byte; nil for any other text.
  public static func byte(forPiece piece: String) -> UInt8? {
    let bytes = Array(piece.utf8)
    guard bytes.count == 6, bytes[0] == UInt8(ascii: "<"), bytes[1] == UInt8(ascii: "0"),
      bytes[2] == UInt8(ascii: "x"), bytes[5] == UInt8(ascii: ">"),
      let high = hexValue(bytes[3]), let low = hexValue(bytes[4])
    else { return nil }
    return high << 4 | low
  }

  /// The id of `bytes`, if present.
  func id(forBytes bytes: [UInt8]) -> Int? {
    idOfBytes[bytes]
  }

  /// Adds a piece and returns its id; a piece already present keeps its id.
  mutating func append(_ bytes: [UInt8]) -> Int {
    if let existing = idOfBytes[bytes] { return existing }
    let id = pieceBytes.count
    pieceBytes.append(bytes)
    pieces.append(String(decoding: bytes, as: UTF8.self))
    idOfBytes[bytes] = id
    return id
  }

  /// Upper-case hex digits only, so that every byte has exactly one spelling.
  private static func hexValue(_ ascii: UInt8) -> UInt8? {
    switch ascii {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return ascii - UInt8(ascii: "0")
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return ascii - UInt8(ascii: "A") + 10
    default: return nil
    }
  }

  /// Equal when the pieces are equal byte for byte, in the same order.
  public static func == (lhs: Vocabulary, rhs: Vocabulary) -> Bool {
    lhs.pieceBytes == rhs.pieceBytes
  }
}
