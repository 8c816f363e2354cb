import Foundation
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

  /// A clock that moves only when the run reports a step (1 s) or a validation (4 s).
  private final class SimulatedClock {
    var now = 0.0
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
      case .step:
        steps += 1
        clock.now += 1
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

  func testPlanIsRecordedAndTheRateReachesZeroAtThePlannedStep() throws {
    let (summary, events) = try train(try autoConfig())
    let plan = try XCTUnwrap(plans(in: events).first)
    XCTAssertEqual(plans(in: events).count, 1, "one plan, no re-estimate")
    XCTAssertEqual(plan.stepsDone, 5)
    XCTAssertEqual(plan.elapsedSeconds, 9)
    XCTAssertEqual(plan.secondsPerStep, 1)
    XCTAssertEqual(plan.secondsPerValidation, 4)
    XCTAssertEqual(plan.totalSteps, Self.planned)
    XCTAssertEqual(plan.predictedSeconds, 58)

    XCTAssertEqual(summary.reason, .maxSteps(Self.planned))
    XCTAssertEqual(summary.steps, Self.planned)
    XCTAssertEqual(summary.plannedSteps, Self.planned)
    // The run stops where the plan said; the final validation (34 is off the interval) is on
    // top, as for any time-limited run.
    XCTAssertEqual(summary.stoppedAtSeconds, 58)
    XCTAssertEqual(summary.elapsedSeconds, 62)
    XCTAssertEqual(try XCTUnwrap(summary.budgetFraction), 58.0 / 60, accuracy: 1e-12)

    // The linear schedule: warm-up to 0.01 at step 5, then straight down to 0 at step 34.
    let lines = try tiny.metrics()
    var rates: [Int: Double] = [:]
    for line in lines where line["loss"] != nil {
      rates[try XCTUnwrap(line["step"] as? Int)] = try XCTUnwrap(line["lr"] as? Double)
    }
    XCTAssertEqual(rates.count, Self.planned)
    XCTAssertEqual(try XCTUnwrap(rates[5]), 0.01, accuracy: 1e-12)
    XCTAssertEqual(try XCTUnwrap(rates[20]), 0.01 * (1 - 15.0 / 29), accuracy: 1e-12)
    XCTAssertEqual(try XCTUnwrap(rates[33]), 0.01 / 29, accuracy: 1e-12)
    XCTAssertEqual(rates[Self.planned], 0)

    // metrics.jsonl has the plan at the step it was made.
    let planLines = lines.filter { $0["planned_steps"] != nil }
    XCTAssertEqual(planLines.count, 1)
    XCTAssertEqual(planLines.first?["step"] as? Int, 5)
    XCTAssertEqual(planLines.first?["planned_steps"] as? Int, Self.planned)
    XCTAssertEqual(planLines.first?["s_per_validation"] as? Double, 4)

    // config.json of the run and of its checkpoints hold the number, not "auto".
    for file in ["config.json", "last/config.json"] {
      let saved = try RunConfig(
        contentsOf: "\(tiny.runDirectory)/\(file)", checkingFiles: false)
      XCTAssertEqual(saved.training.maxSteps, .steps(Self.planned), file)
    }
    let state = try TrainerCheckpointFile.state(
      at: "\(tiny.runDirectory)/last/\(TrainerCheckpointFile.fileName)")
    XCTAssertEqual(state.plannedSteps, Self.planned)
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
