import Foundation
import Support
import Training

/// The texts of training progress: the live status line, log lines, validation lines and the
/// final summary. Pure functions of the figures, so tests can check them exactly.
enum ProgressLine {
  /// `epoch 3  step 1200/3000  loss 2.3451  ppl 8.12  lr 6.32e-04  10.5k tok/s  1:23  ETA 2:01`
  ///
  /// With `columns` (a terminal's width) the line is fitted to it, leaving out first the
  /// perplexity, then the learning rate, the epoch, the speed and the elapsed time; the step,
  /// loss and ETA stay.
  static func status(_ progress: TrainingProgress, columns: Int? = nil) -> String {
    let line = statusLine(progress)
    return columns.map { line.fitted(to: $0) } ?? line.text
  }

  /// The fields of ``status(_:columns:)`` with the order in which they are left out.
  static func statusLine(_ progress: TrainingProgress) -> StatusLine {
    typealias Field = StatusLine.Field
    var fields = [
      Field(text: "epoch \(progress.epoch)", dropRank: 3),
      Field(
        text: "step \(progress.step)" + (progress.maxSteps > 0 ? "/\(progress.maxSteps)" : ""),
        dropRank: 0),
      Field(text: "loss \(fixed(progress.loss, 4))", dropRank: 0),
      Field(text: "ppl \(fixed(progress.perplexity, 2))", dropRank: 1),
      Field(text: "lr \(scientific(progress.learningRate))", dropRank: 2),
      Field(text: "\(rate(progress.tokensPerSecond)) tok/s", dropRank: 4),
      Field(text: TrainingFormat.duration(progress.elapsedSeconds), dropRank: 5),
    ]
    if let remaining = progress.remainingSeconds {
      fields.append(Field(text: "ETA \(TrainingFormat.duration(remaining))", dropRank: 0))
    }
    return StatusLine(fields: fields)
  }

  /// A log line: the status of one log interval, with the ETA of its last step.
  static func log(
    _ entry: TrainingLogEntry, maxSteps: Int, remainingSeconds: Double? = nil,
    columns: Int? = nil
  ) -> String {
    status(
      TrainingProgress(figures: entry, remainingSeconds: remainingSeconds, maxSteps: maxSteps),
      columns: columns)
  }

  /// The line that says what the progress figures are, printed once before the first step:
  /// the loss restarts with each log line, which would otherwise look like a jump.
  static func legend(logInterval: Int) -> String {
    "loss, ppl and tok/s are means since the last log line (every "
      + "\(counted(logInterval, "step")), training.log_every)"
  }

  /// `valid  step 250  loss 2.3100  ppl 10.07  BLEU 41.20  (new best)`
  static func validation(_ result: ValidationResult, isBest: Bool) -> String {
    var text = "valid  step \(result.step)  \(figures(result))"
    if isBest { text += "  (new best)" }
    return text
  }

  /// `loss 2.3100  ppl 10.07  BLEU 41.20`
  static func figures(_ result: ValidationResult) -> String {
    var text = "loss \(fixed(result.loss, 4))  ppl \(fixed(result.perplexity, 2))"
    if let bleu = result.bleu { text += "  BLEU \(fixed(bleu, 2))" }
    return text
  }

  /// The line for a `max_steps: "auto"` plan:
  /// `plan:   2971 steps fit training.max_time_minutes (40): 0.700 s a step (mean of 320 steps
  /// of the warm-up), 20.0 s a validation (the latest of 2); stop predicted at 39:00 (97.5 % of
  /// the budget), where the learning rate reaches 0; training.max_steps 2971 written to
  /// config.json`
  static func plan(_ plan: StepPlan, timing: StepTiming) -> String {
    var text =
      "plan:   \(counted(plan.totalSteps, "step")) fit training.max_time_minutes "
      + "(\(TrainingFormat.number(plan.budgetSeconds / 60))): "
      + "\(fixed(plan.secondsPerStep, 3)) s a step (mean of \(counted(timing.steps, "step")) of "
      + "the warm-up), \(fixed(plan.secondsPerValidation, 1)) s a validation (the latest of "
      + "\(timing.validations)); stop predicted at "
      + "\(TrainingFormat.duration(plan.predictedSeconds)) "
      + "(\(fixed(100 * plan.predictedFraction, 1)) % of the budget), where the learning rate "
      + "reaches 0; training.max_steps \(plan.totalSteps) written to config.json"
    if plan.totalSteps <= plan.stepsDone {
      text +=
        "; no step after the warm-up fits the budget: lower training.warmup_steps or "
        + "raise training.max_time_minutes"
    }
    return text
  }

