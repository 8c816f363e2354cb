import Checkpoints
import Foundation
import Support
import Training

/// The checkpoint directory a model command (`translate`, `eval`, `attention`, `trace`) loads,
/// and the line that names it on stderr.
///
/// `--checkpoint` may be a checkpoint directory, a run directory (its `best/` is used), or a
/// file inside a checkpoint such as `model.safetensors` (its directory is used); without it,
/// `best/` of the run that `runs/.last-run` names.
struct CheckpointLocation: Equatable {
  /// The checkpoint directory.
  var directory: String
  /// How `directory` was found when it is not the path given, for the loaded line.
  var origin: String?

  /// The checkpoint `given` (the `--checkpoint` value) means.
  ///
  /// - Throws: `RuntimeError` when nothing was given and no run was recorded (or the recorded
  ///   run's directory is gone), or `given` is a file outside a checkpoint, a run without
  ///   best/, or a directory holding no checkpoint.
  static func resolve(_ given: String?) throws(RuntimeError) -> CheckpointLocation {
    guard let given else {
      guard let run = TrainingRunPointer.runDirectory() else {
        if let recorded = TrainingRunPointer.recordedRun() {
          throw RuntimeError(
            "no checkpoint given, and the run that '\(TrainingRunPointer.defaultPath)' records, "
              + "'\(recorded)', is missing (no such directory); pass '--checkpoint <dir>' (a "
              + "checkpoint or a run directory), or train a model again")
        }
        throw RuntimeError(
          "no checkpoint given and no trained run recorded in "
            + "'\(TrainingRunPointer.defaultPath)' of the current directory; train a model "
            + "first, or pass '--checkpoint <dir>' (a checkpoint or a run directory)")
      }
      return CheckpointLocation(
        directory: CheckpointStore.join(run, CheckpointStore.bestName),
        origin: "best/ of the latest run, from \(TrainingRunPointer.defaultPath)")
    }
    let files = FileManager.default
    var isDirectory: ObjCBool = false
    guard files.fileExists(atPath: given, isDirectory: &isDirectory) else {
      return CheckpointLocation(directory: given)
    }
    if !isDirectory.boolValue {
      guard let directory = enclosingCheckpoint(ofFile: given) else {
        throw RuntimeError(
          "'--checkpoint \(given)' is a file outside any checkpoint; give a checkpoint "
            + "directory, a run directory, or a file inside a checkpoint such as "
            + "\(Checkpoint.modelFileName)")
      }
      return CheckpointLocation(directory: directory, origin: "the directory of '\(given)'")
    }
    if holdsModel(given) { return CheckpointLocation(directory: given) }
    let best = CheckpointStore.join(given, CheckpointStore.bestName)
    if holdsModel(best) {
      return CheckpointLocation(
        directory: best, origin: "best/ of the run directory '\(given)'")
    }
    let last = CheckpointStore.join(given, CheckpointStore.lastName)
    if holdsModel(last) {
      // Not taken silently: last/ is the newest state, not the best, and the user should know.
      throw RuntimeError(
        "'--checkpoint \(given)' is a run directory without best/ (written at the first "
          + "validation); pass '--checkpoint \(last)' for its newest checkpoint")
    }
    if !files.fileExists(atPath: CheckpointStore.join(given, Checkpoint.configFileName)) {
      throw RuntimeError(
        "'--checkpoint \(given)' holds no checkpoint: neither \(Checkpoint.modelFileName) "
          + "nor a run's best/ or last/")
    }
    return CheckpointLocation(directory: given)
  }

