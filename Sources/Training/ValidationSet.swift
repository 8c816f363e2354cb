import Autograd
import Config
import Data
import Decoding
import Distributed
import Foundation
import Metrics
import NN
import Support
import Tokenizer

/// A held-out corpus (the validation set, or the test set scored after training) and the two
/// measurements made on it: the loss (and perplexity) of the reference translations, and the
/// BLEU of greedy translations.
///
/// Both run without dropout and without recording a tape, and neither draws from the model's
/// dropout generator, so validating never changes what training does next.
public struct ValidationSet: Sendable {
  /// The pairs the loss is measured on: those that survived the length filter.
  public let corpus: ParallelCorpus
  /// The source side, one sentence a line as read (BLEU translates every line).
  public let sourceLines: [String]
  /// The reference translations, line-parallel to ``sourceLines``.
  public let referenceLines: [String]
  /// The padded-token budget of a loss batch.
  public let batchTokens: Int

  /// A hash of what the set holds, both sides line by line: a resumed run compares it with the
  /// checkpoint's, since files rewritten in place keep their names.
  public var fingerprint: UInt64 {
    var bytes: [UInt8] = []
    for side in [sourceLines, referenceLines] {
      for line in side {
        bytes += line.utf8
        bytes.append(0x0A)
      }
      bytes.append(0)
    }
    return Fingerprint.of(bytes)
  }

  /// Reads the validation files of `data` and splits them with `vocabulary`.
  ///
  /// - Throws: ``TrainingError/corpus(_:)`` naming the file.
  public init(data: DataConfig, vocabulary: TrainingVocabulary, batchTokens: Int)
    throws(TrainingError)
  {
    try self.init(
      sourceFile: data.validSource, targetFile: data.validTarget, vocabulary: vocabulary,
      maxLength: data.maxLength, batchTokens: batchTokens)
  }

  /// Reads a held-out pair of line-parallel files (validation or test) and splits them with
  /// `vocabulary`; pairs longer than `maxLength` pieces count for BLEU but not for the loss.
  ///
  /// - Throws: ``TrainingError/corpus(_:)`` naming the file.
  public init(
    sourceFile: String, targetFile: String, vocabulary: TrainingVocabulary, maxLength: Int,
    batchTokens: Int
  ) throws(TrainingError) {
    let sources: [String]
    let references: [String]
    do {
      sources = try TextFile.readLines(at: URL(fileURLWithPath: sourceFile))
      references = try TextFile.readLines(at: URL(fileURLWithPath: targetFile))
    } catch {
      throw .corpus(.file(error))
    }
    try self.init(
      sourceLines: sources, targetLines: references, sourcePath: sourceFile,
      targetPath: targetFile, vocabulary: vocabulary, maxLength: maxLength,
      batchTokens: batchTokens)
  }

  /// Splits a held-out pair already read (``init(sourceFile:targetFile:vocabulary:maxLength:batchTokens:)``
  /// reads it); the paths name the files in errors.
  ///
  /// - Throws: ``TrainingError/corpus(_:)`` naming the file.
  public init(
    sourceLines sources: [String], targetLines references: [String], sourcePath: String,
    targetPath: String, vocabulary: TrainingVocabulary, maxLength: Int, batchTokens: Int
  ) throws(TrainingError) {
    do {
      corpus = try ParallelCorpus(
        sourceLines: sources, targetLines: references, sourcePath: sourcePath,
        targetPath: targetPath, sourceModel: vocabulary.source, targetModel: vocabulary.target,
        maxLength: maxLength)
      sourceLines = sources
      referenceLines = references
    } catch {
      throw .corpus(error)
    }
    self.batchTokens = batchTokens
  }

  /// The mean negative log-likelihood per target token of the references, and its exponent.
  ///
  /// - Returns: (loss, perplexity).
  public func loss(of model: Transformer) -> (loss: Double, perplexity: Double) {
    let wasTraining = model.isTraining
    model.isTraining = false
    defer { model.isTraining = wasTraining }
    // The corpus is not empty (loading refuses that) and the budget is positive, so planning
    // cannot fail.
    let planner = try! BatchPlanner(
      pairs: corpus.pairs, maxTokens: batchTokens, seed: 0,
      joinsSourceAndTarget: model.configuration.isDecoderOnly)
    var negativeLogLikelihood = 0.0
    var count = 0
    for indices in planner.plan(epoch: 0) {
      let batch = planner.batch(indices, position: BatchPosition())
      let totals = Tape.withoutRecording {
        model.loss(
          sourceIDs: batch.sourceIDs, targetInputIDs: batch.targetInputIDs,
          targetOutputIDs: batch.targetOutputIDs, sourceLengths: batch.sourceLengths,
          targetLengths: batch.targetLengths, labelSmoothing: 0
        ).totals
      }
      negativeLogLikelihood += totals.negativeLogLikelihood
      count += totals.count
    }
    let loss = negativeLogLikelihood / Double(max(count, 1))
    return (loss, exp(loss))
  }

  /// Greedy translations of the first `limit` source lines (all when nil), as text.
  public func translations(
    by model: Transformer, vocabulary: TrainingVocabulary, limit: Int? = nil
  ) -> [String] {
    let lines = Array(sourceLines.prefix(limit ?? sourceLines.count))
    // The translator switches the model to evaluation; training goes on after validation.
    let wasTraining = model.isTraining
    defer { model.isTraining = wasTraining }
    // Batches of 128 keep the key–value caches small on large validation sets.
    let options = DecodingOptions(beamSize: 1, batchSize: 128)
    return Translator(model: model, vocabulary: vocabulary, options: options).translate(lines)
  }

  /// Corpus BLEU (sacreBLEU's defaults) of greedy translations of the first `limit` lines.
  public func bleu(of model: Transformer, vocabulary: TrainingVocabulary, limit: Int? = nil)
    -> Double
  {
    score(translations(by: model, vocabulary: vocabulary, limit: limit))
  }

  /// Corpus BLEU of `hypotheses` against the first as many references.
  public func score(_ hypotheses: [String]) -> Double {
    let references = Array(referenceLines.prefix(hypotheses.count))
    // Non-empty and line-parallel by construction, so scoring cannot fail.
    return (try? BLEU.corpusScore(hypotheses: hypotheses, references: [references]).score) ?? 0
  }

  /// Both measurements at optimiser step `step`; BLEU only when `withBLEU`.
  public func evaluate(
    _ model: Transformer, vocabulary: TrainingVocabulary, step: Int, withBLEU: Bool,
    bleuLimit: Int? = nil
  ) -> ValidationResult {
    let (loss, perplexity) = loss(of: model)
    let bleu = withBLEU ? bleu(of: model, vocabulary: vocabulary, limit: bleuLimit) : nil
    return ValidationResult(step: step, loss: loss, perplexity: perplexity, bleu: bleu)
  }
}
