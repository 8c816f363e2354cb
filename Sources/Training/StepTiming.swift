/// The time measurements a `training.max_steps: "auto"` plan is made from: the seconds of the
/// steps and of the validations in the measured window (the warm-up after its first fifth,
/// whose steps pay one-off costs such as growing the allocator's pools).
///
/// Kept in ``TrainerState``, so that a run interrupted during the warm-up plans from every
/// session's measurements.
public struct StepTiming: Codable, Equatable, Sendable {
  /// Steps measured.
  public var steps = 0
  /// Their seconds: the step, the log line, everything but validation.
  public var stepSeconds = 0.0
  /// Validations measured.
  public var validations = 0
  /// Their seconds, with the checkpoint each saves.
  public var validationSeconds = 0.0

  /// Nothing measured.
  public init() {}

  /// Measurements from their sums.
  public init(steps: Int, stepSeconds: Double, validations: Int, validationSeconds: Double) {
    self.steps = steps
    self.stepSeconds = stepSeconds
    self.validations = validations
    self.validationSeconds = validationSeconds
  }

  /// The mean seconds of a step; 0 before any.
  public var secondsPerStep: Double { steps > 0 ? stepSeconds / Double(steps) : 0 }
  /// The mean seconds of a validation; 0 before any.
  public var secondsPerValidation: Double {
    validations > 0 ? validationSeconds / Double(validations) : 0
  }

  /// The first step the window measures, for a warm-up of `warmupSteps`: the first fifth is
  /// left out.
  public static func firstMeasuredStep(warmupSteps: Int) -> Int { warmupSteps / 5 + 1 }

  private enum CodingKeys: String, CodingKey {
    case steps
    case stepSeconds = "step_seconds"
    case validations
    case validationSeconds = "validation_seconds"
  }
}
