import Foundation
import NN
import XCTest
@testable import Training
import Config

/// `training.max_steps: "auto"` end to end on the tiny task, on a clock the test drives: every
/// step takes 1 s and every validation 4 s, so the plan is known in advance.
///
/// With a warm-up of 5 steps, a validation every 5 and a budget of 60 s, the plan is made at
/// step 5, after 9 s (5 steps, 1 validation), from steps 2–5 (the first fifth left out) and
/// the validation at 5. It aims at 97.5 % of 60 s = 58.5 s:
/// 9 + (N − 5) · 1 + (⌊N / 5⌋ − 1) · 4 ≤ 58.5 gives N = 34 (58 s; 35 would be 63 s).
///
/// The re-plan comes after step 5 + ⌊29 / 2⌋ = 19, at 31 s (14 steps and the validations at 10
/// and 15): 31 + (N − 19) + (⌊N / 5⌋ − 3) · 4 ≤ 58.5 keeps N = 34. When the steps after the
/// warm-up take 0.5 s (a faster machine) it is at 24 s and plans 44; at 1.5 s (slower), 38 s and
/// 27 (see `StepPlanTests.testReplanArithmeticByHand`).
final class AutoStepsTests: XCTestCase {
  private var tiny: TinyRun!
  private static let planned = 34

  override func setUpWithError() throws {
    tiny = try TinyRun()
  }

  override func tearDown() {
    tiny.remove()
  }

  /// The tiny config with the linear schedule and `max_steps: "auto"` in one minute.
  private func autoConfig(_ overrides: [String] = []) throws -> RunConfig {
    try tiny.config(
      [
        "schedule": "\"linear\"", "warmup_steps": "5", "valid_every": "5",
        "max_steps": "\"auto\"", "max_time_minutes": "1",
      ], overrides: overrides)
  }

  /// A clock that moves only when the run reports a step (1 s, or `afterWarmUp` after step 5)
  /// or a validation (4 s).
  private final class SimulatedClock {
    var now = 0.0
    let afterWarmUp: Double
    init(afterWarmUp: Double = 1) { self.afterWarmUp = afterWarmUp }
  }

  /// Trains on the simulated clock; `stopAfter` steps of this session simulates Ctrl-C.
  @discardableResult
  private func train(
    _ config: RunConfig, clock: SimulatedClock = SimulatedClock(), resume: Bool = false,
    stopAfter: Int? = nil
  ) throws -> (summary: TrainingSummary, events: [TrainingEvent]) {
    var events: [TrainingEvent] = []
    var steps = 0
    let run = try TrainingRun(config: config, resume: resume) { event in
      events.append(event)
      switch event {
      case .step(let progress):
        steps += 1
        clock.now += progress.step > 5 ? clock.afterWarmUp : 1
      case .validating: clock.now += 4
      default: break
      }
    }
    run.clock = { clock.now }
    run.pointerDirectory = tiny.path("runs")
    let summary = try run.run(shouldStop: { stopAfter.map { steps >= $0 } ?? false })
    return (summary, events)
  }

  private func plans(in events: [TrainingEvent]) -> [StepPlan] {
    events.compactMap { if case .planned(let plan, _) = $0 { plan } else { nil } }
  }

  private func replans(in events: [TrainingEvent]) -> [StepReplan] {
    events.compactMap { if case .replanned(let replan, _, _) = $0 { replan } else { nil } }
  }

  /// The learning rate of every step, from `metrics.jsonl` (logged every step).
  private func rates(in run: String? = nil) throws -> [Int: Double] {
    var rates: [Int: Double] = [:]
    for line in try tiny.metrics(in: run) where line["loss"] != nil {
      rates[try XCTUnwrap(line["step"] as? Int)] = try XCTUnwrap(line["lr"] as? Double)
    }
    return rates
  }

