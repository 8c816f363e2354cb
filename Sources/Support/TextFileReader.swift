import Foundation

/// Reads UTF-8 text one line at a time from stdin or a file (a pipe, `/dev/stdin` and
/// `<(command)` included), so that a filter such as `bpe encode` answers each line as soon as it
/// arrives, and so that no line costs more memory than ``maximumLineLength`` bytes.
///
/// ``nextLine()`` follows `TextFile`'s rules: lines end at LF, a CR before the LF is dropped, and
/// so is a UTF-8 byte-order mark at the start; a last line without a final LF still counts.
public final class TextFileReader {
  /// The most bytes a line may hold, its LF not counted (a CR before it is, as sacreBLEU keeps
  /// it in the line): 1 MiB.
  ///
  /// A line is one sentence, and sentences in real corpora are far shorter (a few hundred bytes,
  /// tens of kilobytes for the longest lines of crawled text), while a model's positions are
  /// capped at `ConfigLimits.positions` (1,048,576) pieces, so no longer line could be used
  /// whole. Tokenising costs about 40 bytes of memory per byte of a line, so the cap keeps one
  /// line under about 40 MB and an input without line ends (`/dev/zero`) from reading forever.
  public static let maximumLineLength = 1 << 20

  /// The name errors give the input: `<stdin>` or the path.
  public let name: String
  /// The number of lines returned so far, which is the 1-based number of the last one.
  public private(set) var lineNumber = 0
  private let descriptor: Int32
  private let ownsDescriptor: Bool
  private let maximumLineLength: Int
  /// Bytes read but not yet returned start at `position`; `scanned` is where the search for the
  /// next LF resumes, so a line longer than one read is not searched again from its start.
  private var buffer: [UInt8] = []
  private var position = 0
  private var scanned = 0
  private var atEnd = false

  /// The name of standard input in messages.
  public static let standardInputName = "<stdin>"

  /// A reader of the file at `path`, or of standard input when `path` is nil, refusing lines
  /// longer than `maximumLineLength` bytes (a parameter so that tests can use a small one).
  public init(path: String?, maximumLineLength: Int = TextFileReader.maximumLineLength)
    throws(TextFileError)
  {
    if let path {
      descriptor = try TextFileDescriptor.open(path)
      ownsDescriptor = true
      name = path
    } else {
      descriptor = STDIN_FILENO
      ownsDescriptor = false
      name = TextFileReader.standardInputName
    }
    self.maximumLineLength = maximumLineLength
  }

  deinit {
    if ownsDescriptor { close(descriptor) }
  }

  /// The next line without its line end, or nil at the end of the input.
  ///
  /// Throws ``TextFileError/invalidUTF8(path:line:)`` naming the line when it is not UTF-8,
  /// ``TextFileError/lineTooLong(path:line:limit:)`` when it is too long, and
  /// ``TextFileError/cannotRead(path:reason:)`` when reading fails.
  public func nextLine() throws(TextFileError) -> String? {
    guard var bytes = try nextLineBytes() else { return nil }
    if lineNumber == 1, bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
    if bytes.last == 0x0D { bytes.removeLast() }
    guard let line = String(validating: bytes, as: UTF8.self) else {
      throw .invalidUTF8(path: name, line: lineNumber)
    }
    return line
  }

  /// The bytes of the next line as they are, without its LF (a CR or a byte-order mark stays),
  /// or nil at the end of the input; counts the line.
  ///
  /// Throws ``TextFileError/lineTooLong(path:line:limit:)`` as soon as the line passes the
  /// limit, before the rest of it is read, and ``TextFileError/cannotRead(path:reason:)`` when
  /// reading fails.
  public func nextLineBytes() throws(TextFileError) -> ArraySlice<UInt8>? {
    while true {
      if let newline = buffer[scanned...].firstIndex(of: 0x0A) {
        try checkLength(newline - position)
        let line = buffer[position..<newline]
        position = newline + 1
        scanned = position
        lineNumber += 1
        return line
      }
      scanned = buffer.count
      try checkLength(buffer.count - position)
      if atEnd {
        guard position < buffer.count else { return nil }
        let line = buffer[position...]
        position = buffer.count
        lineNumber += 1
        return line
      }
      // Drop the bytes already returned before reading more, so the buffer holds about one line.
      if position > 0 {
        buffer.removeFirst(position)
        scanned -= position
        position = 0
      }
      if try TextFileDescriptor.read(descriptor, appendingTo: &buffer, path: name) == 0 {
        atEnd = true
      }
    }
  }

  /// Throws when the next line already has more than the limit's bytes.
  private func checkLength(_ length: Int) throws(TextFileError) {
    if length > maximumLineLength {
      throw .lineTooLong(path: name, line: lineNumber + 1, limit: maximumLineLength)
    }
  }
}
