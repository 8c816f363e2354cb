import XCTest
@testable import Training

/// The arithmetic of `max_steps: "auto"`: the largest step count whose steps and validations
/// fit the budget's target fraction, worked out by hand for each case.
final class StepPlanTests: XCTestCase {
  /// The Multi30K shape: 40 minutes, 5 of them gone in a 400-step warm-up, 0.7 s a step and
  /// 20 s a validation every 200 steps, aiming at 97.5 % (2340 s).
  func testPlansTheStepsThatFitTheTarget() {
    let plan = StepPlan(
      budgetSeconds: 2400, elapsedSeconds: 300, stepsDone: 400, secondsPerStep: 0.7,
      secondsPerValidation: 20, validationInterval: 200)
    // 300 + 2571 · 0.7 + (14 − 2) · 20 = 2339.7 ≤ 2340; one step more is 2340.4.
    XCTAssertEqual(plan.totalSteps, 2971)
    XCTAssertEqual(plan.predictedSeconds, 2339.7, accuracy: 1e-9)
    XCTAssertEqual(plan.predictedSeconds(atTotal: 2972), 2340.4, accuracy: 1e-9)
    XCTAssertEqual(plan.predictedFraction, 2339.7 / 2400, accuracy: 1e-12)
    XCTAssertGreaterThanOrEqual(plan.predictedFraction, 0.95)
    XCTAssertEqual(plan.stepsPerMinute, 60 / 0.7, accuracy: 1e-9)
  }

  /// The validation on a multiple of the interval is counted only when the plan reaches it:
  /// when it would cross the target, the plan stops just before it.
  func testStopsBeforeAValidationThatWouldNotFit() {
    func plan(budget: Double) -> StepPlan {
      StepPlan(
        budgetSeconds: budget, elapsedSeconds: 0, stepsDone: 0, secondsPerStep: 1,
        secondsPerValidation: 10, validationInterval: 100, targetFraction: 1)
    }
    // 1000 steps + 10 validations = 1100 s: fits exactly.
    XCTAssertEqual(plan(budget: 1100).totalSteps, 1000)
    XCTAssertEqual(plan(budget: 1100).predictedSeconds, 1100)
    // One second less: step 1000's validation no longer fits, 999 steps and 9 validations do.
    XCTAssertEqual(plan(budget: 1099).totalSteps, 999)
    XCTAssertEqual(plan(budget: 1099).predictedSeconds, 1089)
  }

  func testWithoutValidationsOnlyStepsCount() {
    let plan = StepPlan(
      budgetSeconds: 100, elapsedSeconds: 10, stepsDone: 20, secondsPerStep: 0.5,
      secondsPerValidation: 30, validationInterval: 0, targetFraction: 0.9)
    // (90 − 10) / 0.5 = 160 more steps.
    XCTAssertEqual(plan.totalSteps, 180)
    XCTAssertEqual(plan.predictedSeconds, 90, accuracy: 1e-9)
  }

  /// A warm-up that used up the budget leaves nothing: the plan is the steps already taken.
  func testAnExhaustedBudgetPlansNoMoreSteps() {
    let plan = StepPlan(
      budgetSeconds: 60, elapsedSeconds: 59, stepsDone: 50, secondsPerStep: 1,
      secondsPerValidation: 5, validationInterval: 10)
    XCTAssertEqual(plan.totalSteps, 50)
    XCTAssertEqual(plan.predictedSeconds, 59)
  }

  /// More time never plans fewer steps, slower steps never plan more, and every plan is the
  /// largest that fits: the next step would cross the target.
  func testPlansGrowWithTheBudgetAndEachIsTheLargest() {
    var previous = 0
    for budget in stride(from: 100.0, through: 3000, by: 37) {
      let plan = StepPlan(
        budgetSeconds: budget, elapsedSeconds: 50, stepsDone: 40, secondsPerStep: 0.9,
        secondsPerValidation: 13, validationInterval: 25)
      XCTAssertGreaterThanOrEqual(plan.totalSteps, previous, "budget \(budget)")
      previous = plan.totalSteps
      let target = plan.targetFraction * budget
      XCTAssertLessThanOrEqual(plan.predictedSeconds, target)
      XCTAssertGreaterThan(plan.predictedSeconds(atTotal: plan.totalSteps + 1), target)
      let slower = StepPlan(
        budgetSeconds: budget, elapsedSeconds: 50, stepsDone: 40, secondsPerStep: 1.1,
        secondsPerValidation: 13, validationInterval: 25)
      XCTAssertLessThanOrEqual(slower.totalSteps, plan.totalSteps)
    }
  }

  func testTheMeasuredWindowLeavesOutTheFirstFifthOfTheWarmUp() {
    XCTAssertEqual(StepTiming.firstMeasuredStep(warmupSteps: 400), 81)
    XCTAssertEqual(StepTiming.firstMeasuredStep(warmupSteps: 5), 2)
    XCTAssertEqual(StepTiming.firstMeasuredStep(warmupSteps: 1), 1)
    // The latest validation, not the mean: early ones decode to the length limit.
    let timing = StepTiming(
      steps: 4, stepSeconds: 6, validations: 2, validationSeconds: 9, lastValidationSeconds: 3.5)
    XCTAssertEqual(timing.secondsPerStep, 1.5)
    XCTAssertEqual(timing.secondsPerValidation, 3.5)
    XCTAssertEqual(StepTiming().secondsPerStep, 0)
  }
}
