import Checkpoints
import Foundation
import Support
import Training

/// `summary.json` in the run directory: the finished run's figures, one member a line so that a
/// shell script can read a value with `sed` (scripts/bench-multi30k.sh does).
///
///     {
///       "reason": "reached training.max_time_minutes (40)",
///       "steps": 2390,
///       "epochs": 9.87,
///       "elapsed_s": 2412.5,
///       "target_tokens": 4070528,
///       "target_tokens_per_s": 1687.3,
///       "peak_rss_mb": 1203.4,
///       "best_step": 2300,
///       "best_valid_loss": 1.83,
///       "best_valid_bleu": 38.1,
///       "test_bleu_greedy": 36.9,
///       "planned_steps": 2885,
///       "first_planned_steps": 2971,
///       "replanned_at_step": 1685,
///       "budget_s": 2400.0,
///       "stopped_at_s": 2338.1,
///       "budget_used": 0.9742
///     }
///
/// `planned_steps` is there for `max_steps: "auto"` (the final count), `first_planned_steps` and
/// `replanned_at_step` when it re-planned (halfway through the decay, or earlier when behind); `stopped_at_s` is the clock
/// when training stopped, before the final validation and test decoding that `elapsed_s`
/// includes, and `budget_used` its fraction of `budget_s` (`max_time_minutes`).
///
/// Members without a value (no validation, no test set, no `/proc`) are left out.
enum TrainSummaryFile {
  /// The file's name in the run directory.
  static let fileName = TrainingRun.summaryFileName

  /// The file's text for `summary`, with the process's peak memory `peakResidentMegabytes`.
  static func text(_ summary: TrainingSummary, peakResidentMegabytes: Double?) -> String {
    var members: [(key: String, value: JSONValue)] = [
      ("reason", .string(summary.reason.description)),
      ("steps", .integer(summary.steps)),
      ("epochs", number(summary.epochProgress, 3)),
      ("elapsed_s", number(summary.elapsedSeconds, 1)),
      ("target_tokens", .integer(summary.targetTokens)),
      ("target_tokens_per_s", number(summary.targetTokensPerSecond, 1)),
    ]
    if let memory = peakResidentMegabytes { members.append(("peak_rss_mb", number(memory, 1))) }
    if let best = summary.best {
      members.append(("best_step", .integer(best.step)))
      members.append(("best_valid_loss", number(best.loss, 4)))
      if let bleu = best.bleu { members.append(("best_valid_bleu", number(bleu, 2))) }
    }
    if let bleu = summary.testBLEU { members.append(("test_bleu_greedy", number(bleu, 2))) }
    if let planned = summary.plannedSteps { members.append(("planned_steps", .integer(planned))) }
    if let replan = summary.replan {
      members.append(("first_planned_steps", .integer(replan.firstTotalSteps)))
      members.append(("replanned_at_step", .integer(replan.step)))
    }
    if let budget = summary.budgetSeconds { members.append(("budget_s", number(budget, 1))) }
    if let stopped = summary.stoppedAtSeconds {
      members.append(("stopped_at_s", number(stopped, 1)))
    }
    if let fraction = summary.budgetFraction {
      members.append(("budget_used", number(fraction, 4)))
    }
    return JSONValue.object(members).formatted() + "\n"
  }

  /// Writes the file into `directory`, aside and then renamed.
  static func write(
    _ summary: TrainingSummary, peakResidentMegabytes: Double?, directory: String
  ) throws {
    let path = CheckpointStore.join(directory, fileName)
    do {
      try AtomicFile.write(
        Data(text(summary, peakResidentMegabytes: peakResidentMegabytes).utf8), to: path)
    } catch {
      throw RuntimeError("cannot write \(path): \(error.reason)")
    }
  }

  /// `value` with `digits` decimals, `null` when not finite (JSON has no NaN). A magnitude
  /// outside [10⁻³, 10¹²) (a `budget_used` of a budget of 10⁻³⁰⁰ minutes) has `digits`
  /// significant decimals and an exponent, instead of hundreds of digits or none.
  static func number(_ value: Double, _ digits: Int) -> JSONValue {
    guard value.isFinite else { return .null }
    let magnitude = abs(value)
    if magnitude != 0, magnitude < 1e-3 || magnitude >= 1e12 {
      return .number(String(format: "%.\(digits)e", value))
    }
    return .number(String(format: "%.\(digits)f", value))
  }
}
