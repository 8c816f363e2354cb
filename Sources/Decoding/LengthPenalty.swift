import Foundation

/// The length normalisation of Wu et al. 2016 (GNMT, §7): a hypothesis Y is ranked by
/// `log P(Y|X) / lp(Y)` with `lp(Y) = ((5 + |Y|) / 6)^α`, so that beam search does not favour
/// short outputs. α = 0 ranks by log-probability alone; the paper uses α between 0.6 and 0.7
/// (0.6 with beam 4 here by default).
public struct LengthPenalty: Sendable, Equatable {
  /// α.
  public var alpha: Float

  /// The penalty with exponent `alpha`.
  public init(alpha: Float = 0.6) {
    self.alpha = alpha
  }

  /// `lp(Y)` for a hypothesis of `length` tokens (`</s>` counted when produced).
  public func penalty(length: Int) -> Float {
    alpha == 0 ? 1 : Float(pow((5 + Double(length)) / 6, Double(alpha)))
  }

  /// The ranking score `logProbability / lp(Y)`.
  public func normalized(_ logProbability: Float, length: Int) -> Float {
    logProbability / penalty(length: length)
  }
}
