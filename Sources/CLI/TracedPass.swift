import Foundation
import NN
import Tokenizer

/// One teacher-forced forward pass of a checkpoint's model on a sentence, recorded step by step:
/// what `attention` and `trace` show.
///
/// The target is the given reference, or else the model's own translation (searched as
/// `translate` searches). The pass is the model's ordinary `loss` with a `ForwardTrace` in its
/// context, so every recorded tensor is one the model computed; with the target it produced
/// itself, the attention weights are the ones its key–value-cached search used.
///
/// Shapes: B = 1, S source pieces + `</s>`, T `<s>` + target pieces.
struct TracedPass {
  /// The text to translate, made fit for output (``BPEModel/outputLine(_:)``).
  let sourceText: String
  /// The target: the reference when one was given, else the model's translation, made fit for
  /// output as translations are.
  let targetText: String
  /// Whether `targetText` is the user's reference (false: the model's own translation).
  let isReference: Bool
  /// The source pieces and `</s>`: the encoder's positions, `[S]`.
  let sourcePieces: [String]
  /// `<s>` and the target pieces: the decoder's input positions, `[T]`.
  let targetInputPieces: [String]
  /// The target pieces and `</s>`: what each decoder position predicts, `[T]`.
  let targetOutputPieces: [String]
  /// The model's shape.
  let configuration: TransformerConfiguration
  /// Every recorded step.
  let trace: ForwardTrace
  /// The mean per-token cross-entropy of the target (no label smoothing).
  let loss: Float

  /// Loads the checkpoint `options` chooses, translates `text` (unless `reference` is given)
  /// and runs the recorded pass.
  ///
  /// - Throws: `UsageError` when a text has no pieces or is longer than the model's positions;
  ///   `RuntimeError` when the checkpoint cannot be loaded.
  init(
    text: String, reference: String?, options: TranslateOptions,
    report: (String) -> Void = { _ in }
  ) throws {
    // The trace shows the tokens, not their scores.
    let translator = try options.translator(scores: false, report: report)
    let vocabulary = translator.vocabulary
    let model = translator.model
    let source = vocabulary.source.encodeIDs(text)
    guard !source.isEmpty else {
      throw UsageError("the text '\(text)' has no pieces to translate; give a non-blank sentence")
    }
    let c = model.configuration
    if !c.isDecoderOnly {
      try Self.checkLength(source, "text", configuration: c)
    } else if reference == nil {
      // The search reads this much of the source, as `translate` does; the pass would not
      // show the translation of the rest.
      try Self.checkDecoderOnlySource(source, configuration: c)
    }
    let target: [Int]
    if let reference {
      target = vocabulary.target.encodeIDs(reference)
      guard !target.isEmpty else {
        throw UsageError("the reference '\(reference)' has no pieces; give a non-blank target")
      }
    } else {
      target = translator.search([source])[0].first?.tokens ?? []
    }
    if !c.isDecoderOnly {
      try Self.checkLength(target, "target", configuration: c)
    } else if source.count + target.count > c.maxPositions - 2 {
      // One sequence `source </s> <s> target`; the search's own translation always fits.
      throw UsageError(
        "the text and its target are \(source.count) + \(target.count) pieces, but a "
          + "decoder-only model holds at most \(c.maxPositions - 2) in one sequence "
          + "(model.max_positions \(c.maxPositions), less </s> and <s>); give a shorter sentence "
          + "or target")
    }
    let sourceIDs = source + [Vocabulary.endID]  // [S]
    let targetInputIDs = [Vocabulary.startID] + target  // [T]
    let targetOutputIDs = target + [Vocabulary.endID]  // [T]
    let trace = ForwardTrace()
    let (loss, _) = model.loss(
      sourceIDs: sourceIDs, targetInputIDs: targetInputIDs, targetOutputIDs: targetOutputIDs,
      sourceLengths: [sourceIDs.count], targetLengths: [targetInputIDs.count],
      labelSmoothing: 0, trace: trace)
    // Learned pieces are the training text's characters, which may include control characters.
    func pieces(_ ids: [Int], _ model: BPEModel) -> [String] {
      ids.map { BPEModel.outputLine(model.vocabulary.piece(forID: $0) ?? "<\($0)>") }
    }
    // Echoed on stdout: what the user typed must not act on the terminal (an ESC sequence) nor
    // break the line, so it follows the rule translations follow.
    sourceText = BPEModel.outputLine(text)
    targetText = reference.map(BPEModel.outputLine) ?? translator.text(of: target)
    isReference = reference != nil
    sourcePieces = pieces(sourceIDs, vocabulary.source)
    targetInputPieces = pieces(targetInputIDs, vocabulary.target)
    targetOutputPieces = pieces(targetOutputIDs, vocabulary.target)
    configuration = model.configuration
    self.trace = trace
    self.loss = loss.value.scalars[0]
  }

  /// Throws a `UsageError` when `pieces` and `</s>` (or `<s>`) exceed an encoder–decoder
  /// model's positions.
  private static func checkLength(
    _ pieces: [Int], _ what: String, configuration c: TransformerConfiguration
  ) throws(UsageError) {
    let limit = c.maxPositions
    guard pieces.count + 1 <= limit else {
      throw UsageError(
        "the \(what) is \(pieces.count) pieces, but the model takes at most \(limit - 1) "
          + "(model.max_positions \(limit), one for </s>); give a shorter sentence")
    }
  }

  /// Throws a `UsageError` when a decoder-only model's search would not read all of `source`:
  /// it keeps half of the positions for the translation (`translate` warns and reads the first
  /// pieces; a trace of a shortened sentence would show another sentence).
  private static func checkDecoderOnlySource(
    _ source: [Int], configuration c: TransformerConfiguration
  ) throws(UsageError) {
    let limit = c.maxSourcePositions - 1
    guard source.count > limit else { return }
    throw UsageError(
      "the text is \(source.count) pieces, but a decoder-only model translates at most "
        + "\(limit) (model.max_positions \(c.maxPositions), half for the source, one for </s>); "
        + "give a shorter sentence, or trace it on a --target (at most \(c.maxPositions - 2) "
        + "pieces for the two)")
  }
}
