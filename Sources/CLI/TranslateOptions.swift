import Checkpoints
import Decoding
import Foundation
import NN
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
      .option(
        "alpha", value: "a",
        help: "Length penalty exponent α, 0 to \(Int(maximumAlpha)) (default: 0.6)."),
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
  /// The search options given (`beam`, `alpha`, `max-len`), for commands that refuse them
  /// when they would have no effect.
  var givenSearchOptions: [String] = []

  /// The largest `--alpha`. Beyond it the penalty ((5 + |Y|)/6)^α of a long hypothesis leaves
  /// the range of `Float` and ranks hypotheses arbitrarily; Wu et al. 2016 tune α in [0, 1].
  static let maximumAlpha = 10.0

  /// The defaults: the latest run's best checkpoint, beam 4, α 0.6, no fixed length limit.
  init() {}

  init(_ arguments: Arguments) throws {
    checkpoint = arguments.value(of: "checkpoint")
    beamSize = try arguments.positiveInteger("beam", maximum: CountLimit.beam) ?? beamSize
    alpha = try arguments.number("alpha", in: 0...Self.maximumAlpha) ?? alpha
    maxLength = try arguments.positiveInteger("max-len")
    quiet = arguments.contains("quiet")
    givenSearchOptions = ["beam", "alpha", "max-len"].filter(arguments.contains)
  }

  /// Nothing to check: each value is checked against its range as it is parsed.
  func validate() throws {}

  /// Throws a usage error naming the first search option given, which `reason` explains has
  /// no effect (`with '--target' the model translates nothing`).
  func refuseSearchOptions(because reason: String) throws(UsageError) {
    guard let option = givenSearchOptions.first else { return }
    throw UsageError("'--\(option)' chooses how the model searches, but \(reason); leave it out")
  }

  /// The search options these values describe; `scores`: whether the hypotheses' scores are
  /// printed (greedy search skips the log-softmax without them).
  func decodingOptions(nbest: Int = 1, scores: Bool = true) -> DecodingOptions {
    DecodingOptions(
      beamSize: beamSize, alpha: Float(alpha), maxLength: maxLength, nbest: nbest,
      scores: scores)
  }

  /// The translator of the chosen checkpoint (see ``CheckpointLocation``); once it is loaded,
  /// `report` gets the line naming it, unless `--quiet`, and the warning of a `--max-len` the
  /// model's positions cut short (``maxLengthWarning(_:)``).
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
    if let warning = maxLengthWarning(translator.model.configuration) { report(warning) }
    return translator
  }

  /// The warning for a `--max-len` above what the model's positions hold, nil when it fits.
  ///
  /// The search stops a translation at max_positions − 1 pieces (one position goes to `<s>`);
  /// a decoder-only model's one sequence also holds the source and `</s>`, so there it stops
  /// sooner, and even the shortest source (1 piece) leaves max_positions − 3.
  func maxLengthWarning(_ configuration: TransformerConfiguration) -> String? {
    guard let maxLength else { return nil }
    let positions = configuration.maxPositions
    if configuration.isDecoderOnly {
      guard maxLength > positions - 3 else { return nil }
      return "warning: --max-len \(maxLength) is more than this decoder-only model can produce: "
        + "model.max_positions (\(positions)) holds the source, </s>, <s> and the translation, "
        + "so a translation stops at \(positions - 2) pieces minus the source's"
    }
    guard maxLength > positions - 1 else { return nil }
    return "warning: --max-len \(maxLength) is more than the model's positions hold: "
      + "translations stop at \(positions - 1) pieces (model.max_positions \(positions), one "
      + "for <s>)"
  }
}
