import XCTest
@testable import Metrics


/// Corpus BLEU and chrF against the numbers sacreBLEU 2.6.0 produced for each fixture case.
final class BLEUFixtureTests: XCTestCase {
  /// The agreement the port promises: ±0.01 on every score.
  let tolerance = 0.01

  func testFixturesArePresent() throws {
    let cases = try BLEUFixtureCase.all()
    // Guards against a moved directory making every loop below pass vacuously.
    XCTAssertGreaterThanOrEqual(cases.count, 16)
    for fixture in cases {
      XCTAssertEqual(fixture.expected.sacrebleuVersion, SacreBLEUSignature.version, fixture.name)
      XCTAssertEqual(fixture.hypotheses.count, fixture.expected.hypothesisLines, fixture.name)
    }
  }

  func testBLEUMatchesSacreBLEU() throws {
    for fixture in try BLEUFixtureCase.all() {
      let expected = fixture.expected.bleu
      let score = try BLEU.corpusScore(
        hypotheses: fixture.hypotheses, references: fixture.references)
      let name = fixture.name
      XCTAssertEqual(score.score, expected.score, accuracy: tolerance, name)
      // The statistics are integers: any tokenizer or clipping difference shows here exactly.
      XCTAssertEqual(score.hypothesisLength, expected.hypLen, name)
      XCTAssertEqual(score.referenceLength, expected.refLen, name)
      XCTAssertEqual(score.statistics.matches, expected.counts, name)
      XCTAssertEqual(score.statistics.totals, expected.totals, name)
      XCTAssertEqual(score.precisions.count, expected.precisions.count, name)
      for (actual, wanted) in zip(score.precisions, expected.precisions) {
        XCTAssertEqual(actual, wanted, accuracy: tolerance, name)
      }
      XCTAssertEqual(score.bp, expected.bp, accuracy: 1e-6, name)
      XCTAssertEqual(score.ratio, expected.ratio, accuracy: 1e-6, name)
      XCTAssertEqual(score.description, expected.description, name)
      XCTAssertEqual(score.signature, expected.signature, name)
      XCTAssertEqual(score.formatted(width: 1, withSignature: true), expected.textLine, name)
    }
  }

  func testCHRFMatchesSacreBLEU() throws {
    for fixture in try BLEUFixtureCase.all() {
      let expected = fixture.expected.chrf
      let score = try CHRF.corpusScore(
        hypotheses: fixture.hypotheses, references: fixture.references)
      XCTAssertEqual(score.score, expected.score, accuracy: tolerance, fixture.name)
      XCTAssertEqual(score.description, expected.description, fixture.name)
      XCTAssertEqual(score.signature, expected.signature, fixture.name)
      XCTAssertEqual(
        score.formatted(width: 1, withSignature: true), expected.textLine, fixture.name)
    }
  }

  /// sacreBLEU strips trailing whitespace when it reads files; the metrics must not depend on
  /// whether the caller did.
  func testTrailingWhitespaceOfLinesDoesNotMatter() throws {
    for fixture in try BLEUFixtureCase.all() {
      let stripped = fixture.hypotheses.map(stripTrailingWhitespace)
      let strippedReferences = fixture.references.map { $0.map(stripTrailingWhitespace) }
      XCTAssertEqual(
        try BLEU.corpusScore(hypotheses: stripped, references: strippedReferences),
        try BLEU.corpusScore(hypotheses: fixture.hypotheses, references: fixture.references),
        fixture.name)
      XCTAssertEqual(
        try CHRF.corpusScore(hypotheses: stripped, references: strippedReferences),
        try CHRF.corpusScore(hypotheses: fixture.hypotheses, references: fixture.references),
        fixture.name)
    }
  }

  private func stripTrailingWhitespace(_ line: String) -> String {
    String(
      String.UnicodeScalarView(SacreBLEUText.trimmingTrailingWhitespace(Array(line.unicodeScalars)))
    )
  }
}
