import Foundation
import Support

/// The BPE model file: UTF-8 text, LF line ends, readable and diffable.
///
///     transformer-cli-bpe 1
///     # comment lines may follow the header
///     pieces 8000
///     <pad>
///     <s>
///     …                 one piece per line in id order: the 261 reserved pieces, the alphabet,
///     ▁the              then the merged pieces
///     merges 7652
///     ▁ t               one merge per line, "left right", in the order they apply; the merged
///     ▁t h              piece is the two texts joined and must be among the pieces
///     …
///
/// The first line is the magic word and format version. Pieces never contain white space (the
/// text is folded before encoding), so one piece is one line and a space separates the two
/// sides of a merge. Loading checks everything a model relies on and names the line at fault.
extension BPEModel {
  /// The first word of the header line.
  public static let fileMagic = "transformer-cli-bpe"
  /// The format version this build writes and reads.
  public static let fileVersion = 1

  /// Reads a model saved by ``save(to:)``.
  ///
  /// Throws ``BPEError/cannotRead(path:reason:)`` when the file cannot be read and
  /// ``BPEError/malformedModel(path:line:reason:)`` naming the line when its content is wrong.
  public init(contentsOf url: URL) throws(BPEError) {
    // Errors name the path as the user typed it (`relativePath`), not made absolute. Read as a
    // stream, so `--model <(command)` works, with a bound, so `/dev/zero` ends.
    let path = url.relativePath
    let bytes: [UInt8]
    do {
      bytes = try TextFileDescriptor.contents(of: path, limit: Self.maximumFileSize)
    } catch .cannotRead(_, let reason) {
      throw .cannotRead(path: path, reason: reason)
    } catch {
      throw .cannotRead(
        path: path,
        reason: "it is larger than \(Self.maximumFileSize) bytes, more than any model this "
          + "program writes")
    }
    self = try BPEModel(fileData: Data(bytes), path: path)
  }

  /// The largest model file read: 2²⁴ pieces (the most `data.vocab_size` allows) at well
  /// under 64 bytes a line.
  public static let maximumFileSize = 1 << 30

  /// Writes the model to `url`, first to a temporary file beside it and then renaming, so an
  /// interrupted save never leaves half a model behind.
  public func save(to url: URL) throws(BPEError) {
    do {
      try AtomicFile.write(Data(fileText().utf8), to: url.path) { error in
        TextFile.writeFailureReason(url: url, error: error)
      }
    } catch {
      throw .cannotWrite(path: url.relativePath, reason: error.reason)
    }
  }

