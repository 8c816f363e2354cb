import Foundation
import NN
import Config
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
  /// replaced only when it is empty or `replacing` is true; the old one is renamed aside first
  /// and removed last.
  ///
  /// - Throws: ``CheckpointAverageError/outputExists(path:)``, or
  ///   ``CheckpointAverageError/cannotWrite(path:reason:)`` naming the file.
  public func write(to directory: String, replacing: Bool) throws(CheckpointAverageError) {
    let manager = FileManager.default
    let url = URL(fileURLWithPath: directory)
    let parent = url.deletingLastPathComponent().path
    let name = url.lastPathComponent
    let exists = manager.fileExists(atPath: directory)
    if exists, !replacing,
      !((try? manager.contentsOfDirectory(atPath: directory))?.isEmpty ?? false)
    {
      throw .outputExists(path: directory)
    }
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
