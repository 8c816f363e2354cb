import Foundation
import XCTest

@testable import Metrics

/// BLEU on small worked examples, input errors, and the output formats.
final class BLEUTests: XCTestCase {
  func testIdenticalSentencesScoreOneHundred() throws {
    let lines = ["the cat sat on the mat", "a dog barked"]
    let score = try BLEU.corpusScore(hypotheses: lines, references: [lines])
    XCTAssertEqual(score.score, 100, accuracy: 1e-9)
    XCTAssertEqual(score.bp, 1)
  }

  func testExpSmoothingOfAnUnmatchedOrder() throws {
    // Precisions 3/4, 2/3, 1/2 and 0/1; mteval smoothing counts the 4-gram as 1/2 match.
    // BLEU = (75 · 66.67 · 50 · 50)^(1/4) = 12 500 000^(1/4).
    let score = try BLEU.corpusScore(hypotheses: ["a b c d"], references: [["a b c e"]])
    XCTAssertEqual(score.precisions[3], 50, accuracy: 1e-9)
    XCTAssertEqual(score.score, pow(12_500_000, 0.25), accuracy: 1e-9)
  }

  func testBrevityPenalty() throws {
    // 3 hypothesis tokens against 6 reference tokens: BP = exp(1 - 6/3).
    let score = try BLEU.corpusScore(
      hypotheses: ["a b c"], references: [["a b c d e f"]])
    XCTAssertEqual(score.bp, exp(-1), accuracy: 1e-12)
    XCTAssertEqual(score.ratio, 0.5, accuracy: 1e-12)
  }

  func testClosestReferenceLengthPrefersTheShorterOnATie() {
    XCTAssertEqual(BLEU.closestLength(to: 10, among: [11, 9]), 9)
    XCTAssertEqual(BLEU.closestLength(to: 10, among: [9, 11]), 9)
    XCTAssertEqual(BLEU.closestLength(to: 10, among: [13, 8, 12]), 8)
    XCTAssertEqual(BLEU.closestLength(to: 0, among: [3, 2]), 2)
  }

  func testCountsAreClippedByTheBestSingleReference() {
    // "the" occurs twice in the second reference only: two matches, not three.
    let statistics = BLEU.statistics(
      hypothesis: "the the the", references: ["the cat", "the the dog"])
    XCTAssertEqual(statistics.matches[0], 2)
    XCTAssertEqual(statistics.totals[0], 3)
  }

  func testNoMatchesGiveZeroWithZeroPrecisions() throws {
    let score = try BLEU.corpusScore(hypotheses: ["x y z"], references: [["a b c"]])
    XCTAssertEqual(score.score, 0)
    XCTAssertEqual(score.precisions, [0, 0, 0, 0])
  }

  func testMismatchedLineCountsNameTheCounts() {
    XCTAssertThrowsError(
      try BLEU.corpusScore(hypotheses: ["a", "b", "c"], references: [["a", "b", "c"], ["a"]])
    ) { error in
      XCTAssertEqual(
        error as? MetricInputError,
        .lineCountMismatch(hypothesisLineCount: 3, referenceIndex: 1, referenceLineCount: 1))
      let message = "\(error)"
      XCTAssertTrue(message.contains("3 lines"), message)
      XCTAssertTrue(message.contains("reference 2 has 1 line;"), message)
      XCTAssertEqual((error as? LocalizedError)?.errorDescription, message)
    }
  }

  func testEmptyCorpusAndMissingReferencesAreErrors() {
    XCTAssertThrowsError(try BLEU.corpusScore(hypotheses: [], references: [[]])) {
      XCTAssertEqual($0 as? MetricInputError, .noHypotheses)
    }
    XCTAssertThrowsError(try BLEU.corpusScore(hypotheses: ["a"], references: [])) {
      XCTAssertEqual($0 as? MetricInputError, .noReferences)
    }
  }

  func testScoreStringSignatureAndJSON() throws {
    let score = try BLEU.corpusScore(hypotheses: ["a b c d"], references: [["a b c e"]])
    XCTAssertEqual(
      score.description,
      "BLEU = 59.46 75.0/66.7/50.0/50.0 (BP = 1.000 ratio = 1.000 hyp_len = 4 ref_len = 4)")
    XCTAssertEqual(
      score.signature,
      "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:\(SacreBLEUSignature.version)")
    XCTAssertEqual(
      score.jsonLine,
      "{\"bleu\":59.46,\"precisions\":[75.0,66.7,50.0,50.0],\"bp\":1.000,"
        + "\"ratio\":1.000,\"hyp_len\":4,\"ref_len\":4,"
        + "\"signature\":\"\(score.signature)\"}")
    let object = try XCTUnwrap(
      JSONSerialization.jsonObject(with: Data(score.jsonLine.utf8)) as? [String: Any])
    XCTAssertEqual(
      Set(object.keys),
      ["bleu", "precisions", "bp", "ratio", "hyp_len", "ref_len", "signature"])
  }

  func testStatisticsAddUp() {
    var total = BLEUStatistics()
    total += BLEU.statistics(hypothesis: "a b", references: ["a b c"])
    total += BLEU.statistics(hypothesis: "c d e", references: ["c d"])
    XCTAssertEqual(total.hypothesisLength, 5)
    XCTAssertEqual(total.referenceLength, 5)
    XCTAssertEqual(total.matches, [4, 2, 0, 0])
    XCTAssertEqual(total.totals, [5, 3, 1, 0])
  }

  func testLinesSplitLikeSacreBLEU() {
    XCTAssertEqual(MetricLines.split(""), [])
    XCTAssertEqual(MetricLines.split("a\n"), ["a"])
    XCTAssertEqual(MetricLines.split("a\n\nb"), ["a", "", "b"])
    XCTAssertEqual(MetricLines.split("a\r\nb\r\n"), ["a\r", "b\r"])
    XCTAssertEqual(MetricLines.split("\n\n"), ["", ""])
  }
}
