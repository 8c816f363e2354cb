import Checkpoints
import Foundation
import NN
import Support

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// `metrics.jsonl`: one JSON object a line, for plotting and for comparing runs.
///
///     {"step":50,"epoch":1,"loss":5.1234,"ppl":160.2,"lr":0.000125,"tokens_per_s":10520.3,"elapsed_s":9.7}
///     {"step":250,"valid_loss":2.31,"valid_ppl":10.07,"valid_bleu":41.2}
///     {"step":3000,"test_bleu":97.3}
///
/// Training lines come every `training.log_every` steps, validation lines at each validation,
/// one plan line (`planned_steps`, …) at the end of the warm-up with `max_steps: "auto"` and
/// one more (with `first_planned_steps`) where it re-plans,
/// and a test line (the best checkpoint's greedy BLEU, at that checkpoint's step) at the end
/// when the config names a test set.
/// Numbers are written with Swift's shortest round-trip spelling, so two runs whose losses
/// are equal have equal lines; a non-finite number is written `null`.
public struct MetricsLog: Sendable {
  /// The file's path.
  public let path: String

  /// The file's name in the run directory.
  public static let fileName = "metrics.jsonl"

  /// The log of the run in `directory`.
  public init(directory: String) {
    path = CheckpointStore.join(directory, Self.fileName)
  }

  /// The line for a log interval.
  public static func line(for entry: TrainingLogEntry) -> String {
    object([
      ("step", .integer(entry.step)), ("epoch", .integer(entry.epoch)),
      ("loss", number(entry.loss)), ("ppl", number(entry.perplexity)),
      ("lr", number(entry.learningRate)), ("tokens_per_s", number(entry.tokensPerSecond)),
      ("elapsed_s", number(entry.elapsedSeconds)),
    ])
  }

  /// The line for a validation.
  public static func line(for result: ValidationResult) -> String {
    var members: [(String, JSONValue)] = [
      ("step", .integer(result.step)), ("valid_loss", number(result.loss)),
      ("valid_ppl", number(result.perplexity)),
    ]
    if let bleu = result.bleu { members.append(("valid_bleu", number(bleu))) }
    return object(members)
  }

  /// The line for a `max_steps: "auto"` plan, at the step it was made:
  /// `{"step":400,"planned_steps":2971,"s_per_step":0.7,"s_per_validation":20.0,"budget_s":2400.0,"elapsed_s":300.0,"predicted_s":2339.7}`.
  public static func line(for plan: StepPlan) -> String {
    object([
      ("step", .integer(plan.stepsDone)), ("planned_steps", .integer(plan.totalSteps)),
      ("s_per_step", number(plan.secondsPerStep)),
      ("s_per_validation", number(plan.secondsPerValidation)),
      ("budget_s", number(plan.budgetSeconds)), ("elapsed_s", number(plan.elapsedSeconds)),
      ("predicted_s", number(plan.predictedSeconds)),
    ])
  }

  /// The line for the re-plan of a `max_steps: "auto"` plan, at the step it was made after:
  /// `{"step":1685,"planned_steps":2890,"first_planned_steps":2971,"s_per_step":0.73,…}` with
  /// the other members of the plan's line, and for an early re-plan `"first_predicted_s"`, the
  /// clock at which the first plan would have ended.
  public static func line(for replan: StepReplan) -> String {
    let plan = replan.plan
    var members: [(String, JSONValue)] = [
      ("step", .integer(replan.step)), ("planned_steps", .integer(replan.totalSteps)),
      ("first_planned_steps", .integer(replan.firstTotalSteps)),
      ("s_per_step", number(plan.secondsPerStep)),
      ("s_per_validation", number(plan.secondsPerValidation)),
      ("budget_s", number(plan.budgetSeconds)), ("elapsed_s", number(plan.elapsedSeconds)),
      ("predicted_s", number(replan.predictedSeconds)),
    ]
    if case .behind(let fraction) = replan.trigger {
      members.append(("first_predicted_s", number(fraction * plan.budgetSeconds)))
    }
    return object(members)
  }

  /// The line for the test set's score after training.
  public static func testLine(step: Int, bleu: Double) -> String {
    object([("step", .integer(step)), ("test_bleu", number(bleu))])
  }

  /// Starts an empty log, replacing any earlier one.
  public func reset() throws(TrainingError) {
    try replace(with: "")
  }

  /// Appends `line` and a line feed.
  public func append(_ line: String) throws(TrainingError) {
    guard let handle = FileHandle(forWritingAtPath: path) else {
      // No log yet (a run resumed from a copied checkpoint): start one.
      try replace(with: line + "\n")
      return
    }
    do {
      defer { try? handle.close() }
      try handle.seekToEnd()
      try handle.write(contentsOf: Data((line + "\n").utf8))
    } catch {
      throw .cannotWrite(path: path, reason: (error as NSError).localizedDescription)
    }
  }

  /// Drops the lines of steps after `step` (written after the checkpoint a run resumes from,
  /// which the resumed run will write again), replacing the file atomically.
  public func truncate(afterStep step: Int) throws(TrainingError) {
    guard let data = FileManager.default.contents(atPath: path) else { return }
    let kept = String(decoding: data, as: UTF8.self).split(separator: "\n").filter { line in
      guard let lineStep = Self.step(of: line) else { return false }
      return lineStep <= step
    }
    try replace(with: kept.map { $0 + "\n" }.joined())
  }

  /// The `"step"` of a line, or nil when it has none (a torn last line from a crash).
  static func step(of line: Substring) -> Int? {
    (try? JSONParser.parse(String(line)))?["step"]?.integer
  }

  /// Writes `text` to a temporary file beside the log, then renames it into place.
  private func replace(with text: String) throws(TrainingError) {
    do {
      try AtomicFile.write(Data(text.utf8), to: path)
    } catch {
      throw .cannotWrite(path: path, reason: error.reason)
    }
  }

  /// `{"a":1,"b":2}` with the members in the given order.
  private static func object(_ members: [(String, JSONValue)]) -> String {
    JSONValue.object(members.map { (key: $0.0, value: $0.1) }).compactText()
  }

  /// The shortest spelling that reads back as the same `Double` (`3.0` keeps its point, as
  /// the log has always written it); `null` when not finite.
  static func number(_ value: Double) -> JSONValue {
    value.isFinite ? .number("\(value)") : .null
  }
}
