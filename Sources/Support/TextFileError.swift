import Foundation

/// A text file that could not be read as UTF-8 lines (`TextFile`, `TextFileReader`), named as
/// the user typed it.
public enum TextFileError: Error, Equatable, CustomStringConvertible, LocalizedError {
  /// The file is missing, a directory, unreadable, or reading failed.
  case cannotRead(path: String, reason: String)
  /// Line `line` (1-based) is not valid UTF-8.
  case invalidUTF8(path: String, line: Int)
  /// Line `line` (1-based) holds more than `limit` bytes (``TextFileReader/maximumLineLength``);
  /// reading stopped there, so an endless line is refused too.
  case lineTooLong(path: String, line: Int, limit: Int)
  /// The file holds more than `limit` bytes, where a limit applies (a config file).
  case tooLarge(path: String, limit: Int)

  public var description: String {
    switch self {
    case .cannotRead(let path, let reason):
      return "cannot read '\(path)': \(reason)"
    case .invalidUTF8(let path, let line):
      return "\(path):\(line): not valid UTF-8; convert the file to UTF-8 (for example with iconv)"
    case .lineTooLong(let path, let line, let limit):
      return "\(path):\(line): the line is longer than \(limit) bytes; give one sentence a line"
    case .tooLarge(let path, let limit):
      return "cannot read '\(path)': it is larger than \(limit) bytes"
    }
  }

  public var errorDescription: String? { description }
}
