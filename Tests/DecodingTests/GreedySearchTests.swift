import Autograd
import NN
import XCTest
@testable import Decoding
import Tokenizer


/// Small seeded models and sources shared by the search tests.
enum SearchFixtures {
  /// D 16, 4 heads, F 32, 2+2 layers, V 40, 24 positions. The `</s>` row of the tied table
  /// is scaled (a seed and factor found by trying a few) so that sentences end after various
  /// lengths, or not at all, and batches shrink.
  ///
  /// The decoder-only model has 40 positions, so that the longest source (10 with `</s>`)
  /// leaves the target the same limits as the encoder–decoder models'.
  static func model(
    _ placement: TransformerConfiguration.NormPlacement, decoderOnly: Bool = false
  ) -> Transformer {
    let (seed, endScale): (UInt64, Float) =
      decoderOnly ? (3, -8) : placement == .post ? (2, -6) : (3, -4)
    let configuration = TransformerConfiguration(
      encoderLayerCount: 2, decoderLayerCount: 2, modelWidth: 16, headCount: 4,
      feedForwardWidth: 32, vocabularySize: 40, dropout: 0, norm: placement,
      tieEmbeddings: true, maxPositions: decoderOnly ? 40 : 24,
      architecture: decoderOnly ? .decoderOnly : .encoderDecoder)
    let model = Transformer(configuration: configuration, seed: seed)
    model.isTraining = false
    model.outputProjection.weight.value.withUnsafeMutableBufferPointer { table in
      for column in 0..<16 { table[Vocabulary.endID * 16 + column] *= endScale }
    }
    return model
  }

  /// The models every search test runs on: post- and pre-norm encoder–decoder, and a pre-norm
  /// decoder-only model, named for messages.
  static var models: [(String, Transformer)] {
    [("post", model(.post)), ("pre", model(.pre)), ("decoder-only", model(.pre, decoderOnly: true))]
  }

  /// Six sources of lengths 1 to 9, ids in 4..<40.
  static let sources: [[Int]] = [
    [5, 9, 12, 7], [14, 6], [30, 31, 32, 33, 34, 35, 36, 37, 38], [8], [20, 21, 22, 4, 4],
    [39, 10, 11, 12, 13, 14, 15],
  ]

  /// Greedy decoding by recomputing the whole prefix every step (`targetLogits`).
  static func referenceGreedy(_ model: Transformer, _ source: [Int], limit: Int)
    -> (tokens: [Int], logProbability: Float)
  {
    let ids = source + [Vocabulary.endID]
    var prefix = [Vocabulary.startID]
    var total: Float = 0
    while true {
      let logits = model.targetLogits(
        sourceIDs: ids, sourceLengths: [ids.count], targetInputIDs: prefix)
      let v = model.configuration.vocabularySize
      let last = Tensor(
        shape: [1, v], scalars: Array(logits.scalars[((prefix.count - 1) * v)...]))
      let logProbabilities = logSoftmax(last).scalars
      var best = Vocabulary.endID
      for id in Vocabulary.endID..<v where logProbabilities[id] > logProbabilities[best] {
        best = id
      }
      total += logProbabilities[best]
      if best == Vocabulary.endID { break }
      prefix.append(best)
      if prefix.count - 1 == limit { break }
    }
    return (Array(prefix.dropFirst()), total)
  }

  /// `log P(tokens (+ </s>) | source)` by teacher forcing with `targetLogits`.
  static func score(_ model: Transformer, source: [Int], tokens: [Int], complete: Bool) -> Float {
    let ids = source + [Vocabulary.endID]
    let inputs = [Vocabulary.startID] + tokens
    let outputs = complete ? tokens + [Vocabulary.endID] : tokens
    let logits = model.targetLogits(
      sourceIDs: ids, sourceLengths: [ids.count], targetInputIDs: inputs)
    let v = model.configuration.vocabularySize
    let logProbabilities = logSoftmax(logits.reshaped([inputs.count, v])).scalars
    return outputs.enumerated().reduce(0) { $0 + logProbabilities[$1.offset * v + $1.element] }
  }
}

final class GreedySearchTests: XCTestCase {
  func testCachedGreedyEqualsFullPrefixRecomputation() {
    for (placement, model) in SearchFixtures.models {
      let options = DecodingOptions(beamSize: 1, extraLength: 6)
      let results = GreedySearch(model: model, options: options).search(SearchFixtures.sources)
      var ended = 0
      for (source, result) in zip(SearchFixtures.sources, results) {
        let expected = SearchFixtures.referenceGreedy(model, source, limit: source.count + 6)
        XCTAssertEqual(result.tokens, expected.tokens, "\(placement) \(source)")
        XCTAssertEqual(
          result.logProbability, expected.logProbability, accuracy: 1e-3, "\(placement)")
        if result.isComplete { ended += 1 }
      }
      XCTAssertGreaterThan(ended, 0, "\(placement): no sentence ended with </s>")
    }
  }

  func testBatchedGreedyEqualsOneByOne() {
    // Two sources share a length: a decoder-only model decodes them together, the others in
    // groups of their own length.
    let sources = SearchFixtures.sources + [[7, 7, 8, 9]]
    for (placement, model) in SearchFixtures.models {
      let search = GreedySearch(model: model, options: DecodingOptions(beamSize: 1))
      let batched = search.search(sources)
      for (source, result) in zip(sources, batched) {
        let alone = search.search([source])[0]
        XCTAssertEqual(result.tokens, alone.tokens, placement)
        XCTAssertEqual(result.logProbability, alone.logProbability, accuracy: 1e-4)
      }
    }
  }

  func testWithoutScoresPicksTheSameTokens() {
    // Without scores each step takes the largest logit instead of the largest log-probability:
    // the same tokens, ends and lengths, with NaN where the scores would be. A minimum length
    // checks that `</s>` stays out of the candidates until then.
    for (placement, model) in SearchFixtures.models {
      for minLength in [0, 3] {
        var options = DecodingOptions(beamSize: 1, extraLength: 6, minLength: minLength)
        let scored = GreedySearch(model: model, options: options).search(SearchFixtures.sources)
        options.scores = false
        let plain = GreedySearch(model: model, options: options).search(SearchFixtures.sources)
        XCTAssertEqual(plain.map(\.tokens), scored.map(\.tokens), "\(placement) \(minLength)")
        XCTAssertEqual(plain.map(\.isComplete), scored.map(\.isComplete), placement)
        XCTAssertTrue(plain.allSatisfy { $0.logProbability.isNaN && $0.score.isNaN }, placement)
        XCTAssertTrue(scored.allSatisfy { $0.logProbability.isFinite }, placement)
      }
    }
  }

  func testMinimumLengthSuppressesEnd() {
    let model = SearchFixtures.model(.post)
    let options = DecodingOptions(beamSize: 1, maxLength: 10, minLength: 10)
    for result in GreedySearch(model: model, options: options).search(SearchFixtures.sources) {
      XCTAssertEqual(result.tokens.count, 10)
      XCTAssertFalse(result.tokens.contains(Vocabulary.endID))
    }
  }
}
