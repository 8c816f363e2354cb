import NN

/// The one re-estimate of a `training.max_steps: "auto"` plan, halfway through the decay.
///
/// The first ``StepPlan`` is made from the warm-up's speed, but a shared machine's speed drifts
/// after it (measured on Multi30K with 20-minute budgets: plans that stopped at 93.4 % of the
/// budget when steps got faster, and one cut by the time limit at 100.1 %, its rate never
/// reaching 0, when they got slower). So the count is planned once more, at the midpoint
/// between the end of the warm-up `w` and the first plan's count `N₁`:
///
///     t_r = w + ⌊(N₁ − w) / 2⌋
///
/// late enough that many steps since the warm-up have been timed, early enough that half the
/// decay is still ahead to absorb the change. The new count `N₂` is a ``StepPlan`` from the
/// run's clock at `t_r`, the mean step time since the warm-up (validations excluded) and the
/// latest validation's time, aiming at the same 97.5 % of the budget; it is never below
/// `t_r + 1`. The linear rate then runs from its value at `t_r` straight to 0 at `N₂`
/// (``LearningRateSchedule/replannedLinear(peak:warmupSteps:replan:totalSteps:)``).
///
/// ```swift
/// StepReplan.step(warmupSteps: 40, firstTotalSteps: 754)  // 397
/// ```
public struct StepReplan: Equatable, Sendable {
  /// The first plan's step count.
  public var firstTotalSteps: Int
  /// The plan from the measurements since the warm-up, made after step ``step``.
  public var plan: StepPlan
  /// The new step count: the plan's, but at least one more than taken.
  public private(set) var totalSteps: Int
  /// The run's clock predicted at the new stop.
  public private(set) var predictedSeconds: Double

  /// The step after which a run whose warm-up of `warmupSteps` ended with a plan of
  /// `firstTotalSteps` re-plans: the midpoint of its decay. Nil when no step lies strictly
  /// between the two (the decay is a step or two long; nothing to re-plan).
  public static func step(warmupSteps: Int, firstTotalSteps: Int) -> Int? {
    let step = warmupSteps + (firstTotalSteps - warmupSteps) / 2
    return step > warmupSteps && step < firstTotalSteps ? step : nil
  }

  /// Re-plans from the measurements since the warm-up; the arguments are ``StepPlan``'s.
  public init(
    firstTotalSteps: Int, budgetSeconds: Double, elapsedSeconds: Double, stepsDone: Int,
    secondsPerStep: Double, secondsPerValidation: Double, validationInterval: Int,
    targetFraction: Double = StepPlan.defaultTargetFraction
  ) {
    self.firstTotalSteps = firstTotalSteps
    plan = StepPlan(
      budgetSeconds: budgetSeconds, elapsedSeconds: elapsedSeconds, stepsDone: stepsDone,
      secondsPerStep: secondsPerStep, secondsPerValidation: secondsPerValidation,
      validationInterval: validationInterval, targetFraction: targetFraction)
    // One more step keeps the new line's end after t_r, where its rate is still above 0: a
    // run already over its budget then stops at the time limit a step later.
    totalSteps = max(plan.totalSteps, stepsDone + 1)
    predictedSeconds = plan.predictedSeconds(atTotal: totalSteps)
  }

  /// The step the re-plan was made after (t_r).
  public var step: Int { plan.stepsDone }

  /// What the schedule and the config record.
  public var replan: DecayReplan { DecayReplan(step: step, firstTotalSteps: firstTotalSteps) }

  /// The predicted fraction of the budget used at the new stop.
  public var predictedFraction: Double { predictedSeconds / max(plan.budgetSeconds, 1e-9) }
}