  func testPlanIsRecordedAndTheRateReachesZeroAtThePlannedStep() throws {
    let (summary, events) = try train(try autoConfig())
    let plan = try XCTUnwrap(plans(in: events).first)
    XCTAssertEqual(plans(in: events).count, 1, "one plan")
    XCTAssertEqual(plan.stepsDone, 5)
    XCTAssertEqual(plan.elapsedSeconds, 9)
    XCTAssertEqual(plan.secondsPerStep, 1)
    XCTAssertEqual(plan.secondsPerValidation, 4)
    XCTAssertEqual(plan.totalSteps, Self.planned)
    XCTAssertEqual(plan.predictedSeconds, 58)

    // Re-planned once, halfway through the decay: the speed held, so the count is kept.
    let replan = try XCTUnwrap(replans(in: events).first)
    XCTAssertEqual(replans(in: events).count, 1)
    XCTAssertEqual(replan.step, 19)
    XCTAssertEqual(replan.plan.elapsedSeconds, 31)
    XCTAssertEqual(replan.plan.secondsPerStep, 1)
    XCTAssertEqual(replan.plan.secondsPerValidation, 4)
    XCTAssertEqual(replan.totalSteps, Self.planned)
    XCTAssertEqual(replan.predictedSeconds, 58)

    XCTAssertEqual(summary.reason, .maxSteps(Self.planned))
    XCTAssertEqual(summary.steps, Self.planned)
    XCTAssertEqual(summary.plannedSteps, Self.planned)
    XCTAssertEqual(summary.replan, DecayReplan(step: 19, firstTotalSteps: Self.planned))
    // The run stops where the plan said; the final validation (34 is off the interval) is on
    // top, as for any time-limited run.
    XCTAssertEqual(summary.stoppedAtSeconds, 58)
    XCTAssertEqual(summary.elapsedSeconds, 62)
    XCTAssertEqual(try XCTUnwrap(summary.budgetFraction), 58.0 / 60, accuracy: 1e-12)

    // The linear schedule: warm-up to 0.01 at step 5, then straight down to 0 at step 34 (the
    // re-plan kept the count, so the line is not bent).
    let lines = try tiny.metrics()
    let rates = try rates()
    XCTAssertEqual(rates.count, Self.planned)
    XCTAssertEqual(try XCTUnwrap(rates[5]), 0.01, accuracy: 1e-12)
    XCTAssertEqual(try XCTUnwrap(rates[20]), 0.01 * (1 - 15.0 / 29), accuracy: 1e-12)
    XCTAssertEqual(try XCTUnwrap(rates[33]), 0.01 / 29, accuracy: 1e-12)
    XCTAssertEqual(rates[Self.planned], 0)

    // metrics.jsonl has the plan and the re-plan at the steps they were made.
    let planLines = lines.filter { $0["planned_steps"] != nil }
    XCTAssertEqual(planLines.count, 2)
    XCTAssertEqual(planLines.first?["step"] as? Int, 5)
    XCTAssertEqual(planLines.first?["planned_steps"] as? Int, Self.planned)
    XCTAssertEqual(planLines.first?["s_per_validation"] as? Double, 4)
    XCTAssertNil(planLines.first?["first_planned_steps"])
    XCTAssertEqual(planLines.last?["step"] as? Int, 19)
    XCTAssertEqual(planLines.last?["planned_steps"] as? Int, Self.planned)
    XCTAssertEqual(planLines.last?["first_planned_steps"] as? Int, Self.planned)

    // config.json of the run and of its checkpoints hold the number, not "auto".
    for file in ["config.json", "last/config.json"] {
      let saved = try RunConfig(
        contentsOf: "\(tiny.runDirectory)/\(file)", checkingFiles: false)
      XCTAssertEqual(saved.training.maxSteps, .steps(Self.planned), file)
      XCTAssertEqual(saved.training.replanned, replan.replan, file)
    }
    let state = try TrainerCheckpointFile.state(
      at: "\(tiny.runDirectory)/last/\(TrainerCheckpointFile.fileName)")
    XCTAssertEqual(state.plannedSteps, Self.planned)
    XCTAssertEqual(state.replan, replan.replan)
  }

