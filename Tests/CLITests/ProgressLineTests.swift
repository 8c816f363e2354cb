import Drawing
import XCTest

@testable import CLI
@testable import Training

/// The live training line fitted to a terminal's width, the log lines' ETA and scrollback, and
/// the legend of the loss's window.
final class ProgressLineTests: XCTestCase {
  private let progress = TrainingProgress(
    step: 1200, epoch: 3, loss: 2.34512, perplexity: 8.123, learningRate: 0.000632,
    tokensPerSecond: 10_512, elapsedSeconds: 83, remainingSeconds: 121, maxSteps: 3000)

  func testStatusFitsTheTerminalByDroppingFieldsInOrder() {
    let full =
      "epoch 3  step 1200/3000  loss 2.3451  ppl 8.12  lr 6.32e-04  10.5k tok/s  1:23  ETA 2:01"
    XCTAssertEqual(ProgressLine.status(progress), full)
    XCTAssertEqual(ProgressLine.status(progress, columns: 200), full)
    XCTAssertEqual(
      ProgressLine.status(progress, columns: 80),
      "epoch 3  step 1200/3000  loss 2.3451  lr 6.32e-04  10.5k tok/s  1:23  ETA 2:01")
    XCTAssertEqual(
      ProgressLine.status(progress, columns: 60),
      "step 1200/3000  loss 2.3451  10.5k tok/s  1:23  ETA 2:01")
    XCTAssertEqual(
      ProgressLine.status(progress, columns: 40), "step 1200/3000  loss 2.3451  ETA 2:01")
    XCTAssertEqual(ProgressLine.status(progress, columns: 20), "step 1200/3000  los")
    for columns in 10...120 {
      XCTAssertLessThan(
        TerminalText.width(ProgressLine.status(progress, columns: columns)), columns)
    }
  }

  func testTerminalWidthFallsBackToColumnsThen80() {
    XCTAssertEqual(TerminalSize.columns(environment: ["COLUMNS": "132"]), 132)
    XCTAssertEqual(TerminalSize.columns(environment: ["COLUMNS": "wide"]), 80)
    XCTAssertEqual(TerminalSize.columns(environment: [:]), 80)
  }

  func testPlainLogLinesHaveAnETAAndALegend() {
    let reporter = TrainProgressReporter(
      console: Console(output: String(), errors: String()), isTerminal: false, logInterval: 50)
    reporter.handle(.model(parameterCount: 1000, vocabularySize: 300, batchesPerEpoch: 10))
    reporter.handle(.step(progress))
    reporter.handle(.log(logEntry))
    let errors = reporter.console.errors as? String ?? ""
    XCTAssertEqual(
      errors,
      """
      model: 1000 parameters, vocabulary 300, 10 batches per epoch
      loss, ppl and tok/s are means since the last log line (every 50 steps, training.log_every)
      epoch 3  step 1200/3000  loss 2.3451  ppl 8.12  lr 6.32e-04  10.5k tok/s  1:23  ETA 2:01

      """)
  }

  func testTerminalKeepsLogLinesInScrollbackBelowTheLiveLine() {
    let reporter = TrainProgressReporter(
      console: Console(output: String(), errors: String()), isTerminal: true, logInterval: 50,
      terminalColumns: { 60 })
    reporter.handle(.step(progress))
    reporter.handle(.log(logEntry))
    reporter.finishLine()
    let live = "\r\u{1B}[Kstep 1200/3000  loss 2.3451  10.5k tok/s  1:23  ETA 2:01"
    XCTAssertEqual(
      reporter.console.errors as? String,
      live + "\r\u{1B}[K" + "step 1200/3000  loss 2.3451  10.5k tok/s  1:23  ETA 2:01\n" + live
        + "\r\u{1B}[K")
  }

