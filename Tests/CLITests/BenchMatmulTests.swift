import Foundation
import Tensors
import XCTest

@testable import CLI
import Benchmarks

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
        Set(object.keys), ["m", "k", "n", "batch", "trans_a", "trans_b", "threads", "gflops"])
      let gflops = try XCTUnwrap(object["gflops"] as? NSNumber).doubleValue
      XCTAssertGreaterThanOrEqual(gflops, 0)
    }
    XCTAssertEqual(Parallel.threadCount, 1)
  }

  func testTableIsAlignedUnderItsHeader() {
    let run = CLIRun(
      "bench", "matmul", "--threads", "1", "--repeats", "1", "--shape", "8x8x8",
      "--shape", "24x32x24x3:tb")
    XCTAssertEqual(run.status, 0, run.errors)
    let lines = run.output.split(separator: "\n").map(String.init)
    XCTAssertEqual(lines.count, 4)
    XCTAssertEqual(lines[0], "matmul on 1 threads, median of 1 timed runs per shape")
    XCTAssertEqual(lines[1], "shape     batch  transA  transB          ms    GFLOPS")
    XCTAssertTrue(lines[2].hasPrefix("8x8x8         1  false   false   "), lines[2])
    XCTAssertTrue(lines[3].hasPrefix("24x32x24      3  false   true    "), lines[3])
    XCTAssertEqual(lines[2].count, lines[1].count)
    XCTAssertEqual(lines[3].count, lines[1].count)
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
  }
}
