import NN

/// The one re-estimate of a `training.max_steps: "auto"` plan: halfway through the decay, or
/// earlier when the first plan has fallen behind.
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
/// A speed that falls by more than the plan's margin soon after the warm-up would have the time
/// limit cut the run before the midpoint, its rate far from 0 (measured: steps 2.6× slower from
/// step 41 of a 6-minute run, cut at step 52 of 67, the re-plan due at 53). So at every tenth of
/// the decay before the midpoint (``isEarlyCheck(step:warmupSteps:firstTotalSteps:)``) the run
/// asks whether the first plan, at the speed since the warm-up, still ends within the budget;
/// if not, it re-plans there and then (``Trigger/behind(firstPlanFraction:)``). Only a plan
/// that would overrun re-plans early: one that would end early loses only budget, which the
/// midpoint re-plan still wins back, while re-planning at a tenth of the decay leaves no
/// correction for the speed's later changes.
///
/// ```swift
/// StepReplan.step(warmupSteps: 40, firstTotalSteps: 754)  // 397
/// ```
public struct StepReplan: Equatable, Sendable {
  /// Why the run re-planned.
  public enum Trigger: Equatable, Sendable {
    /// It reached the midpoint of the first plan's decay.
    case midpoint
    /// The first plan, at the speed since the warm-up, would have ended at this fraction of the
    /// budget (above 1: cut by the time limit).
    case behind(firstPlanFraction: Double)
  }

  /// Why the run re-planned.
  public var trigger: Trigger
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

  /// How many checks for a first plan fallen behind the decay is divided into.
  public static let earlyChecksPerDecay = 10

  /// Whether a run whose warm-up of `warmupSteps` ended with a plan of `firstTotalSteps` asks,
  /// after `step`, whether that plan still fits: after each ⌈(N₁ − w) / 10⌉ steps of the decay,
  /// before the midpoint. A step count, not a time, so that every process of a run asks at the
  /// same step and a resumed run asks where the uninterrupted one did.
  public static func isEarlyCheck(step: Int, warmupSteps: Int, firstTotalSteps: Int) -> Bool {
    guard let midpoint = Self.step(warmupSteps: warmupSteps, firstTotalSteps: firstTotalSteps),
      step > warmupSteps, step < midpoint
    else { return false }
    let decay = firstTotalSteps - warmupSteps
    let interval = max(1, (decay + earlyChecksPerDecay - 1) / earlyChecksPerDecay)
    return (step - warmupSteps) % interval == 0
  }

  /// The fraction of the budget a run would use by the end of its first plan, `firstTotalSteps`,
  /// at the speed measured since the warm-up; the arguments are ``StepPlan``'s. Above 1 the
  /// time limit would cut it before its rate reaches 0.
  public static func firstPlanFraction(
    firstTotalSteps: Int, budgetSeconds: Double, elapsedSeconds: Double, stepsDone: Int,
    secondsPerStep: Double, secondsPerValidation: Double, validationInterval: Int
  ) -> Double {
    let now = StepPlan(
      budgetSeconds: budgetSeconds, elapsedSeconds: elapsedSeconds, stepsDone: stepsDone,
      secondsPerStep: secondsPerStep, secondsPerValidation: secondsPerValidation,
      validationInterval: validationInterval)
    return now.predictedSeconds(atTotal: firstTotalSteps) / max(budgetSeconds, 1e-9)
  }

  /// Re-plans from the measurements since the warm-up; the arguments are ``StepPlan``'s, and
  /// `trigger` says why.
  public init(
    firstTotalSteps: Int, budgetSeconds: Double, elapsedSeconds: Double, stepsDone: Int,
    secondsPerStep: Double, secondsPerValidation: Double, validationInterval: Int,
    targetFraction: Double = StepPlan.defaultTargetFraction, trigger: Trigger = .midpoint
  ) {
    self.trigger = trigger
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