  /// The line for the re-plan of a `max_steps: "auto"` plan, halfway through the decay (or
  /// earlier: "re-planned at step 120, early, as the first plan would end at 41:30 (103.8 % of
  /// the budget): …"):
  /// `plan:   re-planned at step 397, halfway through the decay: 912 steps instead of 754, as a
  /// step since the warm-up took 0.620 s (mean of 357 steps) against 0.740 s in the warm-up,
  /// 21.0 s a validation; stop predicted at 19:30 (97.5 % of the budget); the learning rate
  /// falls from its value at step 397 straight to 0 at step 912; training.max_steps 912
  /// written to config.json`
  static func replan(_ replan: StepReplan, timing: StepTiming, warmUp: StepTiming) -> String {
    let plan = replan.plan
    let outcome =
      replan.totalSteps == replan.firstTotalSteps
      ? "\(counted(replan.totalSteps, "step")) as first planned"
      : "\(counted(replan.totalSteps, "step")) instead of \(replan.firstTotalSteps)"
    let why: String
    switch replan.trigger {
    case .midpoint: why = "halfway through the decay"
    case .behind(let fraction):
      why =
        "early, as the first plan would end at "
        + "\(TrainingFormat.duration(fraction * replan.plan.budgetSeconds)) "
        + "(\(fixed(100 * fraction, 1)) % of the budget)"
    }
    var text =
      "plan:   re-planned at step \(replan.step), \(why): \(outcome), as a "
      + "step since the warm-up took \(fixed(plan.secondsPerStep, 3)) s (mean of "
      + "\(counted(timing.steps, "step"))) against \(fixed(warmUp.secondsPerStep, 3)) s in the "
      + "warm-up, \(fixed(plan.secondsPerValidation, 1)) s a validation; stop predicted at "
      + "\(TrainingFormat.duration(replan.predictedSeconds)) "
      + "(\(fixed(100 * replan.predictedFraction, 1)) % of the budget); the learning rate falls "
      + "from its value at step \(replan.step) straight to 0 at step \(replan.totalSteps); "
      + "training.max_steps \(replan.totalSteps) written to config.json"
    if plan.totalSteps <= replan.step {
      text += "; no further step fits the budget, so the time limit may stop the run first"
    }
    return text
  }

  /// The summary lines for stdout.
  static func summary(
    _ summary: TrainingSummary, peakResidentMegabytes: Double? = nil, resumeCommand: String
  ) -> [String] {
    var speed =
      "speed:   \(rate(summary.targetTokensPerSecond)) target tokens/s over "
      + "\(fixed(summary.epochProgress, 2)) epochs"
    if let memory = peakResidentMegabytes { speed += ", peak memory \(fixed(memory, 0)) MB" }
    var lines = [
      "stopped: \(summary.reason) after \(counted(summary.steps, "step")), "
        + "\(counted(summary.epochs, "complete epoch")), "
        + "\(TrainingFormat.duration(summary.elapsedSeconds)) of training",
      speed,
    ]
    if let best = summary.best {
      lines.append("best:    \(summary.bestPath) (step \(best.step): \(figures(best)))")
    }
    if let last = summary.lastValidation, last != summary.best {
      lines.append("final:   step \(last.step): \(figures(last))")
    }
    if let planned = summary.plannedSteps {
      var text = "plan:    \(counted(planned, "step")) (training.max_steps \"auto\""
      if let replan = summary.replan {
        text += ", re-planned at step \(replan.step) from \(replan.firstTotalSteps)"
      }
      text += ")"
      if let fraction = summary.budgetFraction {
        text += ", training stopped at \(fixed(100 * fraction, 1)) % of the time budget"
      }
      lines.append(text)
    }
    // A stop during the first step (a long accumulated one) leaves nothing to save.
    let saved = summary.steps > 0
    lines.append(
      saved
        ? "last:    \(summary.lastPath) (step \(summary.steps))"
        : "last:    none: stopped before the first step ended, nothing saved")
    if let bleu = summary.testBLEU, let path = summary.testTranslationsPath {
      lines.append(
        "test:    BLEU \(ProgressLine.fixed(bleu, 2)) (greedy, best checkpoint): \(path)")
    }
    lines.append("metrics: \(summary.metricsPath)")
    if summary.reason == .interrupted && saved {
      lines.append("resume:  \(resumeCommand)")
    }
    return lines
  }

  /// `2.3451` with `digits` decimals; `nan` and `inf` as such.
  static func fixed(_ value: Double, _ digits: Int) -> String {
    guard value.isFinite else { return "\(value)" }
    // An absurd figure (a time budget of 10⁻³⁰⁰ minutes) gets an exponent, not 300 digits.
    if abs(value) >= 1e12 { return String(format: "%.\(digits)e", value) }
    return String(format: "%.\(digits)f", value)
  }

  /// `6.32e-04`.
  static func scientific(_ value: Double) -> String {
    String(format: "%.2e", value)
  }

  /// `950`, `10.5k`, `1.23M`.
  static func rate(_ value: Double) -> String {
    if value >= 1e6 { return String(format: "%.2fM", value / 1e6) }
    if value >= 1e4 { return String(format: "%.1fk", value / 1e3) }
    return String(format: "%.0f", value)
  }
}
