import Foundation

/// Why a safetensors file cannot be read or written.
///
/// Every message is one line that starts with the file's path as given, then says what is wrong;
/// a file refused as ``malformed(path:reason:)`` is corrupt, truncated or not a safetensors file.
public enum SafeTensorsError: Error, Equatable, CustomStringConvertible, LocalizedError {
  /// The file could not be opened or read.
  case cannotRead(path: String, reason: String)
  /// The file (or its temporary sibling) could not be written or renamed into place.
  case cannotWrite(path: String, reason: String)
  /// The bytes do not form a safetensors file this program accepts; `reason` names the problem.
  case malformed(path: String, reason: String)
  /// The file is well formed but lacks a tensor the caller needs.
  case missingTensor(path: String, name: String)
  /// A tensor exists but has another shape than the caller needs.
  case shapeMismatch(path: String, name: String, expected: [Int], found: [Int])
  /// A tensor the caller needs holds NaN or ±∞ (`value`, as text) at element `index`: a
  /// checkpoint never does, so the file is damaged.
  case nonFinite(path: String, name: String, index: Int, value: String)
  /// A metadata entry the caller needs is missing or unreadable.
  case badMetadata(path: String, key: String, reason: String)

  /// A one-line message naming the file and the problem.
  public var description: String {
    switch self {
    case .cannotRead(let path, let reason):
      return "cannot read '\(path)': \(reason)"
    case .cannotWrite(let path, let reason):
      return "cannot write '\(path)': \(reason)"
    case .malformed(let path, let reason):
      return "\(path): not a valid safetensors file: \(reason)"
    case .missingTensor(let path, let name):
      return
        "\(path): no tensor named \"\(name)\"; the file was written by another model or version"
    case .shapeMismatch(let path, let name, let expected, let found):
      return "\(path): tensor \"\(name)\" has shape \(found) but \(expected) is needed; "
        + "the file was written for a model of another size"
    case .nonFinite(let path, let name, let index, let value):
      return "\(path): tensor \"\(name)\" holds \(value) (element \(index)), which training "
        + "never saves, so the file is damaged"
    case .badMetadata(let path, let key, let reason):
      return "\(path): metadata \"\(key)\" \(reason)"
    }
  }

  /// The same text as ``description``, for callers that print `localizedDescription`.
  public var errorDescription: String? { description }
}
