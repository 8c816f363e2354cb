import Foundation
import Tensors
import XCTest

@testable import CLI
@testable import Benchmarks

final class BenchMatmulTests: XCTestCase {
  func testJSONLinesHaveTheKeysInOrder() throws {
    let run = CLIRun(
      "bench", "matmul", "--json", "--threads", "1", "--repeats", "2",
      "--shape", "8x16x4", "--shape", "3x5x7x2:ta,tb")
    XCTAssertEqual(run.status, 0, run.errors)
    XCTAssertEqual(run.errors, "")
    let lines = run.output.split(separator: "\n").map(String.init)
    XCTAssertEqual(lines.count, 2)
    let expected: [(m: Int, k: Int, n: Int, batch: Int, transA: Bool, transB: Bool)] = [
      (8, 16, 4, 1, false, false), (3, 5, 7, 2, true, true),
    ]
    for (line, shape) in zip(lines, expected) {
      // The order of keys is part of the format: compare the text up to the measured value.
      XCTAssertTrue(
        line.hasPrefix(
          "{\"m\":\(shape.m),\"k\":\(shape.k),\"n\":\(shape.n),\"batch\":\(shape.batch),"
            + "\"trans_a\":\(shape.transA),\"trans_b\":\(shape.transB),\"threads\":1,\"gflops\":"),
        line)
      let object = try XCTUnwrap(
        JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      XCTAssertEqual(
        Set(object.keys),
        [
          "m", "k", "n", "batch", "trans_a", "trans_b", "threads", "gflops", "peak_gflops",
          "peak_fraction",
        ])
      // The peak's two keys come last, in this order.
      let tail = try XCTUnwrap(line.range(of: ",\"peak_gflops\":"), line)
      XCTAssertFalse(line[tail.upperBound...].contains("gflops\":"), line)
      XCTAssertTrue(line[tail.upperBound...].contains(",\"peak_fraction\":"), line)
      let gflops = try XCTUnwrap(object["gflops"] as? NSNumber).doubleValue
      let peak = try XCTUnwrap(object["peak_gflops"] as? NSNumber).doubleValue
      let fraction = try XCTUnwrap(object["peak_fraction"] as? NSNumber).doubleValue
      XCTAssertGreaterThanOrEqual(gflops, 0)
      XCTAssertGreaterThan(peak, 0)
      // Both printed rounded: 2 decimals of GFLOPS, 3 of the fraction.
      XCTAssertEqual(fraction, gflops / peak, accuracy: 0.0005 + 0.01 / peak)
    }
    XCTAssertEqual(Parallel.threadCount, 1)
  }

  func testTableIsAlignedUnderItsHeader() {
    let run = CLIRun(
      "bench", "matmul", "--threads", "1", "--repeats", "1", "--shape", "8x8x8",
      "--shape", "24x32x24x3:tb")
    XCTAssertEqual(run.status, 0, run.errors)
    let lines = run.output.split(separator: "\n").map(String.init)
    XCTAssertEqual(lines.count, 5)
    XCTAssertEqual(lines[0], "matmul on 1 threads, median of 1 timed runs per shape")
    XCTAssertTrue(lines[1].hasPrefix("FMA peak "), lines[1])
    XCTAssertTrue(lines[1].hasSuffix(" GFLOPS on 1 threads (256-bit FMAs)")
      || lines[1].hasSuffix(" GFLOPS on 1 threads (512-bit FMAs)"), lines[1])
    XCTAssertEqual(lines[2], "shape     batch  transA  transB          ms    GFLOPS  of peak")
    XCTAssertTrue(lines[3].hasPrefix("8x8x8         1  false   false   "), lines[3])
    XCTAssertTrue(lines[4].hasPrefix("24x32x24      3  false   true    "), lines[4])
    XCTAssertTrue(lines[3].hasSuffix("%"), lines[3])
    XCTAssertEqual(lines[3].count, lines[2].count)
    XCTAssertEqual(lines[4].count, lines[2].count)
  }

  func testNoPeakLeavesOutThePeak() {
    let run = CLIRun(
      "bench", "matmul", "--threads", "1", "--repeats", "1", "--no-peak", "--shape", "8x8x8")
    XCTAssertEqual(run.status, 0, run.errors)
    let lines = run.output.split(separator: "\n").map(String.init)
    XCTAssertEqual(lines.count, 3)
    XCTAssertEqual(lines[1], "shape  batch  transA  transB          ms    GFLOPS")
    let json = CLIRun(
      "bench", "matmul", "--json", "--threads", "1", "--repeats", "1", "--no-peak",
      "--shape", "8x8x8")
    XCTAssertEqual(json.status, 0, json.errors)
    XCTAssertFalse(json.output.contains("peak"), json.output)
  }

  func testFMAPeakIsPositiveAndNamesItsWidth() {
    var benchmark = FMAPeakBenchmark(threads: 1)
    benchmark.iterations = 100_000
    benchmark.repeats = 2
    let peak = benchmark.measure()
    XCTAssertGreaterThan(peak.gflops, 0)
    XCTAssertTrue(peak.gflops.isFinite)
    XCTAssertTrue([8, 16].contains(peak.vectorWidth))
    XCTAssertEqual(peak.threads, 1)
  }

  func testFMAChainsComputeTheirSum() {
    // 12 chains from 1…12, each adding x·y = 1e-5·2·1e-4 = 2e-9 per step for 1000 steps.
    let sum = FMAPeakBenchmark.chains(SIMD8<Float>.self, 1000, 2)
    XCTAssertEqual(sum, 8 * (78 + 12 * 1000 * 2e-9), accuracy: 1e-3)
    XCTAssertEqual(
      FMAPeakBenchmark.chains(SIMD16<Float>.self, 10, 1), 16 * 78, accuracy: 1e-3)
  }

  func testAdaptiveRepeatsStayWithinBounds() {
    var benchmark = MatmulBenchmark(repeats: nil)
    benchmark.targetSeconds = 0.001
    let measurement = benchmark.measure(MatmulShape(m: 4, k: 4, n: 4))
    XCTAssertGreaterThanOrEqual(measurement.runCount, benchmark.minimumRepeats)
    XCTAssertLessThanOrEqual(measurement.runCount, benchmark.maximumRepeats)
    XCTAssertGreaterThan(measurement.medianSeconds, 0)
  }

  func testAdaptiveRepeatsFillTheTarget() {
    let benchmark = MatmulBenchmark(repeats: nil)
    XCTAssertEqual(benchmark.adaptiveRepeats(warmUpSeconds: 0.01), 50)
    XCTAssertEqual(benchmark.adaptiveRepeats(warmUpSeconds: 2), 5)
    XCTAssertEqual(benchmark.adaptiveRepeats(warmUpSeconds: 0), 100_000)
  }

  func testGFLOPSCountsTwoOperationsPerMultiplyAdd() {
    let measurement = MatmulMeasurement(
      shape: MatmulShape(m: 1000, k: 1000, n: 1000, batch: 2), threads: 2, runCount: 5,
      medianSeconds: 0.5)
    XCTAssertEqual(measurement.gflops, 8, accuracy: 1e-12)
    XCTAssertEqual(
      measurement.jsonLine,
      "{\"m\":1000,\"k\":1000,\"n\":1000,\"batch\":2,\"trans_a\":false,\"trans_b\":false,"
        + "\"threads\":2,\"gflops\":8.00}")
    var withPeak = measurement
    withPeak.peakGFLOPS = 32
    XCTAssertEqual(withPeak.peakFraction ?? -1, 0.25, accuracy: 1e-12)
    XCTAssertTrue(
      withPeak.jsonLine.hasSuffix("\"gflops\":8.00,\"peak_gflops\":32.00,\"peak_fraction\":0.250}"),
      withPeak.jsonLine)
  }
}
