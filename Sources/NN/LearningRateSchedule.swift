import Foundation
import Autograd

/// How the learning rate changes with the step: a linear warm-up followed by a decay, with the
/// inverse square root of the step (two parameterisations) or linearly to zero at a last step
/// (in one straight line, or two when the last step was re-planned on the way).
///
/// Steps count from 1 (the first optimiser step); step 0 and below give a rate of 0.
public enum LearningRateSchedule: Equatable, Sendable {
  /// The Transformer paper's schedule (section 5.3, "Noam"):
  /// `lr = scale · modelWidth^-0.5 · min(step^-0.5, step · warmupSteps^-1.5)`.
  /// Its peak, at `warmupSteps`, is `scale · (modelWidth · warmupSteps)^-0.5`.
  case noam(scale: Double, modelWidth: Int, warmupSteps: Int)
  /// Linear warm-up from 0 to `peak` over `warmupSteps` steps, then
  /// `peak · sqrt(warmupSteps / step)` (fairseq's `inverse_sqrt`).
  case inverseSquareRoot(peak: Double, warmupSteps: Int)
  /// Linear warm-up from 0 to `peak` over `warmupSteps` steps, then a straight line down to 0
  /// at `totalSteps`, where training ends. For a fixed budget of steps this ends better than
  /// the inverse square root, which stops at a still-high rate (Li et al. 2020, "Budgeted
  /// Training"); it is fairseq's `polynomial_decay` with power 1.
  case linear(peak: Double, warmupSteps: Int, totalSteps: Int)
  /// ``linear(peak:warmupSteps:totalSteps:)`` towards `replan.firstTotalSteps` up to
  /// `replan.step`, then a straight line from the rate there to 0 at `totalSteps`: piecewise
  /// linear and continuous, so re-planning the end never makes the rate jump. Equal to the one
  /// straight line when the re-plan kept `firstTotalSteps`.
  case replannedLinear(peak: Double, warmupSteps: Int, replan: DecayReplan, totalSteps: Int)

  /// The learning rate for optimiser step `step` (1-based).
  public func learningRate(atStep step: Int) -> Float {
    Float(exactRate(atStep: step))
  }

  /// The rate in `Double`, for tests and logs.
  public func exactRate(atStep step: Int) -> Double {
    guard step > 0 else { return 0 }
    let t = Double(step)
    switch self {
    case .noam(let scale, let modelWidth, let warmupSteps):
      let warmup = Double(max(warmupSteps, 1))
      return scale / Double(modelWidth).squareRoot()
        * min(1 / t.squareRoot(), t / (warmup * warmup.squareRoot()))
    case .inverseSquareRoot(let peak, let warmupSteps):
      let warmup = Double(max(warmupSteps, 1))
      return t < warmup ? peak * t / warmup : peak * (warmup / t).squareRoot()
    case .linear(let peak, let warmupSteps, let totalSteps):
      let warmup = Double(max(warmupSteps, 1))
      if t < warmup { return peak * t / warmup }
      let decaySteps = Double(max(totalSteps - max(warmupSteps, 1), 1))
      return peak * max(0, 1 - (t - warmup) / decaySteps)
    case .replannedLinear(let peak, let warmupSteps, let replan, let totalSteps):
      let first = Self.linear(
        peak: peak, warmupSteps: warmupSteps, totalSteps: replan.firstTotalSteps)
      guard step > replan.step, totalSteps != replan.firstTotalSteps else {
        return first.exactRate(atStep: step)
      }
      // rate(t) = rate(t_r) · (N − t) / (N − t_r) for t > t_r: the value at t_r is where the
      // first line left off.
      let remaining = Double(max(totalSteps - replan.step, 1))
      return first.exactRate(atStep: replan.step) * max(0, Double(totalSteps - step) / remaining)
    }
  }

  /// The highest rate the schedule reaches (at the end of warm-up).
  public var peakRate: Double {
    switch self {
    case .noam(_, _, let warmupSteps), .inverseSquareRoot(_, let warmupSteps),
      .linear(_, let warmupSteps, _), .replannedLinear(_, let warmupSteps, _, _):
      return exactRate(atStep: max(warmupSteps, 1))
    }
  }
}
