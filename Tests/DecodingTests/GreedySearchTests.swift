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
  static func model(_ placement: TransformerConfiguration.NormPlacement) -> Transformer {
    let (seed, endScale): (UInt64, Float) = placement == .post ? (2, -6) : (3, -4)
    let configuration = TransformerConfiguration(
      encoderLayerCount: 2, decoderLayerCount: 2, modelWidth: 16, headCount: 4,
      feedForwardWidth: 32, vocabularySize: 40, dropout: 0, norm: placement,
      tieEmbeddings: true, maxPositions: 24)
    let model = Transformer(configuration: configuration, seed: seed)
    model.isTraining = false
    model.outputProjection.weight.value.withUnsafeMutableBufferPointer { table in
      for column in 0..<16 { table[Vocabulary.endID * 16 + column] *= endScale }
    }
    return model
  }

  /// Six sources of lengths 1 to 9, ids in 4..<40.
  static let sources: [[Int]] = [
    [5, 9, 12, 7], [14, 6], [30, 31, 32, 33, 34, 35, 36, 37, 38], [8], [20, 21, 22, 4, 4],
    [39, 10, 11, 12, 13, 14, 15],
  ]

  /// Greedy decoding by recomputing the whole prefix every step (`decodeLogits`).
  static func referenceGreedy(_ model: Transformer, _ source: [Int], limit: Int)
    -> (tokens: [Int], logProbability: Float)
  {
    let ids = source + [Vocabulary.endID]
    let memory = model.encode(sourceIDs: ids, sourceLengths: [ids.count])
    var prefix = [Vocabulary.startID]
    var total: Float = 0
    while true {
      let logits = model.decodeLogits(
        memory: memory, sourceLengths: [ids.count], targetInputIDs: prefix)
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

  /// `log P(tokens (+ </s>) | source)` by teacher forcing with `decodeLogits`.
  static func score(_ model: Transformer, source: [Int], tokens: [Int], complete: Bool) -> Float {
    let ids = source + [Vocabulary.endID]
    let memory = model.encode(sourceIDs: ids, sourceLengths: [ids.count])
    let inputs = [Vocabulary.startID] + tokens
    let outputs = complete ? tokens + [Vocabulary.endID] : tokens
    let logits = model.decodeLogits(
      memory: memory, sourceLengths: [ids.count], targetInputIDs: inputs)
    let v = model.configuration.vocabularySize
    let logProbabilities = logSoftmax(logits.reshaped([inputs.count, v])).scalars
    return outputs.enumerated().reduce(0) { $0 + logProbabilities[$1.offset * v + $1.element] }
  }
}

final class GreedySearchTests: XCTestCase {
  func testCachedGreedyEqualsFullPrefixRecomputation() {
    for placement in [TransformerConfiguration.NormPlacement.post, .pre] {
      let model = SearchFixtures.model(placement)
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
    let model = SearchFixtures.model(.pre)
    let search = GreedySearch(model: model, options: DecodingOptions(beamSize: 1))
    let batched = search.search(SearchFixtures.sources)
    for (source, result) in zip(SearchFixtures.sources, batched) {
      let alone = search.search([source])[0]
      XCTAssertEqual(result.tokens, alone.tokens)
      XCTAssertEqual(result.logProbability, alone.logProbability, accuracy: 1e-4)
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
