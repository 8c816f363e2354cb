import Foundation
import Checkpoints
import Decoding
import Training

/// The options `translate` and `eval` share to load a model and search with it:
/// `--checkpoint`, `--beam`, `--alpha`, `--max-len`, `--quiet`.
struct TranslateOptions: OptionGroup {
  static var options: [OptionDescription] {
    [
      .option(
        "checkpoint", value: "dir",
        help: "The checkpoint directory, or a run directory for its best/ (default: best/ "
          + "of the run runs/.last-run names)."),
      .option("beam", value: "size", help: "Beam size ≤ 1000; 1 is greedy search (default: 4)."),
      .option("alpha", value: "a", help: "Length penalty exponent α (default: 0.6)."),
      .option(
        "max-len", value: "count",
        help: "The most output pieces (default: source length + 50)."),
      .flag("quiet", help: "Do not name the checkpoint loaded on stderr."),
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
  /// `--quiet`: no line naming the checkpoint.
  var quiet = false

  /// The defaults: the latest run's best checkpoint, beam 4, α 0.6, no fixed length limit.
  init() {}

  init(_ arguments: Arguments) throws {
    checkpoint = arguments.value(of: "checkpoint")
    beamSize = try arguments.positiveInteger("beam", maximum: CountLimit.beam) ?? beamSize
    alpha = try arguments.number("alpha") ?? alpha
    maxLength = try arguments.positiveInteger("max-len")
    quiet = arguments.contains("quiet")
  }

  func validate() throws {
    if alpha < 0 { throw UsageError("invalid value '\(alpha)' for '--alpha': expected α ≥ 0") }
  }

  /// The search options these values describe; `scores`: whether the hypotheses' scores are
  /// printed (greedy search skips the log-softmax without them).
  func decodingOptions(nbest: Int = 1, scores: Bool = true) -> DecodingOptions {
    DecodingOptions(
      beamSize: beamSize, alpha: Float(alpha), maxLength: maxLength, nbest: nbest,
      scores: scores)
  }

  /// The translator of the chosen checkpoint (see ``CheckpointLocation``); once it is loaded,
  /// `report` gets the line naming it, unless `--quiet`.
  ///
  /// - Throws: `RuntimeError` with the checkpoint's one-line problem (`TranslatorError`).
  func translator(
    nbest: Int = 1, scores: Bool = true, report: (String) -> Void = { _ in }
  ) throws(RuntimeError) -> Translator {
    let location = try CheckpointLocation.resolve(checkpoint)
    let translator: Translator
    do {
      translator = try Translator(
        checkpoint: location.directory, options: decodingOptions(nbest: nbest, scores: scores))
    } catch {
      throw RuntimeError(error.description)
    }
    if !quiet { report(location.loadedLine) }
    return translator
  }
}
