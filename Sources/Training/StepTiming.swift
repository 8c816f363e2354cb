/// The time measurements a `training.max_steps: "auto"` plan is made from: the seconds of the
/// steps and of the validations in the measured window (the warm-up after its first fifth,
/// whose steps pay one-off costs such as growing the allocator's pools).
///
/// Kept in ``TrainerState``, so that a run interrupted during the warm-up plans from every
/// session's measurements.
public struct StepTiming: Equatable, Sendable {
  /// Steps measured.
  public var steps = 0
  /// Their seconds: the step, the log line, everything but validation.
  public var stepSeconds = 0.0
  /// Validations measured.
  public var validations = 0
  /// Their seconds, with the checkpoint each saves.
  public var validationSeconds = 0.0
  /// The seconds of the latest one, with its checkpoint.
  public var lastValidationSeconds = 0.0

  /// Nothing measured.
  public init() {}

  /// Measurements from their sums.
  public init(
    steps: Int, stepSeconds: Double, validations: Int, validationSeconds: Double,
    lastValidationSeconds: Double
  ) {
    self.steps = steps
    self.stepSeconds = stepSeconds
    self.validations = validations
    self.validationSeconds = validationSeconds
    self.lastValidationSeconds = lastValidationSeconds
  }

  /// The mean seconds of a step; 0 before any.
  public var secondsPerStep: Double { steps > 0 ? stepSeconds / Double(steps) : 0 }
  /// The seconds a validation is expected to take from now on: the latest one's, not the
  /// mean. Validation decodes greedily up to the source length + 50 pieces, and a model that
  /// does not yet end its sentences decodes to that limit, so the early validations take
  /// longer than the later ones; the latest is the closest to them. 0 before any.
  public var secondsPerValidation: Double { validations > 0 ? lastValidationSeconds : 0 }

  /// The first step the window measures, for a warm-up of `warmupSteps`: the first fifth is
  /// left out.
  public static func firstMeasuredStep(warmupSteps: Int) -> Int { warmupSteps / 5 + 1 }
}
