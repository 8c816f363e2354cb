import XCTest

@testable import Benchmarks
@testable import CLI

/// `bench attention` and `bench decode` refuse sizes that cannot fit before allocating
/// anything: before the check these command lines trapped on a negative element count or
/// aborted on a failed allocation.
final class BenchMemoryCheckTests: XCTestCase {
  func testProblemLine() {
    XCTAssertNil(BenchMemoryCheck.problem(1000, availableBytes: 1000))
    XCTAssertNil(BenchMemoryCheck.problem(1000, availableBytes: nil))
    XCTAssertEqual(
      BenchMemoryCheck.problem(3_000_000_000, availableBytes: 2_000_000_000),
      "need about 3.0 GB (3000000000 bytes), more than the 2.0 GB of memory available")
    XCTAssertEqual(
      BenchMemoryCheck.problem(nil, availableBytes: nil),
      "need more bytes than a 64-bit integer counts")
  }

  func testEstimatesOverflowToNil() {
    let huge = Int.max
    XCTAssertNil(
      AttentionBenchmark(
        kernel: .memoryEfficient, length: huge, heads: 8, headSize: 64, batch: 1, causal: false,
        backward: false, repeats: 1
      ).tensorBytes)
    XCTAssertEqual(
      AttentionBenchmark(
        kernel: .memoryEfficient, length: 64, heads: 8, headSize: 64, batch: 1, causal: false,
        backward: true, repeats: 1
      ).tensorBytes, 64 * 8 * 64 * 4 * 9)
    XCTAssertNil(BenchDecodeBenchmark(preset: .tiny, batchSize: huge, beamSize: 1).estimatedBytes)
    XCTAssertNil(
      BenchDecodeBenchmark(preset: .tiny, batchSize: 1, beamSize: 1, minimumSentences: huge)
        .estimatedBytes)
    // The default run is far below any machine's memory.
    let small = BenchDecodeBenchmark(preset: .small, batchSize: 1, beamSize: 1).estimatedBytes
    XCTAssertLessThan(try XCTUnwrap(small), 100_000_000)
  }

  func testAttentionSizesThatCannotFitAreRefused() {
    let huge = "9223372036854775807"
    for (option, value) in [
      ("--length", huge), ("--heads", huge), ("--head-size", huge), ("--batch", huge),
      ("--batch", "100000000"), ("--length", "1000000000"),
    ] {
      var arguments = ["bench", "attention", "--length", "64", option, value]
      if option == "--length" { arguments = ["bench", "attention", option, value] }
      let run = CLIRun(arguments)
      XCTAssertEqual(run.status, 1, "\(arguments)")
      XCTAssertEqual(run.output, "", "\(arguments)")
      XCTAssertTrue(
        run.errors.hasPrefix("Error: bench attention: q, k, v and the other [B, H, T, K] = ["),
        run.errors)
      XCTAssertTrue(run.errors.hasSuffix("; pick smaller sizes\n"), run.errors)
      XCTAssertEqual(run.errors.split(separator: "\n").count, 1, run.errors)
    }
  }

  func testDecodeBatchThatCannotFitIsRefused() {
    for batch in ["9223372036854775807", "100000000"] {
      let run = CLIRun("bench", "decode", "--preset", "tiny", "--batch", batch)
      XCTAssertEqual(run.status, 1, batch)
      XCTAssertEqual(run.output, "", batch)
      XCTAssertTrue(
        run.errors.hasPrefix(
          "Error: bench decode: batch \(batch) with beam 1 and at least 20 sentences would need "),
        run.errors)
      XCTAssertTrue(run.errors.hasSuffix("; decode fewer sentences together\n"), run.errors)
      XCTAssertEqual(run.errors.split(separator: "\n").count, 1, run.errors)
    }
  }
}
