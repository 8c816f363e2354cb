import NN
import Checkpoints

extension TrainerCheckpointFile {
  /// The trainer state saved at `path`, without loading Adam's moments into an optimiser: what
  /// `--resume` checks before preparing anything (has the run already reached its limits?).
  ///
  /// - Throws: ``TrainingError/damagedCheckpoint(path:reason:)`` as ``read(from:into:)`` does.
  public static func state(at path: String) throws(TrainingError) -> TrainerState {
    let file: SafeTensorsFile
    do {
      file = try SafeTensorsFile(contentsOf: path)
    } catch {
      throw .damagedCheckpoint(path: path, reason: CheckpointDirectoryError.reason(error, path: path))
    }
    return try state(of: file, path: path)
  }
}
