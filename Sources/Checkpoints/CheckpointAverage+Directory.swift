import Config
import Foundation
import NN
import Support
import Tokenizer

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

extension CheckpointAverage {
  /// Writes the average as a checkpoint directory `directory`: `model.safetensors` with the
  /// averaged weights, and `config.json` and the BPE model copied from the reference (the
  /// newest checkpoint). There is no `trainer.safetensors`: the directory is for `translate`
  /// and `eval`, not for resuming training.
  ///
  /// The directory is written whole under a hidden name beside it (`.NAME.average-PID`) and
  /// renamed into place, so `directory` is never half written. An existing `directory` is
  /// replaced only as ``checkReplaceable(_:replacing:)`` allows; the old one is renamed aside
  /// first and removed last.
  ///
  /// - Throws: ``CheckpointAverageError/outputExists(path:)``,
  ///   ``CheckpointAverageError/notACheckpoint(path:reason:)``, or
  ///   ``CheckpointAverageError/cannotWrite(path:reason:)`` naming the file.
  public func write(to directory: String, replacing: Bool) throws(CheckpointAverageError) {
    let manager = FileManager.default
    let url = URL(fileURLWithPath: directory)
    let parent = url.deletingLastPathComponent().path
    let name = url.lastPathComponent
    let exists = manager.fileExists(atPath: directory)
    try Self.checkReplaceable(directory, replacing: replacing)
    do {
      try manager.createDirectory(atPath: parent, withIntermediateDirectories: true)
    } catch {
      throw .cannotWrite(path: parent, reason: (error as NSError).localizedDescription)
    }
    let process = ProcessInfo.processInfo.processIdentifier
    let staging = CheckpointStore.join(parent, ".\(name).average-\(process)")
    let old = CheckpointStore.join(parent, ".\(name).old-\(process)")
    try? manager.removeItem(atPath: staging)
    do {
      try manager.createDirectory(atPath: staging, withIntermediateDirectories: false)
    } catch {
      throw .cannotWrite(path: staging, reason: (error as NSError).localizedDescription)
    }
    do throws(CheckpointAverageError) {
      try fill(staging)
      if exists { try Self.move(directory, to: old) }
      do throws(CheckpointAverageError) {
        try Self.move(staging, to: directory)
      } catch {
        if exists { try? Self.move(old, to: directory) }
        throw error
      }
    } catch {
      try? manager.removeItem(atPath: staging)
      throw error
    }
    if exists { try? manager.removeItem(atPath: old) }
  }

  /// Throws unless an average may be written to `directory`: it does not exist or is empty, or
  /// `replacing` is true and it is a checkpoint (``Checkpoint/modelFileName`` and nothing but
  /// ``Checkpoint/fileNames``). Replacing removes the old directory whole, so `--force` must
  /// not take a run, a project or anything else that happens to be there.
  ///
  /// - Throws: ``CheckpointAverageError/outputExists(path:)`` without `replacing`,
  ///   ``CheckpointAverageError/notACheckpoint(path:reason:)`` with it.
  public static func checkReplaceable(_ directory: String, replacing: Bool)
    throws(CheckpointAverageError)
  {
    let manager = FileManager.default
    guard manager.fileExists(atPath: directory) else { return }
    // Unreadable counts as not empty: what it holds is unknown.
    let entries = (try? manager.contentsOfDirectory(atPath: directory).sorted())
    if entries?.isEmpty == true { return }
    guard replacing else { throw .outputExists(path: directory) }
    guard let entries else {
      throw .notACheckpoint(path: directory, reason: "what it holds cannot be read")
    }
    // A run's checkpoints are the run's: last/ is what --resume continues, best/ what it
    // compares with, and a step checkpoint what --last averages.
    if entries.contains(Checkpoint.trainerFileName) {
      throw .notACheckpoint(
        path: directory,
        reason: "it is a training checkpoint, whose \(Checkpoint.trainerFileName) --resume needs")
    }
    if let run = runHolding(directory) {
      throw .notACheckpoint(path: directory, reason: "it is a checkpoint of the run '\(run)'")
    }
    for entry in entries {
      guard Checkpoint.fileNames.contains(entry) else {
        throw .notACheckpoint(
          path: directory, reason: "it holds '\(entry)', which no checkpoint has")
      }
      var status = stat()
      if lstat(CheckpointStore.join(directory, entry), &status) == 0,
        status.st_mode & S_IFMT == S_IFDIR
      {
        throw .notACheckpoint(
          path: directory, reason: "its '\(entry)' is a directory, not a checkpoint's file")
      }
    }
    if !entries.contains(Checkpoint.modelFileName) {
      throw .notACheckpoint(path: directory, reason: "it holds no \(Checkpoint.modelFileName)")
    }
  }

  /// The run whose own checkpoint `directory` is (`R/best`, `R/last`,
  /// `R/checkpoints/step-N`), or nil: an average kept elsewhere in a run directory is not one.
  private static func runHolding(_ directory: String) -> String? {
    let path = URL(fileURLWithPath: directory).standardizedFileURL.path as NSString
    let (name, parent) = (path.lastPathComponent, path.deletingLastPathComponent as NSString)
    if [CheckpointStore.bestName, CheckpointStore.lastName].contains(name),
      CheckpointStore(directory: parent as String).holdsCheckpoints
    {
      return parent as String
    }
    if parent.lastPathComponent == CheckpointStore.stepsName,
      CheckpointStore.stepNumber(name) != nil
    {
      return parent.deletingLastPathComponent
    }
    return nil
  }

  /// Writes the checkpoint's files into the empty directory `staging`, each atomically.
  private func fill(_ staging: String) throws(CheckpointAverageError) {
    guard let reference = checkpoints.last else { throw .noCheckpoints }
    let modelPath = CheckpointStore.join(staging, Checkpoint.modelFileName)
    do {
      try model.write(to: modelPath)
    } catch {
      throw .cannotWrite(
        path: modelPath, reason: CheckpointDirectoryError.reason(error, path: modelPath))
    }
    let config: RunConfig
    do {
      config = try Checkpoint.config(in: reference)
    } catch {
      throw .unreadable(path: reference, reason: error.description)
    }
    let copied =
      [Checkpoint.configFileName]
      + TrainingVocabulary.fileNames(isJoint: config.data.jointVocabulary)
    for file in copied {
      let bytes = try Self.contents(of: CheckpointStore.join(reference, file))
      let target = CheckpointStore.join(staging, file)
      do {
        try AtomicFile.write(bytes, to: target)
      } catch {
        throw .cannotWrite(path: target, reason: error.reason)
      }
    }
  }

  /// Renames `source` to `target` (`rename(2)`), with a one-line error.
  private static func move(_ source: String, to target: String) throws(CheckpointAverageError) {
    if rename(source, target) != 0 {
      throw .cannotWrite(
        path: target,
        reason: "cannot rename '\(source)' to it: \(String(cString: strerror(errno)))")
    }
  }
}