  /// The checkpoint directory an `average` argument names: a checkpoint directory as given,
  /// or the directory of a file inside one (`model.safetensors`), as `--checkpoint` takes them.
  /// A path that does not exist is returned as given, for reading it to report.
  ///
  /// A run directory is refused rather than taken as its `best/`: one run's best checkpoint is
  /// an odd thing to average, and a run given alone most likely meant `--last N`.
  ///
  /// - Throws: `RuntimeError` for a run directory or a file outside any checkpoint.
  static func averaged(_ given: String) throws(RuntimeError) -> String {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: given, isDirectory: &isDirectory) else {
      return given
    }
    if !isDirectory.boolValue {
      guard let directory = enclosingCheckpoint(ofFile: given) else {
        throw RuntimeError(
          "'\(given)' is a file outside any checkpoint; name checkpoint directories, or a file "
            + "inside one such as \(Checkpoint.modelFileName)")
      }
      return directory
    }
    if holdsModel(given) { return given }
    if CheckpointStore(directory: given).holdsCheckpoints {
      throw RuntimeError(
        "'\(given)' is a run directory, not a checkpoint; name the checkpoints to average "
          + "('\(CheckpointStore.join(given, CheckpointStore.stepsName))/step-N', "
          + "'\(CheckpointStore.join(given, CheckpointStore.bestName))' or "
          + "'\(CheckpointStore.join(given, CheckpointStore.lastName))'), or pass --last N to "
          + "average its newest N step checkpoints")
    }
    return given
  }

  /// Whether `directory` holds a `model.safetensors`.
  private static func holdsModel(_ directory: String) -> Bool {
    FileManager.default.fileExists(
      atPath: CheckpointStore.join(directory, Checkpoint.modelFileName))
  }

  /// The checkpoint directory holding the file `path` (`model.safetensors`, `config.json`),
  /// or nil when its directory holds neither: loading would otherwise name a missing
  /// config.json beside an unrelated file.
  private static func enclosingCheckpoint(ofFile path: String) -> String? {
    let parent = (path as NSString).deletingLastPathComponent
    let directory = parent.isEmpty ? "." : parent
    let config = CheckpointStore.join(directory, Checkpoint.configFileName)
    return holdsModel(directory) || FileManager.default.fileExists(atPath: config)
      ? directory : nil
  }

  /// The step the checkpoint `directory` was saved at, from its trainer state; nil when it has
  /// none (an averaged checkpoint) or it cannot be read. Reads only the safetensors header.
  static func step(of directory: String) -> Int? {
    let trainer = CheckpointStore.join(directory, TrainerCheckpointFile.fileName)
    guard let text = metadata(ofSafeTensors: trainer)?[TrainerCheckpointFile.stateKey] else {
      return nil
    }
    return (try? JSONParser.parse(text))?["step"]?.integer
  }

  /// `checkpoint: runs/toy/best (step 1000; best/ of the run directory 'runs/toy')`.
  var loadedLine: String {
    let details = [CheckpointLocation.describe(directory), origin].compactMap { $0 }
    return "checkpoint: \(directory)"
      + (details.isEmpty ? "" : " (\(details.joined(separator: "; ")))")
  }

  /// `step 1000` from the trainer state, `average of 5 checkpoints` for an averaged one, or nil
  /// when neither is recorded. Reads only the safetensors headers.
  static func describe(_ directory: String) -> String? {
    if let step = step(of: directory) { return "step \(step)" }
    let model = CheckpointStore.join(directory, Checkpoint.modelFileName)
    if let text = metadata(ofSafeTensors: model)?[CheckpointAverage.sourcesMetadataKey],
      let sources = (try? JSONParser.parse(text))?.elements
    {
      return "average of \(sources.count) checkpoints"
    }
    return nil
  }

  /// The `__metadata__` of the safetensors file at `path`, read from its header alone; nil
  /// when the file is missing or not safetensors (loading it reports that properly).
  private static func metadata(ofSafeTensors path: String) -> [String: String]? {
    guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
    defer { try? handle.close() }
    guard let prefix = try? handle.read(upToCount: 8), prefix.count == 8 else { return nil }
    let length = prefix.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    guard length < 1 << 26, let header = try? handle.read(upToCount: Int(length)),
      header.count == Int(length),
      let metadata = (try? JSONValue.parse(header))?["__metadata__"]?.members
    else { return nil }
    var strings: [String: String] = [:]
    for (key, value) in metadata {
      guard let text = value.string else { return nil }
      strings[key] = text
    }
    return strings
  }
}
