import Foundation

/// Why a run configuration cannot be used.
///
/// Every message is one line that starts with where the problem is, the config file (with line
/// and column for JSON syntax) or the `--set` argument, then the JSON path, then what is wrong:
///
///     configs/toy.json: training.max_step: unknown key (did you mean "max_steps"?)
///     configs/toy.json:7:5: expected ',' or '}' after the value of "heads", found '"'
///     --set model.heads=eight: model.heads: expected an integer, got "eight"
public enum ConfigError: Error, Equatable, CustomStringConvertible, LocalizedError {
  /// The config file could not be opened or read.
  case cannotRead(path: String, reason: String)
  /// `config.json` could not be written.
  case cannotWrite(path: String, reason: String)
  /// The file is not valid JSON; `line` and `column` are 1-based.
  case syntax(source: String, line: Int, column: Int, message: String)
  /// A value is missing, of the wrong type or impossible. `source` is the file or the `--set`
  /// argument the value came from; `path` the JSON path (`model.heads`), empty for the whole file.
  case invalid(source: String, path: String, message: String)

  /// A one-line message naming the source, the path and the problem.
  public var description: String {
    switch self {
    case .cannotRead(let path, let reason):
      return "cannot read config '\(path)': \(reason)"
    case .cannotWrite(let path, let reason):
      return "cannot write '\(path)': \(reason)"
    case .syntax(let source, let line, let column, let message):
      return "\(source):\(line):\(column): \(message)"
    case .invalid(let source, let path, let message):
      return path.isEmpty ? "\(source): \(message)" : "\(source): \(path): \(message)"
    }
  }

  /// The same text as ``description``, for callers that print `localizedDescription`.
  public var errorDescription: String? { description }
}
