import Foundation
import XCTest
@testable import Metrics


/// chrF on worked examples, input errors and output formats. The sacreBLEU comparison for
/// every fixture case is in `BLEUFixtureTests.testCHRFMatchesSacreBLEU`.
final class CHRFTests: XCTestCase {
  func testIdenticalSentencesScoreOneHundred() throws {
    let score = try CHRF.corpusScore(hypotheses: ["ab"], references: [["ab"]])
    XCTAssertEqual(score.score, 100, accuracy: 1e-9)
  }

  func testOrdersTheReferenceCannotFillAreLeftOut() throws {
    // "abc" against "abd": unigrams 2/3, bigrams 1/2, trigrams 0/1; orders 4–6 exist on
    // neither side, so they drop out. P = R = (2/3 + 1/2 + 0) / 3 = 7/18, and F2 = 7/18.
    let score = try CHRF.corpusScore(hypotheses: ["abc"], references: [["abd"]])
    XCTAssertEqual(score.score, 100 * 7 / 18, accuracy: 1e-9)
  }

  func testWhitespaceIsIgnored() throws {
    let spaced = try CHRF.corpusScore(hypotheses: ["a b  c"], references: [["abc"]])
    XCTAssertEqual(spaced.score, 100, accuracy: 1e-9)
  }

  func testCharactersAreCodePoints() throws {
    // Precomposed and decomposed "ä" are different characters to sacreBLEU.
    let score = try CHRF.corpusScore(hypotheses: ["\u{E4}"], references: [["a\u{308}"]])
    XCTAssertEqual(score.score, 0)
  }

  func testTheBestReferenceCountsPerSentence() throws {
    let score = try CHRF.corpusScore(
      hypotheses: ["abcdef"], references: [["zzzzzz"], ["abcdef"]])
    XCTAssertEqual(score.score, 100, accuracy: 1e-9)
  }

  func testMismatchedLineCountsAreAnError() {
    XCTAssertThrowsError(try CHRF.corpusScore(hypotheses: ["a", "b"], references: [["a"]])) {
      XCTAssertEqual(
        $0 as? MetricInputError,
        .lineCountMismatch(hypothesisLineCount: 2, referenceIndex: 0, referenceLineCount: 1))
    }
    XCTAssertThrowsError(try CHRF.corpusScore(hypotheses: [], references: [[]])) {
      XCTAssertEqual($0 as? MetricInputError, .noHypotheses)
    }
  }

  func testScoreStringSignatureAndJSON() throws {
    let score = try CHRF.corpusScore(hypotheses: ["abc"], references: [["abd"]])
    XCTAssertEqual(score.description, "chrF2 = 38.89")
    XCTAssertEqual(
      score.signature,
      "nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:\(SacreBLEUSignature.version)")
    XCTAssertEqual(
      score.formatted(width: 1, withSignature: true), "chrF2|\(score.signature) = 38.9")
    XCTAssertEqual(
      score.jsonLine,
      "{\"chrf\":38.89,\"name\":\"chrF2\",\"char_order\":6,\"word_order\":0,"
        + "\"beta\":2,\"signature\":\"\(score.signature)\"}")
    XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(score.jsonLine.utf8)))
  }
}
