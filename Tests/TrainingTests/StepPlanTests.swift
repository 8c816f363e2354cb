import NN
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

  /// The re-plan comes at the midpoint of the first plan's decay, and only when a step lies
  /// strictly between the end of the warm-up and the planned stop.
  func testTheReplanStepIsTheMidpointOfTheDecay() {
    XCTAssertEqual(StepReplan.step(warmupSteps: 40, firstTotalSteps: 754), 397)
    XCTAssertEqual(StepReplan.step(warmupSteps: 5, firstTotalSteps: 34), 19)
    XCTAssertEqual(StepReplan.step(warmupSteps: 5, firstTotalSteps: 7), 6)
    XCTAssertNil(StepReplan.step(warmupSteps: 5, firstTotalSteps: 6))
    XCTAssertNil(StepReplan.step(warmupSteps: 5, firstTotalSteps: 5))
  }

  /// Before the midpoint a run asks after every ⌈(N₁ − w) / 10⌉ steps of the decay whether its
  /// first plan still fits: for w 5, N₁ 34 (midpoint 19) after steps 8, 11, 14 and 17.
  func testEarlyChecksFallOnTenthsOfTheDecayBeforeTheMidpoint() {
    let checks = (0...40).filter {
      StepReplan.isEarlyCheck(step: $0, warmupSteps: 5, firstTotalSteps: 34)
    }
    XCTAssertEqual(checks, [8, 11, 14, 17])
    // The Multi30K recipe's scale: 400 warm-up steps, 2,900 planned; every 250 steps.
    let recipe = (0...3000).filter {
      StepReplan.isEarlyCheck(step: $0, warmupSteps: 400, firstTotalSteps: 2900)
    }
    XCTAssertEqual(recipe, [650, 900, 1150, 1400])
    XCTAssertEqual(StepReplan.step(warmupSteps: 400, firstTotalSteps: 2900), 1650)
    // A decay of one step has no midpoint and no check; one of two steps checks nowhere
    // before its midpoint.
    XCTAssertFalse((0...10).contains {
      StepReplan.isEarlyCheck(step: $0, warmupSteps: 5, firstTotalSteps: 6)
    })
    XCTAssertFalse((0...10).contains {
      StepReplan.isEarlyCheck(step: $0, warmupSteps: 5, firstTotalSteps: 7)
    })
  }

  /// Hand-worked: steps 1.5 s after the warm-up, at step 8 after 13.5 s (5 steps of 1 s, the
  /// 4 s validation at 5, 3 steps of 1.5 s). The first plan, 34 steps, would end at
  /// 13.5 + 26 · 1.5 + 5 validations · 4 = 72.5 s, 120.8 % of 60 s; at 1 s a step it would end
  /// at 13.5 + 26 + 20 = 59.5 s (99.2 %), still inside the budget.
  func testFirstPlanFractionByHand() {
    func fraction(_ secondsPerStep: Double) -> Double {
      StepReplan.firstPlanFraction(
        firstTotalSteps: 34, budgetSeconds: 60, elapsedSeconds: 13.5, stepsDone: 8,
        secondsPerStep: secondsPerStep, secondsPerValidation: 4, validationInterval: 5)
    }
    XCTAssertEqual(fraction(1.5), 72.5 / 60, accuracy: 1e-12)
    XCTAssertEqual(fraction(1), 59.5 / 60, accuracy: 1e-12)
    let early = StepReplan(
      firstTotalSteps: 34, budgetSeconds: 60, elapsedSeconds: 13.5, stepsDone: 8,
      secondsPerStep: 1.5, secondsPerValidation: 4, validationInterval: 5,
      trigger: .behind(firstPlanFraction: fraction(1.5)))
    // 13.5 + 19 · 1.5 + 4 · 4 = 58 for 27 steps; 28 would be 59.5.
    XCTAssertEqual(early.totalSteps, 27)
    XCTAssertEqual(early.predictedSeconds, 58)
    XCTAssertEqual(early.replan, DecayReplan(step: 8, firstTotalSteps: 34))
  }

  /// The Multi30K case of steps getting faster after the warm-up (1,213 → 1,446 tok/s): planned
  /// 754 for a 20-minute budget at 1.40 s a step, re-planned at step 397 from 1.174 s a step.
  func testAFasterMachinePlansMoreSteps() {
    let replan = StepReplan(
      firstTotalSteps: 754, budgetSeconds: 1200, elapsedSeconds: 600, stepsDone: 397,
      secondsPerStep: 1.174, secondsPerValidation: 9, validationInterval: 40)
    let target = 0.975 * 1200
    // 600 + (N − 397) · 1.174 + (⌊N / 40⌋ − 9) · 9 ≤ 1170: N = 799 gives 600 + 471.948 + 90
    // = 1161.948; N = 800 adds a step and the validation at 800: 1172.122.
    XCTAssertEqual(replan.totalSteps, 799)
    XCTAssertEqual(replan.predictedSeconds, 1161.948, accuracy: 1e-9)
    XCTAssertEqual(replan.plan.predictedSeconds(atTotal: 800), 1172.122, accuracy: 1e-9)
    XCTAssertLessThanOrEqual(replan.predictedSeconds, target)
    XCTAssertEqual(replan.step, 397)
    XCTAssertEqual(replan.replan, DecayReplan(step: 397, firstTotalSteps: 754))
    XCTAssertEqual(replan.predictedFraction, replan.predictedSeconds / 1200, accuracy: 1e-12)
  }

  /// Hand-worked: 60 s budget (58.5 s aimed at), at step 19 after 24 s, a validation of 4 s
  /// every 5 steps. Faster steps (0.5 s) plan 44: 24 + 25 · 0.5 + 5 · 4 = 56.5 (45 would be
  /// 61); slower ones (1.5 s, after 38 s) plan 27: 38 + 8 · 1.5 + 2 · 4 = 58 (28: 59.5).
  func testReplanArithmeticByHand() {
    let faster = StepReplan(
      firstTotalSteps: 34, budgetSeconds: 60, elapsedSeconds: 24, stepsDone: 19,
      secondsPerStep: 0.5, secondsPerValidation: 4, validationInterval: 5)
    XCTAssertEqual(faster.totalSteps, 44)
    XCTAssertEqual(faster.predictedSeconds, 56.5)
    let slower = StepReplan(
      firstTotalSteps: 34, budgetSeconds: 60, elapsedSeconds: 38, stepsDone: 19,
      secondsPerStep: 1.5, secondsPerValidation: 4, validationInterval: 5)
    XCTAssertEqual(slower.totalSteps, 27)
    XCTAssertEqual(slower.predictedSeconds, 58)
    XCTAssertEqual(slower.predictedFraction, 58.0 / 60, accuracy: 1e-12)
  }

  /// A machine so slow that the budget is already spent still plans one step more than taken,
  /// so that the new line starts above 0; the time limit then stops the run.
  func testAReplanNeverPlansFewerThanOneMoreStep() {
    let replan = StepReplan(
      firstTotalSteps: 754, budgetSeconds: 1200, elapsedSeconds: 1190, stepsDone: 397,
      secondsPerStep: 3, secondsPerValidation: 9, validationInterval: 40)
    XCTAssertEqual(replan.plan.totalSteps, 397)
    XCTAssertEqual(replan.totalSteps, 398)
    XCTAssertEqual(replan.predictedSeconds, 1193)
  }
}
