/// `training.max_steps`: a number of optimiser steps, or `"auto"`, the number of steps that fits
/// `training.max_time_minutes`, which the trainer measures and fixes at the end of the warm-up
/// (see `StepPlan` in the Training target).
///
/// An integer literal is a fixed limit, so `config.training.maxSteps = 3600` reads as before.
public enum StepLimit: Equatable, Sendable, ExpressibleByIntegerLiteral {
  /// Stop after this many steps; 0 for no step limit.
  case steps(Int)
  /// Plan the steps from the measured speed so that training fills the time budget.
  case auto

  public init(integerLiteral value: Int) { self = .steps(value) }

  /// The fixed number of steps, 0 for none; nil while the limit is still to be planned.
  public var fixedSteps: Int? {
    switch self {
    case .steps(let steps): return steps
    case .auto: return nil
    }
  }

  /// The JSON word for a planned limit.
  public static let autoWord = "auto"
}