  /// Steps twice as fast after the warm-up: the plan (34) would stop at 43.5 s, 72.5 % of the
  /// budget; the re-plan at step 19 (24 s) moves the stop to 44, at 56.5 s, and the rate bends
  /// there from its value at 19 straight to 0 at 44.
  func testAFasterMachineReplansMoreStepsAndTheRateBendsWithoutAJump() throws {
    let (summary, events) = try train(try autoConfig(), clock: SimulatedClock(afterWarmUp: 0.5))
    XCTAssertEqual(plans(in: events).map(\.totalSteps), [Self.planned])
    let replan = try XCTUnwrap(replans(in: events).first)
    XCTAssertEqual(replans(in: events).count, 1)
    XCTAssertEqual(replan.step, 19)
    XCTAssertEqual(replan.plan.elapsedSeconds, 24)
    XCTAssertEqual(replan.plan.secondsPerStep, 0.5)
    XCTAssertEqual(replan.totalSteps, 44)
    XCTAssertEqual(summary.reason, .maxSteps(44))
    XCTAssertEqual(summary.plannedSteps, 44)
    XCTAssertEqual(summary.stoppedAtSeconds, 56.5)
    XCTAssertEqual(summary.replan, DecayReplan(step: 19, firstTotalSteps: Self.planned))

    let rates = try rates()
    XCTAssertEqual(rates.count, 44)
    let bend = 0.01 * 15 / 29
    XCTAssertEqual(try XCTUnwrap(rates[18]), 0.01 * 16 / 29, accuracy: 1e-12)
    XCTAssertEqual(try XCTUnwrap(rates[19]), bend, accuracy: 1e-12)
    XCTAssertEqual(try XCTUnwrap(rates[20]), bend * 24 / 25, accuracy: 1e-12)
    XCTAssertEqual(try XCTUnwrap(rates[43]), bend / 25, accuracy: 1e-12)
    XCTAssertEqual(rates[44], 0)
    for step in 19..<44 {
      XCTAssertEqual(rates[step]! - rates[step + 1]!, bend / 25, accuracy: 1e-12, "\(step)")
    }

    let saved = try RunConfig(
      contentsOf: "\(tiny.runDirectory)/config.json", checkingFiles: false)
    XCTAssertEqual(saved.training.maxSteps, .steps(44))
    XCTAssertEqual(saved.training.replanned, DecayReplan(step: 19, firstTotalSteps: Self.planned))
  }

  /// Steps 1.5× slower after the warm-up: at the first early check (step 8, 13.5 s) the plan
  /// (34) would end at 72.5 s, past the 60 s limit, so the run re-plans there instead of at the
  /// midpoint (19): 27 steps, stopping at 58 s with the rate reaching 0
  /// (`StepPlanTests.testFirstPlanFractionByHand`).
  func testASlowerMachineReplansEarlyForFewerStepsAndStillEndsAtZero() throws {
    let (summary, events) = try train(try autoConfig(), clock: SimulatedClock(afterWarmUp: 1.5))
    let replan = try XCTUnwrap(replans(in: events).first)
    XCTAssertEqual(replans(in: events).count, 1)
    XCTAssertEqual(replan.step, 8)
    XCTAssertEqual(replan.plan.elapsedSeconds, 13.5)
    XCTAssertEqual(replan.trigger, .behind(firstPlanFraction: 72.5 / 60))
    XCTAssertEqual(replan.totalSteps, 27)
    XCTAssertEqual(summary.reason, .maxSteps(27))
    XCTAssertEqual(summary.stoppedAtSeconds, 58)
    XCTAssertEqual(try XCTUnwrap(summary.budgetFraction), 58.0 / 60, accuracy: 1e-12)
    XCTAssertEqual(summary.replan, DecayReplan(step: 8, firstTotalSteps: Self.planned))
    let rates = try rates()
    let bend = 0.01 * 26 / 29
    XCTAssertEqual(try XCTUnwrap(rates[8]), bend, accuracy: 1e-12)
    XCTAssertEqual(try XCTUnwrap(rates[9]), bend * 18 / 19, accuracy: 1e-12)
    XCTAssertEqual(try XCTUnwrap(rates[26]), bend / 19, accuracy: 1e-12)
    XCTAssertEqual(rates[27], 0)
    let line = try XCTUnwrap(try tiny.metrics().last { $0["first_planned_steps"] != nil })
    XCTAssertEqual(line["step"] as? Int, 8)
    XCTAssertEqual(try XCTUnwrap(line["first_predicted_s"] as? Double), 72.5, accuracy: 1e-9)
  }