  func testSummarySaysOneEpochInTheSingular() {
    let summary = TrainingSummary(
      reason: .maxSteps(10), steps: 10, epochs: 1, elapsedSeconds: 5, epochProgress: 1.5,
      targetTokens: 100, best: nil, lastValidation: nil, bestPath: "b", lastPath: "l",
      metricsPath: "m", testBLEU: nil, testTranslationsPath: nil)
    XCTAssertEqual(
      ProgressLine.summary(summary, resumeCommand: "")[0],
      "stopped: reached training.max_steps (10) after 10 steps, 1 complete epoch, 0:05 of "
        + "training")
  }

  /// A stop before the first step ends (a long accumulated step) saves nothing: the summary
  /// says so and offers no resume command, which would find nothing to resume.
  func testSummaryOfAStopBeforeTheFirstStepOffersNoResume() {
    func lines(steps: Int) -> [String] {
      let summary = TrainingSummary(
        reason: .interrupted, steps: steps, epochs: 0, elapsedSeconds: 5, epochProgress: 0,
        targetTokens: 0, best: nil, lastValidation: nil, bestPath: "b", lastPath: "run/last",
        metricsPath: "m", testBLEU: nil, testTranslationsPath: nil)
      return ProgressLine.summary(summary, resumeCommand: "transformer-cli train --resume")
    }
    XCTAssertTrue(
      lines(steps: 0).contains("last:    none: stopped before the first step ended, nothing saved"))
    XCTAssertFalse(lines(steps: 0).contains { $0.hasPrefix("resume:") })
    XCTAssertTrue(lines(steps: 3).contains("last:    run/last (step 3)"))
    XCTAssertTrue(lines(steps: 3).contains("resume:  transformer-cli train --resume"))
  }

