import Foundation

/// Why batches cannot be planned.
public enum BatchError: Error, Equatable, CustomStringConvertible, LocalizedError {
  /// There are no sentence pairs to batch.
  case noPairs
  /// The token budget per batch is not positive.
  case invalidMaxTokens(Int)
  /// The sorting chunk is not positive.
  case invalidChunkSize(Int)

  /// A one-line message naming the value at fault.
  public var description: String {
    switch self {
    case .noPairs:
      return "no sentence pairs to batch; check that the training files are not empty"
    case .invalidMaxTokens(let value):
      return "the batch token budget must be positive, not \(value); try 4096"
    case .invalidChunkSize(let value):
      return "the sorting chunk size must be positive, not \(value)"
    }
  }

  /// The same text as ``description``, for callers that print `localizedDescription`.
  public var errorDescription: String? { description }
}