  /// Steps 3× slower right after the warm-up (the loaded machine that cut a 6-minute run at
  /// step 52 of 67, before its midpoint re-plan): the midpoint (19) would come at 59 s and leave
  /// no step, so the time limit would cut the decay with the rate at half its peak. The early
  /// check at step 8 (18 s; the first plan would end at 116 s) re-plans 18 steps:
  /// 18 + 10 · 3 + 2 validations · 4 = 56 s (19 would be 59 s). A run stopped at step 7 and
  /// resumed re-plans at step 8 all the same, and trains the same steps.
  func testAMuchSlowerMachineReplansEarlyAndIsNotCut() throws {
    let whole = tiny.path("runs/whole")
    let (summary, events) = try train(
      try autoConfig(["output.dir=\(whole)"]), clock: SimulatedClock(afterWarmUp: 3))
    let replan = try XCTUnwrap(replans(in: events).first)
    XCTAssertEqual(replan.step, 8)
    XCTAssertEqual(replan.trigger, .behind(firstPlanFraction: 116.0 / 60))
    XCTAssertEqual(replan.totalSteps, 18)
    XCTAssertEqual(summary.reason, .maxSteps(18))
    XCTAssertEqual(summary.stoppedAtSeconds, 56)
    XCTAssertEqual(try rates(in: whole)[18], 0)
    let expected = try tiny.trainingLosses(in: whole)
    XCTAssertEqual(expected.count, 18)

    let resumed = tiny.path("runs/resumed")
    let clock = SimulatedClock(afterWarmUp: 3)
    let first = try train(
      try autoConfig(["output.dir=\(resumed)"]), clock: clock, stopAfter: 7)
    XCTAssertEqual(first.summary.reason, .interrupted)
    XCTAssertTrue(replans(in: first.events).isEmpty)
    let (again, againEvents) = try train(
      try autoConfig(["output.dir=\(resumed)"]), clock: clock, resume: true)
    XCTAssertEqual(replans(in: againEvents).map(\.step), [8])
    XCTAssertEqual(again.reason, .maxSteps(18))
    XCTAssertEqual(try tiny.trainingLosses(in: resumed), expected)
    let saved = try RunConfig(contentsOf: "\(resumed)/config.json", checkingFiles: false)
    XCTAssertEqual(saved.training.replanned, DecayReplan(step: 8, firstTotalSteps: Self.planned))
  }

  /// The re-planned run's config.json (max_steps 44 and the re-plan) reruns the same learning
  /// rates and losses step by step, on the real clock and without planning.
  func testRerunWithTheReplannedConfigIsTheSameRun() throws {
    try train(try autoConfig(), clock: SimulatedClock(afterWarmUp: 0.5))
    let expected = try tiny.trainingLosses()
    XCTAssertEqual(expected.count, 44)
    let rerun = tiny.path("runs/rerun")
    let (summary, events) = try tiny.train(
      try RunConfig(
        contentsOf: "\(tiny.runDirectory)/config.json", overrides: ["output.dir=\(rerun)"]))
    XCTAssertTrue(plans(in: events).isEmpty && replans(in: events).isEmpty)
    XCTAssertEqual(summary.reason, .maxSteps(44))
    XCTAssertEqual(try tiny.trainingLosses(in: rerun), expected)
    XCTAssertEqual(try rates(in: rerun), try rates())
  }

