/// How many optimiser steps fit a time budget: the arithmetic behind `training.max_steps:
/// "auto"`, a pure function of what the trainer measured.
///
/// The run's time limit is judged before each step, so what must fit is the time until the
/// run stops: the steps still to take and the validations that fall on them (every
/// `validationInterval` steps, each also saving a checkpoint). The last validation after the
/// final step, the test decoding and averaging come on top, as they do for any time-limited
/// run. The plan is the largest total `N` with
///
///     elapsed + (N − done) · secondsPerStep + (⌊N / I⌋ − ⌊done / I⌋) · secondsPerValidation
///       ≤ targetFraction · budget
///
/// `targetFraction` leaves a margin for the speed to drift after the measurement; the time
/// limit still stops a run that turns out slower.
///
/// ```swift
/// let plan = StepPlan(
///   budgetSeconds: 2400, elapsedSeconds: 300, stepsDone: 400, secondsPerStep: 0.7,
///   secondsPerValidation: 20, validationInterval: 200)
/// plan.totalSteps  // 2971: the linear decay reaches 0 there
/// ```
public struct StepPlan: Equatable, Sendable {
  /// The part of the budget the plan fills: 2.5 % is left for the speed to drift (another
  /// process, a slower stretch of batches), so that the time limit rarely cuts the decay short
  /// while at least 95 % of the budget is used when the speed holds within a couple of percent.
  public static let defaultTargetFraction = 0.975

  /// `training.max_time_minutes` in seconds.
  public var budgetSeconds: Double
  /// The run's clock when the plan is made (every session, validations included).
  public var elapsedSeconds: Double
  /// Optimiser steps taken when the plan is made.
  public var stepsDone: Int
  /// The measured seconds of one step, everything but validation included.
  public var secondsPerStep: Double
  /// The measured seconds of one validation with its checkpoint.
  public var secondsPerValidation: Double
  /// `training.valid_every`; 0 for no validations on a step count.
  public var validationInterval: Int
  /// The fraction of the budget the plan aims to fill.
  public var targetFraction: Double
  /// The planned total of optimiser steps: `max_steps` from now on. Equal to ``stepsDone``
  /// when no further step fits.
  public private(set) var totalSteps: Int
  /// The run's clock predicted at the planned stop.
  public private(set) var predictedSeconds: Double

  /// Plans from the measurements.
  public init(
    budgetSeconds: Double, elapsedSeconds: Double, stepsDone: Int, secondsPerStep: Double,
    secondsPerValidation: Double, validationInterval: Int,
    targetFraction: Double = StepPlan.defaultTargetFraction
  ) {
    self.budgetSeconds = budgetSeconds
    self.elapsedSeconds = elapsedSeconds
    self.stepsDone = stepsDone
    self.secondsPerStep = secondsPerStep
    self.secondsPerValidation = secondsPerValidation
    self.validationInterval = validationInterval
    self.targetFraction = targetFraction
    totalSteps = stepsDone
    predictedSeconds = elapsedSeconds
    let target = targetFraction * budgetSeconds
    // The predicted time grows with the total, so the largest total that fits is found by
    // bisection between "no more steps" and an upper bound that ignores validations.
    let perStep = max(secondsPerStep, 1e-9)
    let room = max(0, target - elapsedSeconds) / perStep
    var low = stepsDone
    var high = stepsDone + Int(min(room, 1e12)) + 1
    while high - low > 1 {
      let middle = low + (high - low) / 2
      if predictedSeconds(atTotal: middle) <= target { low = middle } else { high = middle }
    }
    totalSteps = low
    predictedSeconds = predictedSeconds(atTotal: low)
  }

  /// The run's clock when it stops after `total` steps (the validations on those steps
  /// included).
  public func predictedSeconds(atTotal total: Int) -> Double {
    let steps = max(total - stepsDone, 0)
    var validations = 0
    if validationInterval > 0, total > stepsDone {
      validations = total / validationInterval - stepsDone / validationInterval
    }
    return elapsedSeconds + Double(steps) * secondsPerStep
      + Double(validations) * secondsPerValidation
  }

  /// The predicted fraction of the budget used at the planned stop.
  public var predictedFraction: Double { predictedSeconds / max(budgetSeconds, 1e-9) }

  /// Steps per minute of training alone, for the log.
  public var stepsPerMinute: Double { 60 / max(secondsPerStep, 1e-9) }
}
