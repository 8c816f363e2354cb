import Foundation
import Support

/// Why a BPE model cannot be learned, read, written or used.
///
/// Every message is one line that names the file (and line, for a malformed model) and says
/// what to do.
public enum BPEError: Error, Equatable, CustomStringConvertible, LocalizedError {
  /// The requested vocabulary cannot even hold the reserved pieces.
  case vocabularySizeTooSmall(requested: Int, minimum: Int)
  /// The training text has no words at all.
  case noTrainingText
  /// A training file could not be read or is not UTF-8.
  case input(TextFileError)
  /// The model file could not be opened or read.
  case cannotRead(path: String, reason: String)
  /// The model file could not be written.
  case cannotWrite(path: String, reason: String)
  /// The model file is not a valid model; `line` is 1-based.
  case malformedModel(path: String, line: Int, reason: String)
  /// An id given to decoding is not in the vocabulary.
  case idOutOfRange(id: Int, vocabularySize: Int)

  /// A one-line message naming the file, line or value at fault.
  public var description: String {
    switch self {
    case .vocabularySizeTooSmall(let requested, let minimum):
      return "vocabulary size \(requested) is too small: the special tokens, the 256 byte pieces "
        + "and the word-boundary piece alone need \(minimum); ask for at least \(minimum + 1)"
    case .noTrainingText:
      return "no training text: every input line is empty; give files with one sentence a line"
    case .input(let error):
      return error.description
    case .cannotRead(let path, let reason):
      return "cannot read BPE model '\(path)': \(reason)"
    case .cannotWrite(let path, let reason):
      return "cannot write BPE model '\(path)': \(reason)"
    case .malformedModel(let path, let line, let reason):
      return "\(path):\(line): not a valid BPE model: \(reason); learn it again with "
        + "'transformer-cli bpe learn'"
    case .idOutOfRange(let id, let size):
      return "token id \(id) is not in the vocabulary (ids are 0..<\(size)); was it produced "
        + "with another BPE model?"
    }
  }

  /// The same text as ``description``, for callers that print `localizedDescription`.
  public var errorDescription: String? { description }
}
