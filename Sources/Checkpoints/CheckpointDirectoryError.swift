import Config
import Foundation
import NN
import Support
import Tokenizer

/// Why a checkpoint directory (`model.safetensors`, `config.json`, the BPE models and the
/// trainer's state) cannot be written or read.
///
/// Every message is one line that names the file and says what to do.
public enum CheckpointDirectoryError: Error, Equatable, CustomStringConvertible, LocalizedError {
  /// A file of the checkpoint is missing, truncated or unreadable.
  case damaged(path: String, reason: String)
  /// The checkpoint is valid but was written by another model or config.
  case mismatched(path: String, reason: String)
  /// `model.safetensors` records a layout version (`model.format_version`) other than the one
  /// this build reads: written by another version of the program, not damaged.
  case otherFormatVersion(path: String, found: String)
  /// The checkpoint's config.json (`config`) and model.safetensors (`model`) describe
  /// different models: each difference's `value` is config.json's, `other` the weights'.
  case inconsistent(config: String, model: String, differences: [ModelConfigDifference])
  /// A file or directory of the checkpoint store could not be written.
  case cannotWrite(path: String, reason: String)
  /// The config could not be written.
  case config(ConfigError)
  /// A BPE model could not be read or written.
  case vocabulary(BPEError)

  /// A one-line message naming the file, the problem and the remedy.
  public var description: String {
    switch self {
    case .damaged(let path, let reason):
      return "\(path): damaged checkpoint: \(reason); HINT: copy a good checkpoint (such as "
        + "'best') over it to resume from there, or train afresh in another output.dir"
    case .otherFormatVersion(let path, let found):
      return "\(path): written in checkpoint format \(found), but this transformer-cli reads "
        + "format \(jsonStringLiteral(Transformer.formatVersion)) only; HINT: use the "
        + "transformer-cli that wrote it"
    case .mismatched(let path, let reason):
      return "\(path): \(reason); HINT: resume with the config the run was started with (its "
        + "copy is the checkpoint's config.json), or train afresh in another output.dir"
    case .inconsistent(let config, let model, let differences):
      let said = differences.map { "model.\($0.key) \($0.value)" }.joined(separator: ", ")
      let held = differences.map { "\($0.key) \($0.other)" }.joined(separator: ", ")
      return "\(config) says \(said), but \(model) holds a model with \(held): the checkpoint's "
        + "files disagree (one was edited or copied from another checkpoint); HINT: put the "
        + "values \(Checkpoint.modelFileName) holds back into \(Checkpoint.configFileName), or "
        + "copy a good checkpoint over it"
    case .cannotWrite(let path, let reason):
      return "cannot write '\(path)': \(reason)"
    case .config(let error):
      return error.description
    case .vocabulary(let error):
      return error.description
    }
  }

  /// The same text as ``description``.
  public var errorDescription: String? { description }

  /// `error`'s message without the leading path (the caller names the file itself).
  public static func reason(_ error: SafeTensorsError, path: String) -> String {
    reason(error.description, path: path)
  }

  /// `text` without a leading mention of `path` (`path: `, `cannot read 'path': `,
  /// `cannot read config 'path': `), for a message that names the file itself.
  public static func reason(_ text: String, path: String) -> String {
    for prefix in ["\(path): ", "cannot read '\(path)': ", "cannot read config '\(path)': "]
    where text.hasPrefix(prefix) {
      return String(text.dropFirst(prefix.count))
    }
    return text
  }
}
