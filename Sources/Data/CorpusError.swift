import Foundation
import Support

/// Why a text or parallel corpus cannot be read.
///
/// Messages are one line and name the file (and line) at fault; paths appear as given.
public enum CorpusError: Error, Equatable, CustomStringConvertible, LocalizedError {
  /// A file could not be read as UTF-8 lines.
  case file(TextFileError)
  /// The two sides of a parallel corpus have different numbers of lines.
  case lineCountMismatch(sourcePath: String, sourceLines: Int, targetPath: String, targetLines: Int)
  /// Every pair was empty or too long, so nothing is left to train on.
  case noPairs(sourcePath: String, targetPath: String, empty: Int, tooLong: Int, maxLength: Int)

  /// A one-line message naming the file, line or counts at fault.
  public var description: String {
    switch self {
    case .file(let error):
      return error.description
    case .lineCountMismatch(let sourcePath, let sourceLines, let targetPath, let targetLines):
      return "'\(sourcePath)' has \(counted(sourceLines, "line")) but '\(targetPath)' has "
        + "\(targetLines); a parallel corpus needs one target line for every source line"
    case .noPairs(let sourcePath, let targetPath, let empty, let tooLong, let maxLength):
      return "no usable sentence pairs in '\(sourcePath)' and '\(targetPath)': \(empty) empty, "
        + "\(tooLong) longer than \(counted(maxLength, "token")); check the files or raise "
        + "data.max_length"
    }
  }

  /// The same text as ``description``, for callers that print `localizedDescription`.
  public var errorDescription: String? { description }
}
