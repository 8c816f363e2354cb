import Benchmarks
import Foundation
import NN
import Support
import Tensors
import XCTest

@testable import CLI

final class BenchTrainTests: XCTestCase {
  func testJSONLineHasTheKeysInOrder() throws {
    let run = CLIRun(
      "bench", "train", "--preset", "tiny", "--steps", "1", "--json", "--threads", "1")
    XCTAssertEqual(run.status, 0, run.errors)
    XCTAssertEqual(run.errors, "")
    let lines = run.output.split(separator: "\n").map(String.init)
    XCTAssertEqual(lines.count, 1)
    XCTAssertTrue(
      lines[0].hasPrefix("{\"preset\":\"tiny\",\"threads\":1,\"ms_per_step\":"), lines[0])
    let object = try XCTUnwrap(
      JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
    XCTAssertEqual(
      Set(object.keys),
      [
        "preset", "threads", "ms_per_step", "tokens_per_s", "peak_rss_mb", "matmul_gflop",
        "peak_gflops", "peak_fraction",
      ])
    let milliseconds = try XCTUnwrap(object["ms_per_step"] as? NSNumber).doubleValue
    let tokensPerSecond = try XCTUnwrap(object["tokens_per_s"] as? NSNumber).doubleValue
    XCTAssertGreaterThan(milliseconds, 0)
    // 64·24 target tokens per step; both numbers are rounded in the line.
    XCTAssertEqual(tokensPerSecond * milliseconds / 1000, 1536, accuracy: 2)
    let memory = try XCTUnwrap(object["peak_rss_mb"] as? NSNumber).doubleValue
    XCTAssertGreaterThan(memory, 1)
  }

  func testTableReportsEachPhase() {
    let run = CLIRun("bench", "train", "--steps", "1", "--threads", "1")
    XCTAssertEqual(run.status, 0, run.errors)
    let lines = run.output.split(separator: "\n").map(String.init)
    XCTAssertEqual(
      lines.first,
      "bench train: preset tiny (d_model 128, 4 heads, d_ff 512, 2+2 layers, vocabulary 1000)")
    XCTAssertEqual(
      lines.dropFirst().first,
      "64 pairs of 24 source and 24 target tokens, 1 threads, medians of 1 steps after 3 "
        + "warm-up steps")
    let labels = lines.dropFirst(2).map {
      String($0.prefix(12)).trimmingCharacters(in: .whitespaces)
    }
    XCTAssertEqual(
      labels,
      [
        "parameters", "ms/step", "forward", "backward", "adam", "tokens/s", "peak RSS", "matmul",
        "step at peak", "loss",
      ])
  }

  /// The counted products of a step are the model's, forward and backward: every product of
  /// the forward pass, and two of the same size for its two operands' gradients.
  func testCountedMultiplyAddsAreThreeForwardPasses() {
    let benchmark = BenchTrainBenchmark(preset: .tiny, steps: 1)
    let c = BenchTrainPreset.tiny.configuration
    let (d, f, v) = (c.modelWidth, c.feedForwardWidth, c.vocabularySize)
    let (b, s, t) = (benchmark.batchSize, benchmark.sourceLength, benchmark.targetLength)
    let (sourceRows, targetRows) = (b * s, b * t)
    // Per encoder layer: Q, K, V and output [D, D] on every source token, the two
    // feed-forward products, and the scores QKᵀ and the weighted values, S·S·D each per pair.
    let encoderLayer = 4 * sourceRows * d * d + 2 * sourceRows * d * f + 2 * b * s * s * d
    // Per decoder layer: self-attention as above over the target; cross-attention's Q and output
    // on the target, K and V on the source, T·S·D twice per pair; the feed-forward products.
    let decoderLayer =
      4 * targetRows * d * d + 2 * b * t * t * d + 2 * targetRows * d * d
      + 2 * sourceRows * d * d + 2 * b * t * s * d + 2 * targetRows * d * f
    let forward =
      c.encoderLayerCount * encoderLayer + c.decoderLayerCount * decoderLayer + targetRows * d * v
    let measurement = benchmark.measure()
    XCTAssertEqual(measurement.matmulMultiplyAdds, 3 * forward)
    XCTAssertGreaterThan(measurement.peakGFLOPS, 0)
    XCTAssertEqual(
      measurement.stepSecondsAtPeak, measurement.matmulGFLOP / measurement.peakGFLOPS,
      accuracy: 1e-12)
  }

  /// `--products` times every product of the timed steps: the shapes' multiply–adds per step
  /// add up to the counted ones, each line's GFLOPS is its operations over its time, the
  /// products take part of the step, and the table lists them slowest first, then the total
  /// and the rest of the step, which add up to the mean step.
  func testProductsAccountForEveryCountedProduct() throws {
    let run = CLIRun(
      "bench", "train", "--preset", "tiny", "--steps", "2", "--json", "--products",
      "--threads", "1")
    XCTAssertEqual(run.status, 0, run.errors)
    let object = try XCTUnwrap(
      JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
    let products = try XCTUnwrap(object["products"] as? [[String: Any]])
    var multiplyAdds = 0.0
    var milliseconds: [Double] = []
    for product in products {
      XCTAssertEqual(
        Set(product.keys), ["shape", "kernel", "calls", "ms", "gflops", "peak_fraction"])
      // Training runs only the blocked GEMM.
      XCTAssertEqual(product["kernel"] as? String, "gemm")
      let shape = try XCTUnwrap(
        MatmulShape(specification: try XCTUnwrap(product["shape"] as? String)))
      let calls = try XCTUnwrap(product["calls"] as? Int)
      let ms = try XCTUnwrap(product["ms"] as? NSNumber).doubleValue
      let gflops = try XCTUnwrap(product["gflops"] as? NSNumber).doubleValue
      multiplyAdds += shape.operationCount / 2 * Double(calls)
      milliseconds.append(ms)
      XCTAssertGreaterThan(ms, 0)
      // Both rounded in the line: 3 decimals of ms, 1 of GFLOPS.
      let expected = shape.operationCount * Double(calls) / (ms / 1000) / 1e9
      XCTAssertEqual(gflops, expected, accuracy: 0.06 + expected * 0.0005 / ms, "\(shape)")
    }
    XCTAssertEqual(milliseconds, milliseconds.sorted(by: >))
    XCTAssertTrue(products.contains { $0["shape"] as? String == "1536x128x1000:tb" })
    let gflop = try XCTUnwrap(object["matmul_gflop"] as? NSNumber).doubleValue
    XCTAssertEqual(2 * multiplyAdds / 1e9, gflop, accuracy: 0.001)
    // Two steps: the median is the mean, and the products are part of it.
    let step = try XCTUnwrap(object["ms_per_step"] as? NSNumber).doubleValue
    XCTAssertLessThanOrEqual(milliseconds.reduce(0, +), step + 0.01)

    let measurement: BenchTrainMeasurement = {
      var benchmark = BenchTrainBenchmark(preset: .tiny, steps: 2)
      benchmark.profilesProducts = true
      return benchmark.measure()
    }()
    let profiled = try XCTUnwrap(measurement.products)
    XCTAssertEqual(
      profiled.reduce(0) { $0 + $1.shape.operationCount / 2 * $1.calls },
      Double(measurement.matmulMultiplyAdds))
    let table = try XCTUnwrap(BenchTrainCommand.productTable(measurement))
    XCTAssertEqual(table.count, profiled.count + 3)
    XCTAssertTrue(table[0].hasPrefix("product (MxKxN)") && table[0].contains("ms/step"))
    XCTAssertTrue(table[1].hasPrefix(profiled[0].shape.description + " "))
    func number(_ line: String, field: Int) throws -> Double {
      let fields = line.split(separator: " ")
      return try XCTUnwrap(Double(fields[fields.count - field]))
    }
    let all = table[table.count - 2]
    let rest = table[table.count - 1]
    XCTAssertTrue(all.hasPrefix("all products"))
    XCTAssertTrue(rest.hasPrefix("rest of the step"))
    let meanStep = measurement.steps.reduce(0) { $0 + $1.totalSeconds } / 2 * 1000
    // "all products  calls  ms  GFLOPS  %", "rest of the step  ms".
    XCTAssertEqual(
      try number(all, field: 3) + number(rest, field: 1), meanStep, accuracy: 0.011)
    XCTAssertEqual(
      try number(all, field: 3), profiled.reduce(0) { $0 + $1.seconds } * 1000,
      accuracy: 0.006)
    var unprofiled = measurement
    unprofiled.products = nil
    XCTAssertNil(BenchTrainCommand.productTable(unprofiled))
    XCTAssertFalse(unprofiled.jsonLine.contains("products"))
  }

  func testBadValuesAreUsageErrors() {
    let preset = CLIRun("bench", "train", "--preset", "huge")
    XCTAssertEqual(preset.status, 64)
    XCTAssertEqual(
      preset.errors,
      "Error: invalid value 'huge' for '--preset': expected one of tiny, small, base. "
        + "(see 'transformer-cli bench train --help')\n")
    XCTAssertEqual(CLIRun("bench", "train", "--steps", "0").status, 64)
  }

  func testPresetsHaveTheAdvertisedSizes() {
    let sizes = BenchTrainPreset.allCases.map { preset in
      let c = preset.configuration
      return [
        c.modelWidth, c.headCount, c.feedForwardWidth, c.encoderLayerCount, c.decoderLayerCount,
        c.vocabularySize,
      ]
    }
    XCTAssertEqual(
      sizes,
      [[128, 4, 512, 2, 2, 1000], [256, 8, 1024, 3, 3, 8000], [512, 8, 2048, 6, 6, 8000]])
    for preset in BenchTrainPreset.allCases {
      let c = preset.configuration
      XCTAssertTrue(c.tieEmbeddings && c.norm == .post && c.dropout == 0.1)
      XCTAssertNil(c.problem)
    }
  }

  func testSyntheticBatchHasNoPaddingAndShiftedTargets() {
    let benchmark = BenchTrainBenchmark(preset: .tiny)
    let batch = benchmark.syntheticBatch(vocabularySize: 1000)
    XCTAssertEqual(batch.sourceIDs.count, 64 * 24)
    XCTAssertEqual(batch.targetInputIDs.count, 64 * 24)
    XCTAssertEqual(batch.sourceLengths, Array(repeating: 24, count: 64))
    XCTAssertEqual(batch.targetLengths, Array(repeating: 24, count: 64))
    XCTAssertTrue((batch.sourceIDs + batch.targetOutputIDs).allSatisfy { (4..<1000).contains($0) })
    for row in 0..<64 {
      XCTAssertEqual(batch.targetInputIDs[row * 24], 1)
      XCTAssertEqual(
        Array(batch.targetInputIDs[(row * 24 + 1)..<(row * 24 + 24)]),
        Array(batch.targetOutputIDs[(row * 24)..<(row * 24 + 23)]))
    }
  }

  func testMedianAndPeakMemoryParsing() {
    XCTAssertEqual(BenchTrainMeasurement.median([3, 1, 2]), 2)
    XCTAssertEqual(BenchTrainMeasurement.median([4, 1, 3, 2]), 2.5)
    XCTAssertEqual(BenchTrainMeasurement.median([]), 0)
    let status = "Name:\tx\nVmPeak:\t  900 kB\nVmHWM:\t  204800 kB\nVmRSS:\t 1000 kB\n"
    XCTAssertEqual(
      ProcessMemory.peakResidentMegabytes(statusText: status)!, 209.7152, accuracy: 1e-9)
    XCTAssertNil(ProcessMemory.peakResidentMegabytes(statusText: "VmRSS: 1 kB"))
  }
}
