import Foundation
import XCTest
@testable import Metrics


/// The 13a tokenizer: worked examples, then every vector sacreBLEU tokenized.
final class BLEUTokenizerTests: XCTestCase {
  func testPunctuationIsSeparatedExceptApostropheHyphenPeriodComma() {
    XCTAssertEqual(Tokenizer13a.tokenize("Hello, world!"), "Hello , world !")
    XCTAssertEqual(
      Tokenizer13a.tokenize("(a) [b] {c} \"d\" e/f g:h"), "( a ) [ b ] { c } \" d \" e / f g : h")
    XCTAssertEqual(Tokenizer13a.tokenize("O'Brien's well-known"), "O'Brien's well-known")
  }

  func testPeriodsAndCommasStayInsideNumbers() {
    XCTAssertEqual(Tokenizer13a.tokenize("3.5 and 1,000"), "3.5 and 1,000")
    XCTAssertEqual(Tokenizer13a.tokenize("The end."), "The end .")
    XCTAssertEqual(Tokenizer13a.tokenize("in 2023."), "in 2023 .")
    // The line is padded with spaces, so a period before a digit at the start splits.
    XCTAssertEqual(Tokenizer13a.tokenize(".5"), ". 5")
  }

  func testDashSplitsOnlyAfterADigit() {
    XCTAssertEqual(Tokenizer13a.tokenize("9-11 a-b -5"), "9 - 11 a-b -5")
  }

  func testSubstitutionPassesDoNotOverlap() {
    // Pass 1 of the period rule consumes "a." so the second period splits only in pass 2.
    XCTAssertEqual(Tokenizer13a.tokenize("a..b"), "a . . b")
  }

  func testMarkupIsDecodedInOrder() {
    XCTAssertEqual(Tokenizer13a.tokenize("&quot;x&quot; &amp; &lt;y&gt;"), "\" x \" & < y >")
    // `&amp;` is decoded after `&quot;` but before `&lt;`.
    XCTAssertEqual(Tokenizer13a.tokenize("&amp;quot; &amp;lt;"), "& quot ; <")
    XCTAssertEqual(Tokenizer13a.tokenize("a<skipped>b"), "ab")
    XCTAssertEqual(Tokenizer13a.tokenize("hyphen-\nated new\nline"), "hyphenated new line")
  }

  func testWhitespaceFollowsPython() {
    XCTAssertEqual(Tokenizer13a.tokens("a\u{00A0}b\u{3000}c\u{1F}d"), ["a", "b", "c", "d"])
    // U+200B is not whitespace to Python.
    XCTAssertEqual(Tokenizer13a.tokens("a\u{200B}b"), ["a\u{200B}b"])
    XCTAssertEqual(Tokenizer13a.tokens("  \t\r"), [])
  }

  func testTokensKeepCodePoints() {
    // Canonically equivalent spellings stay distinct, as in Python.
    let tokens = Tokenizer13a.tokens("B\u{E4}r Ba\u{308}r")
    XCTAssertEqual(tokens.map { Array($0.unicodeScalars).count }, [3, 4])
  }

  func testSacreBLEUVectors() throws {
    struct Vectors: Decodable {
      struct Case: Decodable {
        let input: String
        let output: String
      }
      let sacrebleuVersion: String
      let cases: [Case]
    }
    let vectors = try BLEUFixtureCase.decode(
      Vectors.self, from: BLEUFixtureCase.directory.appendingPathComponent("tokenizer-13a"))
    XCTAssertEqual(vectors.sacrebleuVersion, SacreBLEUSignature.version)
    XCTAssertGreaterThanOrEqual(vectors.cases.count, 30)
    for vector in vectors.cases {
      let actual = Tokenizer13a.tokenize(vector.input)
      // Compare code points: String's `==` would accept a canonically equivalent result.
      XCTAssertEqual(
        Array(actual.unicodeScalars), Array(vector.output.unicodeScalars),
        "input \(vector.input.debugDescription): got \(actual.debugDescription)")
    }
  }
}
