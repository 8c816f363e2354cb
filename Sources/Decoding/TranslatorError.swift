import Checkpoints
import Foundation

/// Why a checkpoint cannot be used to translate, in one line naming the file.
public enum TranslatorError: Error, Equatable, CustomStringConvertible, LocalizedError {
  /// The checkpoint directory does not exist.
  case missingCheckpoint(path: String)
  /// A file of the checkpoint is missing, unreadable or does not fit the others.
  case unreadableCheckpoint(path: String, reason: String)

  public var description: String {
    switch self {
    case .missingCheckpoint(let path):
      return "'\(path)': no such checkpoint directory; train a model first or pass "
        + "'--checkpoint <dir>' (a run's best/ or last/)"
    case .unreadableCheckpoint(let path, let reason):
      return "\(path): cannot load the checkpoint: \(reason)"
    }
  }

  /// The same text as ``description``.
  public var errorDescription: String? { description }

  /// The error of loading `directory` that failed with `error`.
  static func loading(_ directory: String, _ error: CheckpointDirectoryError) -> TranslatorError {
    switch error {
    case .damaged(let path, var reason), .mismatched(let path, var reason):
      // The reason may repeat the path of the config file it comes from.
      if reason.hasPrefix(path + ": ") { reason.removeFirst(path.count + 2) }
      return .unreadableCheckpoint(path: path, reason: reason)
    case .otherFormatVersion(let path, _):
      return .unreadableCheckpoint(
        path: path, reason: String(error.description.dropFirst(path.count + 2)))
    default:
      return .unreadableCheckpoint(path: directory, reason: error.description)
    }
  }
}
