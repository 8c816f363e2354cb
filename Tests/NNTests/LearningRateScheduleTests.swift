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
}
