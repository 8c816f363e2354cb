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
  /// The text to translate.
  let sourceText: String
  /// The target: the reference when one was given, else the model's translation.
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
    try Self.checkLength(source, "text", model: model)
    let target: [Int]
    if let reference {
      target = vocabulary.target.encodeIDs(reference)
      guard !target.isEmpty else {
        throw UsageError("the reference '\(reference)' has no pieces; give a non-blank target")
      }
    } else {
      target = translator.search([source])[0].first?.tokens ?? []
    }
    try Self.checkLength(target, "target", model: model)
    let c = model.configuration
    if c.isDecoderOnly && source.count + target.count + 2 > c.maxPositions {
      throw UsageError(
        "the text and its target are \(source.count) + \(target.count) pieces, but a "
          + "decoder-only model holds at most \(c.maxPositions - 2) in one sequence "
          + "(model.max_positions \(c.maxPositions)); give a shorter sentence")
    }
    let sourceIDs = source + [Vocabulary.endID]  // [S]
    let targetInputIDs = [Vocabulary.startID] + target  // [T]
    let targetOutputIDs = target + [Vocabulary.endID]  // [T]
    let trace = ForwardTrace()
    let (loss, _) = model.loss(
      sourceIDs: sourceIDs, targetInputIDs: targetInputIDs, targetOutputIDs: targetOutputIDs,
      sourceLengths: [sourceIDs.count], targetLengths: [targetInputIDs.count],
      labelSmoothing: 0, trace: trace)
    func pieces(_ ids: [Int], _ model: BPEModel) -> [String] {
      ids.map { model.vocabulary.piece(forID: $0) ?? "<\($0)>" }
    }
    sourceText = text
    targetText = reference ?? translator.text(of: target)
    isReference = reference != nil
    sourcePieces = pieces(sourceIDs, vocabulary.source)
    targetInputPieces = pieces(targetInputIDs, vocabulary.target)
    targetOutputPieces = pieces(targetOutputIDs, vocabulary.target)
    configuration = model.configuration
    self.trace = trace
    self.loss = loss.value.scalars[0]
  }

  /// Throws a `UsageError` when `pieces` and `</s>` (or `<s>`) exceed the model's positions.
  private static func checkLength(_ pieces: [Int], _ what: String, model: Transformer)
    throws(UsageError)
  {
    let limit = model.configuration.maxPositions
    guard pieces.count + 1 <= limit else {
      throw UsageError(
        "the \(what) is \(pieces.count) pieces, but the model takes at most \(limit - 1) "
          + "(model.max_positions \(limit)); give a shorter sentence")
    }
  }
}
