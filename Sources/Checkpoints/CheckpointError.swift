import Foundation
import Support

/// Why a model's weights cannot be saved to or loaded from a file.
///
/// Every message is one line that starts with the file's path and ends with what to do.
public enum CheckpointError: Error, Equatable, CustomStringConvertible, LocalizedError {
  /// The file cannot be read or written, is not a valid safetensors file, lacks one of the
  /// model's tensors, or holds one with another shape.
  case file(SafeTensorsError)
  /// The file holds tensors the model does not have (sorted names).
  case unexpectedTensors(path: String, names: [String])
  /// The configuration stored in the file is unreadable or describes another architecture.
  case configurationMismatch(path: String, reason: String)

  /// A one-line message naming the file, the problem and the remedy.
  public var description: String {
    switch self {
    case .file(let error):
      return error.description
    case .unexpectedTensors(let path, let names):
      let shown = names.prefix(3).map { "\"\($0)\"" }.joined(separator: ", ")
      let more = names.count > 3 ? " and \(names.count - 3) more" : ""
      return "\(path): \(counted(names.count, "tensor")) the model does not "
        + "have (\(shown)\(more)); the file was written by another model or version"
    case .configurationMismatch(let path, let reason):
      return "\(path): \(reason); build the model from the file's own configuration, or train "
        + "a new one"
    }
  }

  /// The same text as ``description``, for callers that print `localizedDescription`.
  public var errorDescription: String? { description }
}