  /// The model in the file format.
  public func fileText() -> String {
    var lines = [
      "\(BPEModel.fileMagic) \(BPEModel.fileVersion)",
      "# Byte-pair-encoding model: 'pieces N' then N pieces in id order (ids 0-3 are <pad> <s>",
      "# </s> <unk>, 4-259 the bytes, 260 the word mark), then 'merges M' and M merges 'left right'.",
      "pieces \(vocabulary.count)",
    ]
    lines.append(contentsOf: vocabulary.pieces)
    lines.append("merges \(merges.count)")
    for merge in merges {
      lines.append("\(vocabulary.pieces[Int(merge.left)]) \(vocabulary.pieces[Int(merge.right)])")
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// Parses and validates a model file's bytes; `path` names the file in errors.
  init(fileData data: Data, path: String) throws(BPEError) {
    var reader = ModelFileReader(data: data, path: path)
    let header = try reader.next(
      expecting: "the header '\(BPEModel.fileMagic) \(BPEModel.fileVersion)'")
    let headerFields = header.split(separator: " ", omittingEmptySubsequences: false)
    guard headerFields.count == 2, headerFields[0] == BPEModel.fileMagic else {
      throw reader.error("the first line must be '\(BPEModel.fileMagic) \(BPEModel.fileVersion)'")
    }
    guard Int(headerFields[1]) == BPEModel.fileVersion else {
      throw reader.error(
        "format version \(headerFields[1]) is not supported (this build reads "
          + "version \(BPEModel.fileVersion))")
    }
    var line = try reader.next(expecting: "'pieces N'")
    while line.hasPrefix("#") { line = try reader.next(expecting: "'pieces N'") }
    // Nothing is sized from this count: pieces are read one a line until it is reached, so a
    // damaged count ends in the error of a truncated file.
    let pieceCount = try reader.count(in: line, keyword: "pieces")
    guard pieceCount >= BPEModel.minimumVocabularySize else {
      throw reader.error(
        "a model needs at least \(BPEModel.minimumVocabularySize) pieces, not \(pieceCount)")
    }
    var vocabulary = Vocabulary()
    for id in 0..<pieceCount {
      let piece = try reader.next(expecting: "piece \(id) of \(pieceCount)")
      if id < Vocabulary.reservedCount {
        guard piece == vocabulary.pieces[id] else {
          throw reader.error("piece \(id) must be '\(vocabulary.pieces[id])', found '\(piece)'")
        }
        continue
      }
      try reader.validate(learnedPiece: piece)
      guard vocabulary.id(forBytes: Array(piece.utf8)) == nil else {
        throw reader.error("piece '\(piece)' appears twice")
      }
      _ = vocabulary.append(Array(piece.utf8))
    }
    let mergeCount = try reader.count(in: reader.next(expecting: "'merges M'"), keyword: "merges")
    // The count comes from the file, so it may be anything up to Int.max: reserving before this
    // check once aborted the process (a failed or overflowing allocation) instead of an error.
    try reader.checkLinesFollow(mergeCount, of: "merges")
    var merges: [BPEMerge] = []
    merges.reserveCapacity(mergeCount)
    for index in 0..<mergeCount {
      let text = try reader.next(expecting: "merge \(index + 1) of \(mergeCount)")
      merges.append(try reader.merge(in: text, vocabulary: vocabulary))
    }
    try reader.expectEnd()
    self.init(vocabulary: vocabulary, merges: merges)
  }
}

/// Walks a model file line by line and builds errors that name the current line.
private struct ModelFileReader {
  private let lines: [Data.SubSequence]
  private let path: String
  private(set) var lineNumber = 0

  init(data: Data, path: String) {
    var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
    // The file ends with a line feed, which leaves one empty element at the end.
    if lines.last?.isEmpty == true { lines.removeLast() }
    self.lines = lines
    self.path = path
  }

  /// An error at the current line.
  func error(_ reason: String) -> BPEError {
    .malformedModel(path: path, line: max(lineNumber, 1), reason: reason)
  }

  /// The next line as text; `expecting` says what was wanted if the file ends instead.
  mutating func next(expecting: String) throws(BPEError) -> String {
    guard lineNumber < lines.count else {
      lineNumber += 1
      throw error("the file ends where \(expecting) was expected; it may be truncated")
    }
    var bytes = Array(lines[lines.startIndex + lineNumber])
    lineNumber += 1
    if bytes.last == 0x0D { bytes.removeLast() }
    guard let text = String(validating: bytes, as: UTF8.self) else {
      throw error("the line is not valid UTF-8")
    }
    return text
  }

  /// The number in a `keyword N` line.
  func count(in line: String, keyword: String) throws(BPEError) -> Int {
    let fields = line.split(separator: " ", omittingEmptySubsequences: false)
    guard fields.count == 2, fields[0] == keyword, let count = Int(fields[1]), count >= 0 else {
      throw error("expected '\(keyword) N' with a count N, found '\(line)'")
    }
    return count
  }

  /// Throws, at the `keyword N` line just read, unless at least `count` lines follow it: one
  /// item a line means a larger count is damaged or the file truncated, and nothing may be
  /// sized from it.
  func checkLinesFollow(_ count: Int, of keyword: String) throws(BPEError) {
    let remaining = lines.count - lineNumber
    guard count <= remaining else {
      throw error(
        "'\(keyword) \(count)' announces \(counted(count, "line")) but only \(remaining) "
          + "follow\(remaining == 1 ? "s" : ""); "
          + "the file is truncated or the count damaged")
    }
  }

  /// Checks what learning guarantees about pieces beyond the reserved ones.
  func validate(learnedPiece piece: String) throws(BPEError) {
    guard !piece.isEmpty else { throw error("a piece is empty") }
    for (index, scalar) in piece.unicodeScalars.enumerated() {
      if BPEText.isWhitespace(scalar) {
        throw error("piece '\(piece)' contains white space")
      }
      if scalar == Vocabulary.wordBoundary, index > 0 {
        throw error("piece '\(piece)' has the word mark '▁' after its start")
      }
    }
  }

  /// The merge on a `left right` line.
  func merge(in line: String, vocabulary: Vocabulary) throws(BPEError) -> BPEMerge {
    let sides = line.split(separator: " ", omittingEmptySubsequences: false)
    guard sides.count == 2 else {
      throw error("expected a merge 'left right', found '\(line)'")
    }
    var ids: [Int] = []
    for side in sides {
      guard let id = vocabulary.id(forBytes: Array(side.utf8)) else {
        throw error("merge side '\(side)' is not among the pieces")
      }
      guard id >= Vocabulary.wordBoundaryID else {
        throw error("merge side '\(side)' is a special or byte piece, which never merge")
      }
      ids.append(id)
    }
    guard let result = vocabulary.id(forBytes: Array(sides[0].utf8) + Array(sides[1].utf8)) else {
      throw error("the merged piece '\(sides[0])\(sides[1])' is not among the pieces")
    }
    return BPEMerge(left: Int32(ids[0]), right: Int32(ids[1]), result: Int32(result))
  }

  /// Throws unless only blank lines remain.
  mutating func expectEnd() throws(BPEError) {
    while lineNumber < lines.count {
      let rest = lines[lines.startIndex + lineNumber]
      lineNumber += 1
      if !rest.allSatisfy({ $0 == 0x0D }) {
        throw error("unexpected text after the last merge")
      }
    }
  }
}
