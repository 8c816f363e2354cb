import Foundation
import XCTest

@testable import CLI
import Benchmarks

final class BenchDecodeTests: XCTestCase {
  func testTinyJSONLine() throws {
    let run = CLIRun(
      "bench", "decode", "--preset", "tiny", "--batch", "3", "--beam", "2", "--threads", "1",
      "--json")
    XCTAssertEqual(run.status, 0, run.errors)
    let object = try XCTUnwrap(
      JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
    XCTAssertEqual(object["preset"] as? String, "tiny")
    XCTAssertEqual(object["batch"] as? Int, 3)
    XCTAssertEqual(object["beam"] as? Int, 2)
    XCTAssertEqual(object["threads"] as? Int, 1)
    XCTAssertGreaterThan(try XCTUnwrap(object["sentences_per_s"] as? Double), 0)
    XCTAssertGreaterThan(try XCTUnwrap(object["ms_per_token"] as? Double), 0)
  }

  func testSentencesSetsHowManyAreTimedInWholeBatches() throws {
    let run = CLIRun(
      "bench", "decode", "--preset", "tiny", "--batch", "2", "--sentences", "3", "--threads",
      "1", "--json")
    XCTAssertEqual(run.status, 0, run.errors)
    let object = try XCTUnwrap(
      JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
    XCTAssertEqual(object["sentences"] as? Int, 4)
    let bad = CLIRun("bench", "decode", "--sentences", "0")
    XCTAssertNotEqual(bad.status, 0)
    XCTAssertTrue(bad.errors.contains("--sentences"), bad.errors)
  }

  /// Every sentence yields exactly the output length, whatever the beam.
  func testEverySentenceProducesTheOutputLength() {
    for beam in [1, 3] {
      let benchmark = BenchDecodeBenchmark(
        preset: .tiny, batchSize: 2, beamSize: beam, minimumSentences: 4)
      let measurement = benchmark.measure()
      XCTAssertEqual(measurement.sentences, 4)
      XCTAssertEqual(measurement.tokens, 4 * 24)
    }
  }
}
