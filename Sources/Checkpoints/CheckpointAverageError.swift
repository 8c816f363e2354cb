import Foundation
import Support

/// Why checkpoints cannot be averaged, or the average cannot be saved.
///
/// Every message is one line that names the checkpoint (or file) at fault, the tensor or field
/// that differs, and what to do.
public enum CheckpointAverageError: Error, Equatable, CustomStringConvertible, LocalizedError {
  /// No checkpoint was given.
  case noCheckpoints
  /// A file of a checkpoint is missing or cannot be read; `reason` is the cause.
  case unreadable(path: String, reason: String)
  /// A file of a checkpoint is readable but damaged (a tensor holds NaN or ±∞).
  case damaged(path: String, reason: String)
  /// One checkpoint directory is named twice (two spellings of one directory).
  case duplicate(first: String, second: String)
  /// Two step directories of a run give the same step (`step-60` and `step-000060`).
  case duplicateStep(directory: String, step: Int, names: [String])
  /// A checkpoint's model configuration differs in `field` from the reference checkpoint's
  /// (the newest, the last one given).
  case configurationMismatch(
    checkpoint: String, field: String, found: String, reference: String, expected: String)
  /// A checkpoint lacks a tensor the reference has, has one more, or one of another shape;
  /// `reason` says which (`has shape [4, 8] where '…' has [4, 16]`).
  case tensorMismatch(checkpoint: String, tensor: String, reason: String)
  /// A checkpoint's BPE model file is missing or differs from the reference's; `reason` is
  /// `is missing` or `differs`.
  case vocabularyMismatch(checkpoint: String, file: String, reference: String, reason: String)
  /// A run directory holds fewer step checkpoints than asked for.
  case tooFewSteps(run: String, requested: Int, available: Int)
  /// The output directory exists and is not empty, and replacing it was not asked for.
  case outputExists(path: String)
  /// The output directory exists and `--force` may not replace it: it is not a checkpoint
  /// (`reason` says why: `it holds 'src', which no checkpoint has`).
  case notACheckpoint(path: String, reason: String)
  /// A file or directory of the output could not be written or moved into place.
  case cannotWrite(path: String, reason: String)

  /// A one-line message naming the checkpoint, the problem and the remedy.
  public var description: String {
    switch self {
    case .noCheckpoints:
      return "no checkpoints to average; name checkpoint directories or a run with --last N"
    case .unreadable(let path, let reason):
      return "cannot read '\(path)': \(reason)"
    case .damaged(let path, let reason):
      return "\(path): \(reason); leave it out of the average"
    case .duplicate(let first, let second):
      return "'\(first)' and '\(second)' are the same checkpoint, which would count twice in "
        + "the average; name each checkpoint once"
    case .duplicateStep(let directory, let step, let names):
      return "'\(directory)' holds \(names.count) checkpoints of step \(step) "
        + "(\(names.map { "'\($0)'" }.joined(separator: " and "))), which --last would count "
        + "as two steps; remove the stray copy, or name the checkpoints to average"
    case .configurationMismatch(let checkpoint, let field, let found, let reference, let expected):
      return "'\(checkpoint)': model field '\(field)' is \(found) but \(expected) in "
        + "'\(reference)'; only checkpoints of the same model can be averaged"
    case .tensorMismatch(let checkpoint, let tensor, let reason):
      return "'\(checkpoint)': tensor '\(tensor)' \(reason); only checkpoints of the same "
        + "model can be averaged"
    case .vocabularyMismatch(let checkpoint, let file, let reference, let reason):
      return "'\(checkpoint)': '\(file)' \(reason) (compared with '\(reference)'); only "
        + "checkpoints of one vocabulary can be averaged"
    case .tooFewSteps(let run, let requested, let available):
      return "'\(run)' holds \(counted(available, "step checkpoint")) in "
        + "'\(CheckpointStore.stepsName)/', fewer than the \(requested) asked for; lower --last "
        + "or raise training.keep_last_checkpoints"
    case .outputExists(let path):
      return "'\(path)' exists and is not empty; pass --force to replace it, or choose another "
        + "--output"
    case .notACheckpoint(let path, let reason):
      return "'\(path)' cannot be replaced (\(reason)); --force replaces only an empty "
        + "directory or an earlier average, so choose another --output"
    case .cannotWrite(let path, let reason):
      return "cannot write '\(path)': \(reason)"
    }
  }

  /// The same text as ``description``, for callers that print `localizedDescription`.
  public var errorDescription: String? { description }
}
