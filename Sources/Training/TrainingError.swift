import Checkpoints
import Config
import Data
import Foundation
import Tokenizer

/// Why a training run cannot start, continue or save.
///
/// Every message is one line that names the file or directory at fault, then what is wrong,
/// then what to do, in the manner of llm.c's checkpoint errors.
public enum TrainingError: Error, Equatable, CustomStringConvertible, LocalizedError {
  /// The config could not be read or is invalid (the message names the JSON path).
  case config(ConfigError)
  /// A BPE model could not be learned, read or written.
  case vocabulary(BPEError)
  /// A corpus file could not be read or holds no usable pairs.
  case corpus(CorpusError)
  /// The config asks for something the trainer cannot do; `path` is the JSON path.
  case unsupported(path: String, message: String)
  /// `--resume` was given but the run directory holds no checkpoint to resume.
  case nothingToResume(directory: String)
  /// `--resume` of a run that has already reached `reason` at `step`: nothing is trained.
  case nothingToDo(directory: String, step: Int, reason: TrainingStopReason)
  /// A fresh run would overwrite the checkpoints of an earlier run in `directory`.
  case runExists(directory: String)
  /// Another process (`holder`, "process 1234", when known) trains in `directory` now.
  case runLocked(directory: String, holder: String?)
  /// `--resume` with other validation files than the checkpoint's best score was measured on
  /// (`changes`, as `path 'old' → 'new'`; `best` describes that score).
  case validationChanged(checkpoint: String, changes: [String], best: String)
  /// `--resume` of a run whose trainer state records a best score (`best` describes it) while
  /// its `best/` checkpoint (`path`, or a file in it) is missing or unreadable (`reason`).
  case bestUnusable(path: String, reason: String, best: String)
  /// Rank 0 of an MPI run could not prepare the run directory; it reports why, the other ranks
  /// end quietly.
  case primaryFailed
  /// A checkpoint is damaged, made for another model, or could not be written.
  case checkpoint(CheckpointDirectoryError)
  /// The data file `path` of config key `key` is `name`, a file the run writes in `directory`
  /// (`output.dir`), or lies inside `name` when it ends in `/` (a checkpoint tree it replaces).
  case dataIsOutput(key: String, path: String, directory: String, name: String)
  /// A file or directory of the run could not be written or moved into place.
  case cannotWrite(path: String, reason: String)
  /// The loss of step `step`, or its gradient, was not finite: training diverged. The step
  /// was not taken.
  case diverged(step: Int, loss: Double)

  /// A one-line message naming the file, the problem and the remedy.
  public var description: String {
    switch self {
    case .config(let error):
      return error.description
    case .vocabulary(let error):
      return error.description
    case .corpus(let error):
      return error.description
    case .unsupported(let path, let message):
      return "\(path): \(message)"
    case .nothingToResume(let directory):
      return "nothing to resume: '\(directory)' holds no checkpoint 'last'; train without "
        + "--resume to start the run"
    case .nothingToDo(let directory, let step, let reason):
      return TrainingError.nothingToDoMessage(directory: directory, step: step, reason: reason)
    case .runExists(let directory):
      return "'\(directory)' already holds the checkpoints of a run; pass --resume to continue "
        + "it, or choose another directory with --set output.dir=PATH (or remove this one)"
    case .runLocked(let directory, let holder):
      return "'\(directory)' is in use by another training run"
        + (holder.map { " (\($0))" } ?? "")
        + "; wait for it to end, or choose another directory with --set output.dir=PATH"
    case .validationChanged(let checkpoint, let changes, let best):
      return "\(checkpoint): what validation measures differs from the checkpoint's "
        + "(\(changes.joined(separator: ", "))), but its best score (\(best)) was measured "
        + "before and cannot be compared with scores after; pass --reset-best to resume with "
        + "best/ and training.patience starting afresh, or resume with the old settings"
    case .bestUnusable(let path, let reason, let best):
      return "\(path): \(reason), but the run's best score so far (\(best)) is recorded as held "
        + "there; pass --reset-best to resume with the next validation as best/ (and "
        + "training.patience starting afresh), or copy the best checkpoint back"
    case .primaryFailed:
      return "rank 0 could not prepare the run directory (its message says why)"
    case .checkpoint(let error):
      return error.description
    case .dataIsOutput(let key, let path, let directory, let name):
      let relation = name.hasSuffix("/") ? "lies inside" : "is"
      return "\(key) '\(path)' \(relation) the \(name) that the run writes in output.dir "
        + "'\(directory)'; training would replace its own input, so move the file out or choose "
        + "another output.dir"
    case .cannotWrite(let path, let reason):
      return "cannot write '\(path)': \(reason)"
    case .diverged(let step, let loss):
      return
        "training diverged: "
        + (loss.isFinite
          ? "the gradient of step \(step) overflowed (its loss is \(loss))"
          : "the loss of step \(step) is \(loss)")
        + ", so the step was not taken and "
        + "training stopped; lower training.peak_lr or set training.clip_norm (checkpoints "
        + "written before it are kept)"
    }
  }

  /// The same text as ``description``, for callers that print `localizedDescription`.
  public var errorDescription: String? { description }
}

extension TrainingError {
  /// A checkpoint file is missing, damaged or from another program version.
  static func damagedCheckpoint(path: String, reason: String) -> TrainingError {
    .checkpoint(.damaged(path: path, reason: reason))
  }

  /// A checkpoint was made for another model, vocabulary or corpus than the config describes.
  static func mismatchedCheckpoint(path: String, reason: String) -> TrainingError {
    .checkpoint(.mismatched(path: path, reason: reason))
  }
}

/// Runs `body`, wrapping a checkpoint store's error as ``TrainingError/checkpoint(_:)``.
func checkpointing<T>(_ body: @autoclosure () throws(CheckpointDirectoryError) -> T)
  throws(TrainingError) -> T
{
  do {
    return try body()
  } catch {
    throw .checkpoint(error)
  }
}

/// Runs `body`, wrapping a BPE model's error as ``TrainingError/vocabulary(_:)``.
func tokenizing<T>(_ body: @autoclosure () throws(BPEError) -> T) throws(TrainingError) -> T {
  do {
    return try body()
  } catch {
    throw .vocabulary(error)
  }
}
