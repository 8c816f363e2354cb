import Benchmarks
import Foundation
import XCTest

@testable import CLI

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
    // Beam search ranks by its scores, so it always computes them.
    XCTAssertEqual(object["scores"] as? Bool, true)
    XCTAssertGreaterThan(try XCTUnwrap(object["sentences_per_s"] as? Double), 0)
    XCTAssertGreaterThan(try XCTUnwrap(object["ms_per_token"] as? Double), 0)
  }

  /// Greedy search computes no scores unless --scores asks, as CTranslate2's benchmark call.
  func testGreedyScoresOnlyWithTheFlag() throws {
    for (flags, expected) in [([String](), false), (["--scores"], true)] {
      let run = CLIRun(
        ["bench", "decode", "--preset", "tiny", "--batch", "2", "--threads", "1", "--json"]
          + flags)
      XCTAssertEqual(run.status, 0, run.errors)
      let object = try XCTUnwrap(
        JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
      XCTAssertEqual(object["scores"] as? Bool, expected, "\(flags)")
    }
    let table = CLIRun("bench", "decode", "--preset", "tiny", "--threads", "1")
    XCTAssertEqual(table.status, 0, table.errors)
    XCTAssertTrue(table.output.contains("no scores"), table.output)
  }

  /// `--products` times every product of the timed batches, greedy and beam search (the
  /// encoder's blocked GEMM and the steps' row products): their shapes' multiply–adds per batch
  /// add up to the counted ones.
  func testProductsAccountForEveryCountedProduct() throws {
    for beam in ["1", "4"] {
      let run = CLIRun(
        "bench", "decode", "--preset", "tiny", "--batch", "2", "--beam", beam, "--sentences",
        "4", "--threads", "1", "--json", "--products")
      XCTAssertEqual(run.status, 0, run.errors)
      let object = try XCTUnwrap(
        JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
      let products = try XCTUnwrap(object["products"] as? [[String: Any]])
      var multiplyAdds = 0.0
      for product in products {
        let text = try XCTUnwrap(product["shape"] as? String)
        let shape = try XCTUnwrap(MatmulShape(specification: text))
        multiplyAdds +=
          shape.operationCount / 2 * (try XCTUnwrap(product["calls"] as? NSNumber)).doubleValue
      }
      let perSentence = try XCTUnwrap(object["matmul_gflop_per_sentence"] as? NSNumber).doubleValue
      // 2 FLOP a multiply–add, 2 sentences a batch; the JSON rounds to 4 decimals.
      let flopPerSentence = 2 * multiplyAdds / 2
      XCTAssertEqual(flopPerSentence / 1e9, perSentence, accuracy: 0.0001, "beam \(beam)")
      let milliseconds = products.map { ($0["ms"] as? NSNumber)?.doubleValue ?? -1 }
      XCTAssertEqual(milliseconds, milliseconds.sorted(by: >))
      // The encoder's products are the blocked GEMM; a step of 2·beam ≤ 8 rows, row products.
      let kernels = Set(products.compactMap { $0["kernel"] as? String })
      XCTAssertTrue(kernels.contains("gemm"), "\(kernels)")
      XCTAssertTrue(kernels.contains { $0.hasPrefix("row_") }, "\(kernels)")
    }
    let table = CLIRun(
      "bench", "decode", "--preset", "tiny", "--batch", "2", "--sentences", "2", "--threads",
      "1", "--products")
    XCTAssertEqual(table.status, 0, table.errors)
    let lines = table.output.split(separator: "\n").map(String.init)
    XCTAssertTrue(lines.contains { $0.hasPrefix("product (MxKxN)") && $0.contains("ms/batch") })
    XCTAssertTrue(lines.contains { $0.hasPrefix("all products") })
    XCTAssertTrue(lines.last?.hasPrefix("rest of the batch") == true, table.output)
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

  /// The counted products of a greedy batch are the encoder's over the source and, per
  /// output piece, one decoder step's: the step's weights (whose size is the step's weight
  /// bytes) times the rows. A step's attention over the cache and the memory is dot products
  /// (`singleQueryAttention`), not a matrix product, and is not counted.
  func testCountsTheProductsAndTheStepWeights() {
    let benchmark = BenchDecodeBenchmark(
      preset: .tiny, batchSize: 2, beamSize: 1, minimumSentences: 2)
    let c = benchmark.configuration
    let (d, f, v) = (c.modelWidth, c.feedForwardWidth, c.vocabularySize)
    let (b, s, t) = (benchmark.batchSize, benchmark.sourceLength, benchmark.outputLength)
    let stepWeights = c.decoderLayerCount * (6 * d * d + 2 * d * f) + v * d
    // Per encoder layer over the B·S source rows, as in `bench train`; then the
    // cross-attention's keys and values of the memory, once per batch.
    let encoder =
      c.encoderLayerCount * (4 * b * s * d * d + 2 * b * s * d * f + 2 * b * s * s * d)
      + c.decoderLayerCount * 2 * b * s * d * d
    let steps = t * b * stepWeights
    let measurement = benchmark.measure()
    XCTAssertEqual(measurement.stepWeightBytes, 4 * stepWeights)
    XCTAssertEqual(measurement.batchMultiplyAdds, encoder + steps)
    XCTAssertGreaterThan(measurement.readGigabytesPerSecond, 0)
    XCTAssertGreaterThan(measurement.peakGFLOPS, 0)
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

  /// --kv-heads and --positions reach the model; the cache shrinks by heads/kv_heads.
  func testKeyValueHeadsShrinkTheCache() throws {
    func cache(_ kv: Int, _ positions: String) throws -> Double {
      let run = CLIRun(
        "bench", "decode", "--preset", "tiny", "--batch", "2", "--kv-heads", String(kv),
        "--positions", positions, "--threads", "1", "--json")
      XCTAssertEqual(run.status, 0, run.errors)
      let object = try XCTUnwrap(
        JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
      XCTAssertEqual(object["kv_heads"] as? Int, kv)
      XCTAssertEqual(object["positions"] as? String, positions)
      return try XCTUnwrap(object["kv_cache_mb"] as? Double)
    }
    let full = try cache(4, "sinusoidal")
    // tiny: 2 layers, K 32, 2 sentences of 24 source tokens, 25 steps, keys and values.
    XCTAssertEqual(full, Double(2 * 2 * 4 * 32 * (25 + 24) * 2 * 4) / 1_048_576, accuracy: 1e-3)
    XCTAssertEqual(try cache(1, "rope"), full / 4, accuracy: 1e-3)
    XCTAssertEqual(try cache(2, "alibi"), full / 2, accuracy: 1e-3)
  }

  func testBadKeyValueHeadsAndPositionsAreUsageErrors() {
    let kv = CLIRun("bench", "decode", "--preset", "tiny", "--kv-heads", "3")
    XCTAssertEqual(kv.status, 64)
    XCTAssertTrue(kv.errors.contains("--kv-heads 3 does not divide the 4 heads"), kv.errors)
    XCTAssertEqual(kv.errors.split(separator: "\n").count, 1, kv.errors)
    let positions = CLIRun("bench", "decode", "--preset", "tiny", "--positions", "rotary")
    XCTAssertEqual(positions.status, 64)
    XCTAssertTrue(positions.errors.contains("rotary"), positions.errors)
  }
}
