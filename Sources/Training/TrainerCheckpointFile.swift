import Autograd
import Checkpoints
import Foundation
import NN
import Support
import Tensors

/// `trainer.safetensors`: the optimiser's moments as tensors, and the ``TrainerState`` and
/// Adam's step count as metadata, behind a magic word and a format version (llm.c's checkpoint
/// header), so that a file from another program or version is refused with a hint rather than
/// misread.
///
///     __metadata__: trainer.format "transformer-cli-trainer", trainer.format_version "1",
///                   trainer.state {…JSON…}, adam.step "250"
///     adam.m.<parameter>, adam.v.<parameter>: Adam's first and second moments
public enum TrainerCheckpointFile {
  /// The file's name inside a checkpoint directory.
  public static let fileName = "trainer.safetensors"
  /// The metadata key of the magic word.
  public static let formatKey = "trainer.format"
  /// The magic word.
  public static let format = "transformer-cli-trainer"
  /// The metadata key of the layout version.
  public static let versionKey = "trainer.format_version"
  /// The layout version this build writes and reads.
  public static let version = "1"
  /// The metadata key of the JSON state.
  public static let stateKey = "trainer.state"

  /// The file for `state` and `optimizer`; its tensors share storage with the optimiser.
  public static func file(state: TrainerState, optimizer: Adam) -> SafeTensorsFile {
    var metadata = optimizer.stateMetadata()
    metadata[formatKey] = format
    metadata[versionKey] = version
    metadata[stateKey] = stateJSON(state)
    return SafeTensorsFile(tensors: optimizer.stateTensors(), metadata: metadata)
  }

  /// The state as one line of JSON. Non-finite numbers (a diverged loss) become strings, which
  /// JSON cannot otherwise hold.
  static func stateJSON(_ state: TrainerState) -> String {
    state.json.compactText()
  }

  /// Reads the file at `path`, loads Adam's moments into `optimizer` and returns the state.
  ///
  /// - Throws: ``TrainingError/damagedCheckpoint(path:reason:)`` when the file is unreadable,
  ///   truncated, of another format or version, or lacks a moment of the right shape.
  public static func read(from path: String, into optimizer: inout Adam) throws(TrainingError)
    -> TrainerState
  {
    let file: SafeTensorsFile
    do {
      file = try SafeTensorsFile(contentsOf: path)
    } catch {
      throw .damagedCheckpoint(
        path: path, reason: CheckpointDirectoryError.reason(error, path: path))
    }
    let state = try state(of: file, path: path)
    do {
      try optimizer.loadState(from: file, path: path)
    } catch {
      throw .damagedCheckpoint(
        path: path, reason: CheckpointDirectoryError.reason(error, path: path))
    }
    return state
  }

  /// The trainer state in `file` (read from `path`), its format and version checked.
  static func state(of file: SafeTensorsFile, path: String) throws(TrainingError)
    -> TrainerState
  {
    guard file.metadata[formatKey] == format else {
      throw .damagedCheckpoint(
        path: path,
        reason: "its metadata \"\(formatKey)\" is not \"\(format)\", so it is not a trainer state")
    }
    guard let found = file.metadata[versionKey], found == version else {
      throw .damagedCheckpoint(
        path: path,
        reason: "trainer state format version \(file.metadata[versionKey] ?? "(none)") is not "
          + "the version \(version) this build reads")
    }
    guard let text = file.metadata[stateKey],
      let json = try? JSONParser.parse(text), let state = TrainerState(json: json)
    else {
      throw .damagedCheckpoint(
        path: path, reason: "its metadata \"\(stateKey)\" is missing or does not parse")
    }
    if let problem = state.problem {
      throw .damagedCheckpoint(path: path, reason: "its trainer state's \(problem)")
    }
    guard RandomGenerator(state: state.dropoutGeneratorState) != nil else {
      throw .damagedCheckpoint(
        path: path, reason: "the saved dropout generator state is not four non-zero words")
    }
    return state
  }
}
