import Autograd
import NN
import XCTest
@testable import Decoding
import Tokenizer


final class BeamSearchTests: XCTestCase {
  func testBeamOneEqualsGreedy() {
    for (placement, model) in SearchFixtures.models {
      let greedy = GreedySearch(model: model, options: DecodingOptions(beamSize: 1))
        .search(SearchFixtures.sources)
      let beam = BeamSearch(model: model, options: DecodingOptions(beamSize: 1, alpha: 0.6))
        .search(SearchFixtures.sources)
      for (g, b) in zip(greedy, beam) {
        XCTAssertEqual(b.count, 1)
        XCTAssertEqual(b[0].tokens, g.tokens, "\(placement)")
        XCTAssertEqual(b[0].logProbability, g.logProbability, "\(placement)")
        XCTAssertEqual(b[0].isComplete, g.isComplete)
      }
    }
  }

  func testBatchedBeamEqualsOneByOne() {
    for (placement, model) in SearchFixtures.models {
      let search = BeamSearch(model: model, options: DecodingOptions(beamSize: 4, nbest: 4))
      let batched = search.search(SearchFixtures.sources)
      for (source, result) in zip(SearchFixtures.sources, batched) {
        let alone = search.search([source])[0]
        XCTAssertEqual(result.map(\.tokens), alone.map(\.tokens), "\(placement) \(source)")
        for (a, b) in zip(result, alone) { XCTAssertEqual(a.score, b.score, accuracy: 1e-4) }
      }
    }
  }

  /// Every hypothesis's log-probability equals a teacher-forced rescoring of its tokens with
  /// the full-prefix `decodeLogits`, and its score is that over the length penalty.
  func testScoresMatchFullPrefixRescoring() {
    for (placement, model) in SearchFixtures.models {
      let options = DecodingOptions(beamSize: 4, alpha: 0.6, extraLength: 5, nbest: 4)
      let results = BeamSearch(model: model, options: options).search(SearchFixtures.sources)
      for (source, hypotheses) in zip(SearchFixtures.sources, results) {
        XCTAssertEqual(hypotheses.count, 4)
        XCTAssertEqual(hypotheses.map(\.score), hypotheses.map(\.score).sorted(by: >))
        for hypothesis in hypotheses {
          let expected = SearchFixtures.score(
            model, source: source, tokens: hypothesis.tokens, complete: hypothesis.isComplete)
          XCTAssertEqual(hypothesis.logProbability, expected, accuracy: 1e-3, "\(placement)")
          let length = hypothesis.tokens.count + (hypothesis.isComplete ? 1 : 0)
          XCTAssertEqual(
            hypothesis.score,
            options.lengthPenalty.normalized(hypothesis.logProbability, length: length),
            accuracy: 1e-5)
          XCTAssertLessThanOrEqual(hypothesis.tokens.count, source.count + 5)
        }
      }
    }
  }

  /// The same search recomputing every prefix with `targetLogits` (no cache, no row
  /// gathering): the cached search must find exactly these hypotheses.
  func referenceBeamSearch(
    _ model: Transformer, _ source: [Int], options: DecodingOptions
  ) -> [DecodingHypothesis] {
    let width = options.beamSize
    let ids = source + [Vocabulary.endID]
    let limit = options.limit(
      sourceLength: source.count,
      maxPositions: model.configuration.maxTargetPositions(sourceLength: ids.count))
    let v = model.configuration.vocabularySize
    var beams: [(prefix: [Int], score: Float)] = [([], 0)]
    var finished: [DecodingHypothesis] = []
    for step in 1... {
      let rows = beams.count
      let logits = model.targetLogits(
        sourceIDs: Array((0..<rows).map { _ in ids }.joined()),
        sourceLengths: Array(repeating: ids.count, count: rows),
        targetInputIDs: beams.flatMap { [Vocabulary.startID] + $0.prefix })  // [R, T, V]
      let logProbabilities = logSoftmax(logits.reshaped([rows * step, v])).scalars
      var candidates: [(row: Int, id: Int, score: Float)] = []
      for row in 0..<rows {
        for id in Vocabulary.endID..<v {
          let value = logProbabilities[(row * step + step - 1) * v + id]
          candidates.append((row, id, beams[row].score + value))
        }
      }
      // Best first; ties to the lower (row, id), which is the order built above.
      let ranked = candidates.enumerated().sorted {
        ($0.element.score, -$0.offset) > ($1.element.score, -$1.offset)
      }.prefix(2 * width).map(\.element)
      var live: [(prefix: [Int], score: Float)] = []
      for (rank, candidate) in ranked.enumerated() where live.count < width {
        if candidate.id == Vocabulary.endID {
          if rank < width {
            finished.append(
              DecodingHypothesis(
                tokens: beams[candidate.row].prefix, logProbability: candidate.score,
                score: options.lengthPenalty.normalized(candidate.score, length: step),
                isComplete: true))
          }
        } else {
          live.append((beams[candidate.row].prefix + [candidate.id], candidate.score))
        }
      }
      if step >= limit {
        finished += live.map {
          DecodingHypothesis(
            tokens: $0.prefix, logProbability: $0.score,
            score: options.lengthPenalty.normalized($0.score, length: step), isComplete: false)
        }
      }
      if step >= limit || live.isEmpty || finished.count >= width { break }
      beams = live
    }
    let ranked = finished.enumerated().sorted {
      ($0.element.score, -$0.offset) > ($1.element.score, -$1.offset)
    }
    return ranked.prefix(options.nbest).map(\.element)
  }

  func testCachedBeamSearchEqualsFullPrefixRecomputation() {
    for (placement, model) in SearchFixtures.models {
      let options = DecodingOptions(beamSize: 3, alpha: 0.6, extraLength: 6, nbest: 3)
      let results = BeamSearch(model: model, options: options).search(SearchFixtures.sources)
      for (source, hypotheses) in zip(SearchFixtures.sources, results) {
        let expected = referenceBeamSearch(model, source, options: options)
        XCTAssertEqual(hypotheses.map(\.tokens), expected.map(\.tokens), "\(placement) \(source)")
        XCTAssertEqual(hypotheses.map(\.isComplete), expected.map(\.isComplete))
        for (actual, wanted) in zip(hypotheses, expected) {
          XCTAssertEqual(actual.logProbability, wanted.logProbability, accuracy: 1e-3)
          XCTAssertEqual(actual.score, wanted.score, accuracy: 1e-3)
        }
      }
    }
  }

  func testLengthPenaltyFormula() {
    let penalty = LengthPenalty(alpha: 0.6)
    XCTAssertEqual(penalty.penalty(length: 1), 1, accuracy: 1e-6)
    XCTAssertEqual(penalty.penalty(length: 7), Float(pow(2.0, 0.6)), accuracy: 1e-6)
    XCTAssertEqual(LengthPenalty(alpha: 0).penalty(length: 30), 1)
  }
}
