import Foundation
import Checkpoints
import Decoding
import Training

/// The options `translate` and `eval` share to load a model and search with it:
/// `--checkpoint`, `--beam`, `--alpha`, `--max-len`.
struct TranslateOptions: OptionGroup {
  static var options: [OptionDescription] {
    [
      .option(
        "checkpoint", value: "dir",
        help: "The checkpoint directory (default: best/ of the most recently trained run "
          + "under runs/)."),
      .option("beam", value: "size", help: "Beam size; 1 is greedy search (default: 4)."),
      .option("alpha", value: "a", help: "Length penalty exponent α (default: 0.6)."),
      .option(
        "max-len", value: "count",
        help: "The most output pieces (default: source length + 50)."),
    ]
  }

  /// `--checkpoint`, nil for the most recent run's best checkpoint.
  var checkpoint: String?
  /// `--beam`.
  var beamSize = 4
  /// `--alpha`.
  var alpha = 0.6
  /// `--max-len`.
  var maxLength: Int?

  /// The defaults: the latest run's best checkpoint, beam 4, α 0.6, no fixed length limit.
  init() {}

  init(_ arguments: Arguments) throws {
    checkpoint = arguments.value(of: "checkpoint")
    beamSize = try arguments.positiveInteger("beam") ?? beamSize
    alpha = try arguments.number("alpha") ?? alpha
    maxLength = try arguments.positiveInteger("max-len")
  }

  func validate() throws {
    if alpha < 0 { throw UsageError("invalid value '\(alpha)' for '--alpha': expected α ≥ 0") }
  }

  /// The search options these values describe.
  func decodingOptions(nbest: Int = 1) -> DecodingOptions {
    DecodingOptions(
      beamSize: beamSize, alpha: Float(alpha), maxLength: maxLength, nbest: nbest)
  }

  /// `--checkpoint`, or `best/` of the run that `runs/.last-run` names.
  ///
  /// - Throws: `RuntimeError` when no checkpoint was given and no run was recorded.
  func checkpointDirectory() throws(RuntimeError) -> String {
    if let checkpoint { return checkpoint }
    guard let run = TrainingRunPointer.runDirectory() else {
      throw RuntimeError(
        "no checkpoint given and no trained run recorded in "
          + "'\(TrainingRunPointer.defaultRunsDirectory)/\(TrainingRunPointer.fileName)'; "
          + "train a model first or pass '--checkpoint <dir>'")
    }
    return URL(fileURLWithPath: run).appendingPathComponent(CheckpointStore.bestName).path
  }

  /// The translator of the chosen checkpoint.
  ///
  /// - Throws: `RuntimeError` with the checkpoint's one-line problem (`TranslatorError`).
  func translator(nbest: Int = 1) throws(RuntimeError) -> Translator {
    let directory = try checkpointDirectory()
    do {
      return try Translator(checkpoint: directory, options: decodingOptions(nbest: nbest))
    } catch {
      throw RuntimeError(error.description)
    }
  }
}
