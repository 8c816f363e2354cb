import Foundation
import Training

/// The texts of training progress: the live status line, log lines, validation lines and the
/// final summary. Pure functions of the figures, so tests can check them exactly.
enum ProgressLine {
  /// `epoch 3  step 1200/3000  loss 2.3451  ppl 8.12  lr 6.32e-04  10.5k tok/s  1:23 ETA 2:01`
  static func status(_ progress: TrainingProgress) -> String {
    var parts = [
      "epoch \(progress.epoch)",
      "step \(progress.step)" + (progress.maxSteps > 0 ? "/\(progress.maxSteps)" : ""),
      "loss \(fixed(progress.loss, 4))",
      "ppl \(fixed(progress.perplexity, 2))",
      "lr \(scientific(progress.learningRate))",
      "\(rate(progress.tokensPerSecond)) tok/s",
      TrainingFormat.duration(progress.elapsedSeconds),
    ]
    if let remaining = progress.remainingSeconds {
      parts[parts.count - 1] += " ETA \(TrainingFormat.duration(remaining))"
    }
    return parts.joined(separator: "  ")
  }

  /// A log line: the status of one log interval.
  static func log(_ entry: TrainingLogEntry, maxSteps: Int) -> String {
    status(
      TrainingProgress(
        step: entry.step, epoch: entry.epoch, loss: entry.loss, perplexity: entry.perplexity,
        learningRate: entry.learningRate, tokensPerSecond: entry.tokensPerSecond,
        elapsedSeconds: entry.elapsedSeconds, remainingSeconds: nil, maxSteps: maxSteps))
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

  /// The summary lines for stdout.
  static func summary(
    _ summary: TrainingSummary, peakResidentMegabytes: Double? = nil, resumeCommand: String
  ) -> [String] {
    var speed =
      "speed:   \(rate(summary.targetTokensPerSecond)) target tokens/s over "
      + "\(fixed(summary.epochProgress, 2)) epochs"
    if let memory = peakResidentMegabytes { speed += ", peak memory \(fixed(memory, 0)) MB" }
    var lines = [
      "stopped: \(summary.reason) after \(summary.steps) steps, \(summary.epochs) complete "
        + "epochs, \(TrainingFormat.duration(summary.elapsedSeconds)) of training",
      speed,
    ]
    if let best = summary.best {
      lines.append("best:    \(summary.bestPath) (step \(best.step): \(figures(best)))")
    }
    if let last = summary.lastValidation, last != summary.best {
      lines.append("final:   step \(last.step): \(figures(last))")
    }
    lines.append("last:    \(summary.lastPath) (step \(summary.steps))")
    if let bleu = summary.testBLEU, let path = summary.testTranslationsPath {
      lines.append(
        "test:    BLEU \(ProgressLine.fixed(bleu, 2)) (greedy, best checkpoint): \(path)")
    }
    lines.append("metrics: \(summary.metricsPath)")
    if summary.reason == .interrupted {
      lines.append("resume:  \(resumeCommand)")
    }
    return lines
  }

  /// `2.3451` with `digits` decimals; `nan` and `inf` as such.
  static func fixed(_ value: Double, _ digits: Int) -> String {
    value.isFinite ? String(format: "%.\(digits)f", value) : "\(value)"
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
