import Data

extension TrainerState {
  /// The largest count (steps, epochs, tokens) a saved state may hold: 2^53, where Double
  /// still counts exactly, far beyond any run, and small enough that doubling it for a
  /// suggested limit cannot overflow.
  static let maximumCount = 1 << 53

  /// The longest training time a saved state may hold, in seconds (about 30,000 years); its
  /// conversions to whole seconds cannot overflow.
  static let maximumSeconds = 1e12

  /// What is impossible in a state read from a file, as `field: what is wrong` in one line;
  /// nil when every value is one a run could have saved. The batch index is checked against
  /// the epoch's batches when the trainer restores the state (it needs the corpus).
  var problem: String? {
    func count(_ field: String, _ value: Int, minimum: Int = 0) -> String? {
      (minimum...Self.maximumCount).contains(value)
        ? nil : "\"\(field)\" is \(value), outside \(minimum)...\(Self.maximumCount)"
    }
    func seconds(_ field: String, _ value: Double) -> String? {
      value.isFinite && (0...Self.maximumSeconds).contains(value)
        ? nil : "\"\(field)\" is \(value), not a number of seconds in 0...1e12"
    }
    var problems: [String?] = [
      count("step", step), count("position.epoch", position.epoch),
      count("position.batchIndex", position.batchIndex),
      seconds("elapsed_seconds", elapsedSeconds), count("target_tokens", targetTokens),
      count("window.steps", window.steps), count("window.target_tokens", window.targetTokens),
      count("validations_without_improvement", validationsWithoutImprovement),
    ]
    if let plannedSteps { problems.append(count("planned_steps", plannedSteps, minimum: 1)) }
    for (key, timing) in [("timing", self.timing), ("decay_timing", decayTiming)] {
      problems += [
        count("\(key).steps", timing.steps), count("\(key).validations", timing.validations),
        seconds("\(key).step_seconds", timing.stepSeconds),
        seconds("\(key).validation_seconds", timing.validationSeconds),
        seconds("\(key).last_validation_seconds", timing.lastValidationSeconds),
      ]
    }
    if let replan {
      problems += [
        count("replan.at_step", replan.step, minimum: 1),
        count("replan.from_planned_steps", replan.firstTotalSteps, minimum: 1),
      ]
    }
    // A validation is of a step already taken.
    for (key, result) in [("best", best), ("last_validation", lastValidation)] {
      guard let result else { continue }
      // Compared one bound at a time: `0...step` would trap on a negative (damaged) step.
      if result.step < 0 || result.step > step {
        problems.append("\"\(key).step\" is \(result.step), outside 0...\(step) (\"step\")")
      }
    }
    return problems.lazy.compactMap { $0 }.first
  }
}