  /// Interrupted before the re-plan (step 12), right after it (19) or later (23), `--resume`
  /// with the "auto" recipe re-plans at step 19 as the uninterrupted run did, or keeps its
  /// re-plan, and ends with the same losses and rates.
  func testResumeAcrossTheReplanIsTheSameRun() throws {
    let whole = tiny.path("runs/whole")
    try train(try autoConfig(["output.dir=\(whole)"]), clock: SimulatedClock(afterWarmUp: 0.5))
    let expected = try tiny.trainingLosses(in: whole)
    XCTAssertEqual(expected.count, 44)

    for stop in [12, 19, 23] {
      let directory = tiny.path("runs/stopped-at-\(stop)")
      let clock = SimulatedClock(afterWarmUp: 0.5)
      let first = try train(
        try autoConfig(["output.dir=\(directory)"]), clock: clock, stopAfter: stop)
      XCTAssertEqual(first.summary.reason, .interrupted)
      XCTAssertEqual(replans(in: first.events).count, stop >= 19 ? 1 : 0)
      let (summary, events) = try train(
        try autoConfig(["output.dir=\(directory)"]), clock: clock, resume: true)
      XCTAssertEqual(summary.reason, .maxSteps(44), "stopped at \(stop)")
      XCTAssertEqual(replans(in: events).map(\.totalSteps), stop < 19 ? [44] : [])
      XCTAssertEqual(summary.replan, DecayReplan(step: 19, firstTotalSteps: Self.planned))
      XCTAssertEqual(try tiny.trainingLosses(in: directory), expected, "stopped at \(stop)")
      let saved = try RunConfig(contentsOf: "\(directory)/config.json", checkingFiles: false)
      XCTAssertEqual(saved.training.maxSteps, .steps(44))
      XCTAssertEqual(saved.training.replanned, DecayReplan(step: 19, firstTotalSteps: Self.planned))
    }
  }

  /// A rerun with the recorded number, on the real clock, trains exactly the same steps.
  func testRerunWithTheRecordedNumberIsTheSameRun() throws {
    try train(try autoConfig())
    let expected = try tiny.trainingLosses()
    let rerun = tiny.path("runs/rerun")
    try tiny.train(
      try RunConfig(
        contentsOf: "\(tiny.runDirectory)/config.json", overrides: ["output.dir=\(rerun)"]))
    XCTAssertEqual(try tiny.trainingLosses(in: rerun), expected)
    XCTAssertEqual(expected.count, Self.planned)
  }

  /// Interrupted after the plan or during the warm-up, `--resume` with the "auto" recipe ends
  /// at the same step with the same losses.
  func testResumeKeepsThePlan() throws {
    let whole = tiny.path("runs/whole")
    try train(try autoConfig(["output.dir=\(whole)"]))
    let expected = try tiny.trainingLosses(in: whole)

    for stop in [12, 3] {
      let directory = tiny.path("runs/stopped-at-\(stop)")
      let clock = SimulatedClock()
      let first = try train(
        try autoConfig(["output.dir=\(directory)"]), clock: clock, stopAfter: stop)
      XCTAssertEqual(first.summary.reason, .interrupted)
      XCTAssertEqual(plans(in: first.events).count, stop > 5 ? 1 : 0)
      let (summary, events) = try train(
        try autoConfig(["output.dir=\(directory)"]), clock: clock, resume: true)
      XCTAssertEqual(summary.reason, .maxSteps(Self.planned), "stopped at \(stop)")
      if stop > 5 {
        XCTAssertTrue(
          events.contains { if case .resumedPlan(Self.planned) = $0 { true } else { false } })
        XCTAssertTrue(plans(in: events).isEmpty, "no second plan")
      } else {
        // Planned after the resume, from the measurements of both sessions.
        XCTAssertEqual(plans(in: events).map(\.totalSteps), [Self.planned])
      }
      XCTAssertEqual(try tiny.trainingLosses(in: directory), expected, "stopped at \(stop)")
      let saved = try RunConfig(contentsOf: "\(directory)/config.json", checkingFiles: false)
      XCTAssertEqual(saved.training.maxSteps, .steps(Self.planned))
    }
  }

  /// A fixed-step run resumed with "auto" past its warm-up has nothing to plan from.
  func testAutoOnResumePastTheWarmUpOfAFixedRunIsRefused() throws {
    try train(try autoConfig(["training.max_steps=8"]))
    XCTAssertThrowsError(try train(try autoConfig(), resume: true)) { error in
      guard case .unsupported(let path, let message)? = error as? TrainingError else {
        return XCTFail("\(error)")
      }
      XCTAssertEqual(path, "training.max_steps")
      XCTAssertTrue(message.contains("give max_steps a number"), message)
    }
  }
}
