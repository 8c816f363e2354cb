import XCTest

@testable import Tensors

/// When small products split: the running score of jobs the workers joined in time, its
/// hysteresis, the probes, and the rule the row products apply.
final class WorkerResponsivenessTests: XCTestCase {
  func testSplitsUntilMostRecentJobsFoundNoWorkerThenKeepsToOneThread() {
    let score = WorkerResponsiveness()
    XCTAssertTrue(score.isSplitting)
    for _ in 0..<100 { score.record(prompt: true) }
    XCTAssertTrue(score.isSplitting)
    XCTAssertEqual(score.missFraction, 0)
    // Mean of misses with weight 1/16: 1 − (15/16)^n, above 1/2 from the 11th miss in a row.
    var misses = 0
    while score.isSplitting {
      score.record(prompt: false)
      misses += 1
      XCTAssertLessThan(misses, 100, "never stopped splitting")
    }
    XCTAssertEqual(misses, 11)
    XCTAssertGreaterThan(score.missFraction, 0.5)
  }

  func testTrustsTheWorkersAgainOnlyWellBelowTheLine() {
    let score = WorkerResponsiveness()
    for _ in 0..<200 { score.record(prompt: false) }
    XCTAssertFalse(score.isSplitting)
    // Prompt jobs bring the mean down by 15/16 each: below 1/2 after 11 of them, but small
    // products split again only below 1/4, after 22.
    var prompt = 0
    while !score.isSplitting {
      score.record(prompt: true)
      prompt += 1
      XCTAssertLessThan(prompt, 100, "never split again")
    }
    XCTAssertEqual(prompt, 22)
    // Alternating jobs (a mean near 1/2) do not switch it off at every other job.
    var switches = 0
    var splitting = score.isSplitting
    for job in 0..<64 {
      score.record(prompt: job % 2 == 0)
      if score.isSplitting != splitting { switches += 1 }
      splitting = score.isSplitting
    }
    XCTAssertLessThanOrEqual(switches, 1)
  }

  func testProbesEveryThirtySecondSmallProductWhileNotSplitting() {
    let score = WorkerResponsiveness()
    XCTAssertTrue((0..<10).allSatisfy { _ in score.splitsSmallWork() })
    for _ in 0..<200 { score.record(prompt: false) }
    let answers = (0..<96).map { _ in score.splitsSmallWork() }
    XCTAssertEqual(answers.filter { $0 }.count, 3)
    XCTAssertEqual(
      answers.indices.filter { answers[$0] }.map { $0 % WorkerResponsiveness.probeInterval },
      [31, 31, 31])
  }

  /// Work that is large enough under the old rule never asks the pool; one thread never splits
  /// through it.
  func testRowProductsAskOnlyForSmallWork() {
    XCTAssertEqual(rowProductMinimumWork(total: 2 * 262_144, threads: 2), 8192)
    XCTAssertEqual(rowProductMinimumWork(total: 10_000_000, threads: 2), 8192)
    XCTAssertEqual(rowProductMinimumWork(total: 65_536, threads: 1), 8192)
    let small = rowProductMinimumWork(total: 65_536, threads: 2)
    XCTAssertTrue([8192, 262_144].contains(small), "\(small)")
  }
}