  func testPlanLineAndSummary() {
    let plan = StepPlan(
      budgetSeconds: 2400, elapsedSeconds: 300, stepsDone: 400, secondsPerStep: 0.7,
      secondsPerValidation: 20, validationInterval: 200)
    let timing = StepTiming(
      steps: 320, stepSeconds: 224, validations: 2, validationSeconds: 50,
      lastValidationSeconds: 20)
    XCTAssertEqual(
      ProgressLine.plan(plan, timing: timing),
      "plan:   2971 steps fit training.max_time_minutes (40): 0.700 s a step (mean of 320 "
        + "steps of the warm-up), 20.0 s a validation (the latest of 2); stop predicted at 39:00 "
        + "(97.5 % of the budget), where the learning rate reaches 0; training.max_steps 2971 "
        + "written to config.json")
    let late = StepPlan(
      budgetSeconds: 60, elapsedSeconds: 70, stepsDone: 50, secondsPerStep: 1,
      secondsPerValidation: 5, validationInterval: 10)
    XCTAssertTrue(
      ProgressLine.plan(late, timing: timing).hasSuffix(
        "; no step after the warm-up fits the budget: lower training.warmup_steps or raise "
          + "training.max_time_minutes"))

    var summary = TrainingSummary(
      reason: .maxSteps(2971), steps: 2971, epochs: 12, elapsedSeconds: 2390,
      epochProgress: 12.8, targetTokens: 100, best: nil, lastValidation: nil, bestPath: "b",
      lastPath: "l", metricsPath: "m", testBLEU: nil, testTranslationsPath: nil)
    summary.plannedSteps = 2971
    summary.budgetSeconds = 2400
    summary.stoppedAtSeconds = 2352
    XCTAssertEqual(summary.budgetFraction, 0.98)
    XCTAssertTrue(
      ProgressLine.summary(summary, resumeCommand: "").contains(
        "plan:    2971 steps (training.max_steps \"auto\"), training stopped at 98.0 % of the "
          + "time budget"))
    let text = TrainSummaryFile.text(summary, peakResidentMegabytes: nil)
    XCTAssertTrue(text.contains(#""planned_steps": 2971,"#), text)
    XCTAssertTrue(text.contains(#""budget_used": 0.9800"#), text)
  }

  /// The second `plan:` line says what changed and why; the summary and `summary.json` name the
  /// first plan.
  func testReplanLineAndSummary() {
    let replan = StepReplan(
      firstTotalSteps: 754, budgetSeconds: 1200, elapsedSeconds: 600, stepsDone: 397,
      secondsPerStep: 1.174, secondsPerValidation: 9, validationInterval: 40)
    let timing = StepTiming(
      steps: 357, stepSeconds: 357 * 1.174, validations: 9, validationSeconds: 81,
      lastValidationSeconds: 9)
    let warmUp = StepTiming(
      steps: 32, stepSeconds: 44.8, validations: 1, validationSeconds: 9, lastValidationSeconds: 9)
    XCTAssertEqual(
      ProgressLine.replan(replan, timing: timing, warmUp: warmUp),
      "plan:   re-planned at step 397, halfway through the decay: 799 steps instead of 754, as a "
        + "step since the warm-up took 1.174 s (mean of 357 steps) against 1.400 s in the "
        + "warm-up, 9.0 s a validation; stop predicted at 19:22 (96.8 % of the budget); the "
        + "learning rate falls from its value at step 397 straight to 0 at step 799; "
        + "training.max_steps 799 written to config.json")
    let kept = StepReplan(
      firstTotalSteps: 34, budgetSeconds: 60, elapsedSeconds: 31, stepsDone: 19,
      secondsPerStep: 1, secondsPerValidation: 4, validationInterval: 5)
    XCTAssertTrue(
      ProgressLine.replan(kept, timing: timing, warmUp: warmUp).contains(
        "halfway through the decay: 34 steps as first planned, "))
    let over = StepReplan(
      firstTotalSteps: 754, budgetSeconds: 1200, elapsedSeconds: 1190, stepsDone: 397,
      secondsPerStep: 3, secondsPerValidation: 9, validationInterval: 40)
    XCTAssertTrue(
      ProgressLine.replan(over, timing: timing, warmUp: warmUp).hasSuffix(
        "; no further step fits the budget, so the time limit may stop the run first"))
    let early = StepReplan(
      firstTotalSteps: 34, budgetSeconds: 60, elapsedSeconds: 13.5, stepsDone: 8,
      secondsPerStep: 1.5, secondsPerValidation: 4, validationInterval: 5,
      trigger: .behind(firstPlanFraction: 72.5 / 60))
    // 72.5 s: the clock's rounding of the half second is not what is tested.
    let earlyLine = ProgressLine.replan(early, timing: timing, warmUp: warmUp)
    XCTAssertTrue(
      earlyLine.hasPrefix(
        "plan:   re-planned at step 8, early, as the first plan would end at 1:1"),
      earlyLine)
    XCTAssertTrue(
      earlyLine.contains(
        " (120.8 % of the budget): 27 steps instead of 34, as a step since the warm-up took "
          + "1.500 s"), earlyLine)

    var summary = TrainingSummary(
      reason: .maxSteps(799), steps: 799, epochs: 3, elapsedSeconds: 1180,
      epochProgress: 3.2, targetTokens: 100, best: nil, lastValidation: nil, bestPath: "b",
      lastPath: "l", metricsPath: "m", testBLEU: nil, testTranslationsPath: nil)
    summary.plannedSteps = 799
    summary.replan = replan.replan
    summary.budgetSeconds = 1200
    summary.stoppedAtSeconds = 1164
    XCTAssertTrue(
      ProgressLine.summary(summary, resumeCommand: "").contains(
        "plan:    799 steps (training.max_steps \"auto\", re-planned at step 397 from 754), "
          + "training stopped at 97.0 % of the time budget"))
    let text = TrainSummaryFile.text(summary, peakResidentMegabytes: nil)
    XCTAssertTrue(text.contains(#""planned_steps": 799,"#), text)
    XCTAssertTrue(text.contains(#""first_planned_steps": 754,"#), text)
    XCTAssertTrue(text.contains(#""replanned_at_step": 397,"#), text)
    XCTAssertTrue(text.contains(#""budget_used": 0.9700"#), text)
  }

  private var logEntry: TrainingLogEntry {
    TrainingLogEntry(
      step: 1200, epoch: 3, loss: 2.34512, perplexity: 8.123, learningRate: 0.000632,
      tokensPerSecond: 10_512, elapsedSeconds: 83)
  }
}
