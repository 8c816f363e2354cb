import XCTest

@testable import NN

final class LearningRateScheduleTests: XCTestCase {
  func testNoamAtKnownPoints() {
    let schedule = LearningRateSchedule.noam(scale: 1, modelWidth: 512, warmupSteps: 4000)
    // 512^-0.5 · 4000^-1.5 per step during warm-up.
    XCTAssertEqual(
      schedule.exactRate(atStep: 1), 1 / (512.0.squareRoot() * pow(4000, 1.5)), accuracy: 1e-15)
    XCTAssertEqual(schedule.exactRate(atStep: 1), 1.7469e-7, accuracy: 1e-11)
    // The peak, at warm-up: (512 · 4000)^-0.5 ≈ 6.988e-4.
    XCTAssertEqual(
      schedule.exactRate(atStep: 4000), 1 / (512.0 * 4000).squareRoot(), accuracy: 1e-15)
    XCTAssertEqual(schedule.peakRate, 6.9877e-4, accuracy: 1e-8)
    XCTAssertLessThan(schedule.exactRate(atStep: 3999), schedule.peakRate)
    XCTAssertLessThan(schedule.exactRate(atStep: 4001), schedule.peakRate)
    // Past warm-up the rate falls as step^-0.5: at twice the warm-up it is peak / √2.
    XCTAssertEqual(
      schedule.exactRate(atStep: 8000), schedule.peakRate / 2.0.squareRoot(), accuracy: 1e-15)
    XCTAssertEqual(schedule.exactRate(atStep: 0), 0)
    XCTAssertEqual(
      LearningRateSchedule.noam(scale: 2, modelWidth: 512, warmupSteps: 4000).exactRate(
        atStep: 100),
      2 * schedule.exactRate(atStep: 100), accuracy: 1e-15)
    XCTAssertEqual(schedule.learningRate(atStep: 4000), Float(schedule.peakRate))
  }

  func testInverseSquareRootAtKnownPoints() {
    let schedule = LearningRateSchedule.inverseSquareRoot(peak: 5e-4, warmupSteps: 1000)
    XCTAssertEqual(schedule.exactRate(atStep: 1), 5e-7, accuracy: 1e-18)
    XCTAssertEqual(schedule.exactRate(atStep: 500), 2.5e-4, accuracy: 1e-15)
    XCTAssertEqual(schedule.exactRate(atStep: 1000), 5e-4, accuracy: 1e-15)
    XCTAssertEqual(schedule.peakRate, 5e-4, accuracy: 1e-15)
    XCTAssertEqual(schedule.exactRate(atStep: 2000), 5e-4 / 2.0.squareRoot(), accuracy: 1e-15)
    XCTAssertEqual(schedule.exactRate(atStep: 4000), 2.5e-4, accuracy: 1e-15)
    XCTAssertEqual(schedule.exactRate(atStep: 0), 0)
  }

  func testLinearWarmsUpThenFallsToZeroAtTheLastStep() {
    let schedule = LearningRateSchedule.linear(peak: 1e-3, warmupSteps: 100, totalSteps: 1100)
    XCTAssertEqual(schedule.exactRate(atStep: 0), 0)
    XCTAssertEqual(schedule.exactRate(atStep: 50), 5e-4, accuracy: 1e-15)
    XCTAssertEqual(schedule.exactRate(atStep: 100), 1e-3, accuracy: 1e-15)
    XCTAssertEqual(schedule.peakRate, 1e-3, accuracy: 1e-15)
    // Halfway down the 1000 decay steps, half the peak; 0 at the end and after.
    XCTAssertEqual(schedule.exactRate(atStep: 600), 5e-4, accuracy: 1e-15)
    XCTAssertEqual(schedule.exactRate(atStep: 1099), 1e-6, accuracy: 1e-15)
    XCTAssertEqual(schedule.exactRate(atStep: 1100), 0)
    XCTAssertEqual(schedule.exactRate(atStep: 5000), 0)
    for step in 100..<1100 {
      XCTAssertGreaterThan(schedule.exactRate(atStep: step), schedule.exactRate(atStep: step + 1))
    }
  }

  /// A decay re-planned at step 397 from 754 to 912 steps (warm-up 40, peak 1e-3): on the first
  /// line up to 397, then straight from the rate there to 0 at 912, without a jump.
  func testReplannedLinearBendsContinuouslyAndEndsAtZero() {
    let first = LearningRateSchedule.linear(peak: 1e-3, warmupSteps: 40, totalSteps: 754)
    let replan = DecayReplan(step: 397, firstTotalSteps: 754)
    let later = LearningRateSchedule.replannedLinear(
      peak: 1e-3, warmupSteps: 40, replan: replan, totalSteps: 912)
    for step in 0...397 {
      XCTAssertEqual(later.exactRate(atStep: step), first.exactRate(atStep: step), "step \(step)")
    }
    XCTAssertEqual(later.peakRate, 1e-3, accuracy: 1e-15)
    // The rate at the bend: 1e-3 · (754 − 397) / (754 − 40).
    let bend = 1e-3 * 357 / 714
    XCTAssertEqual(later.exactRate(atStep: 397), bend, accuracy: 1e-15)
    // After it, bend · (912 − t) / (912 − 397): the same decrement every step.
    XCTAssertEqual(later.exactRate(atStep: 398), bend * 514 / 515, accuracy: 1e-15)
    XCTAssertEqual(later.exactRate(atStep: 654), bend * 258 / 515, accuracy: 1e-15)
    XCTAssertEqual(later.exactRate(atStep: 911), bend / 515, accuracy: 1e-15)
    XCTAssertEqual(later.exactRate(atStep: 912), 0)
    XCTAssertEqual(later.exactRate(atStep: 2000), 0)
    for step in 398..<912 {
      let drop = later.exactRate(atStep: step) - later.exactRate(atStep: step + 1)
      XCTAssertEqual(drop, bend / 515, accuracy: 1e-15, "step \(step)")
    }
    // Continuous: the step across the bend moves the rate no more than a step of either line.
    let acrossBend = later.exactRate(atStep: 397) - later.exactRate(atStep: 398)
    XCTAssertLessThanOrEqual(acrossBend, 1e-3 / 714 + 1e-15)

    // Re-planned shorter (a slower machine): steeper after the bend, 0 at 600.
    let shorter = LearningRateSchedule.replannedLinear(
      peak: 1e-3, warmupSteps: 40, replan: replan, totalSteps: 600)
    XCTAssertEqual(shorter.exactRate(atStep: 397), bend, accuracy: 1e-15)
    XCTAssertEqual(shorter.exactRate(atStep: 599), bend / 203, accuracy: 1e-15)
    XCTAssertEqual(shorter.exactRate(atStep: 600), 0)
  }

  /// A re-plan that keeps the count is the one straight line, bit for bit.
  func testReplanKeepingTheCountIsTheStraightLine() {
    let straight = LearningRateSchedule.linear(peak: 5e-4, warmupSteps: 5, totalSteps: 34)
    let kept = LearningRateSchedule.replannedLinear(
      peak: 5e-4, warmupSteps: 5, replan: DecayReplan(step: 19, firstTotalSteps: 34),
      totalSteps: 34)
    for step in 0...40 {
      XCTAssertEqual(kept.exactRate(atStep: step), straight.exactRate(atStep: step))
    }
  }
}
