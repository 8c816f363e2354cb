import Foundation

/// A text file that could not be read as UTF-8 lines (`TextFile`), named as the user typed it.
public enum TextFileError: Error, Equatable, CustomStringConvertible, LocalizedError {
  /// The file is missing, a directory, unreadable, or reading failed.
  case cannotRead(path: String, reason: String)
  /// Line `line` (1-based) is not valid UTF-8.
  case invalidUTF8(path: String, line: Int)

  public var description: String {
    switch self {
    case .cannotRead(let path, let reason):
      return "cannot read '\(path)': \(reason)"
    case .invalidUTF8(let path, let line):
      return "\(path):\(line): not valid UTF-8; convert the file to UTF-8 (for example with iconv)"
    }
  }

  public var errorDescription: String? { description }
}
