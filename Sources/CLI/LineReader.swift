import Foundation
import Data
import Support

/// Reads UTF-8 text one line at a time from stdin or a file, so that a filter such as
/// `bpe encode` answers each line as soon as it arrives through a pipe.
///
/// Lines follow `TextFile`'s rules, so a sentence reads the same whether it comes through
/// `bpe learn` or `bpe encode`: lines end at LF, a CR before the LF is dropped, and so is a
/// UTF-8 byte-order mark at the start; a last line without a final LF still counts.
final class LineReader {
  /// The name errors give the input: `<stdin>` or the path.
  let name: String
  /// The number of lines returned so far, which is the 1-based number of the last one.
  private(set) var lineNumber = 0
  private let descriptor: Int32
  private let ownsDescriptor: Bool
  /// Bytes read but not yet returned start at `position`; `scanned` is where the search for the
  /// next LF resumes, so a line longer than one read is not searched again from its start.
  private var buffer: [UInt8] = []
  private var position = 0
  private var scanned = 0
  private var atEnd = false

  /// The name of standard input in messages.
  static let standardInputName = "<stdin>"

  /// A reader of the file at `path`, or of standard input when `path` is nil.
  init(path: String?) throws(TextFileError) {
    if let path {
      descriptor = try InputFile.open(path)
      ownsDescriptor = true
      name = path
    } else {
      descriptor = STDIN_FILENO
      ownsDescriptor = false
      name = LineReader.standardInputName
    }
  }

  deinit {
    if ownsDescriptor { close(descriptor) }
  }

  /// The next line without its line end, or nil at the end of the input.
  ///
  /// Throws ``TextFileError/invalidUTF8(path:line:)`` naming the line when it is not UTF-8, and
  /// ``TextFileError/cannotRead(path:reason:)`` when reading fails.
  func nextLine() throws(TextFileError) -> String? {
    while true {
      if let newline = buffer[scanned...].firstIndex(of: 0x0A) {
        let line = try text(of: buffer[position..<newline])
        position = newline + 1
        scanned = position
        return line
      }
      scanned = buffer.count
      if atEnd {
        guard position < buffer.count else { return nil }
        let line = try text(of: buffer[position...])
        position = buffer.count
        return line
      }
      // Drop the bytes already returned before reading more, so the buffer holds about one line.
      if position > 0 {
        buffer.removeFirst(position)
        scanned -= position
        position = 0
      }
      if try InputFile.read(descriptor, appendingTo: &buffer, path: name) == 0 { atEnd = true }
    }
  }

  /// The text of one line's bytes (without its LF), counting it.
  private func text(of bytes: ArraySlice<UInt8>) throws(TextFileError) -> String {
    lineNumber += 1
    var bytes = bytes
    if lineNumber == 1, bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
    if bytes.last == 0x0D { bytes.removeLast() }
    guard let line = String(validating: bytes, as: UTF8.self) else {
      throw .invalidUTF8(path: name, line: lineNumber)
    }
    return line
  }
}
