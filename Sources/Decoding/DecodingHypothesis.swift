/// One output of a search: the tokens, their log-probability under the model and the score
/// the search ranked it by.
public struct DecodingHypothesis: Sendable, Equatable {
  /// The output piece ids, without `<s>` and `</s>`.
  public var tokens: [Int]
  /// `log P(Y|X)`: the sum of the log-probabilities of the tokens, `</s>` included when the
  /// hypothesis ended with it; NaN from a greedy search told not to compute it
  /// (`DecodingOptions.scores`).
  public var logProbability: Float
  /// The ranking score: `logProbability / lp(Y)` (`LengthPenalty`); `logProbability` for
  /// greedy search.
  public var score: Float
  /// Whether the hypothesis ended with `</s>` (false when cut at the length limit).
  public var isComplete: Bool

  /// A hypothesis.
  public init(tokens: [Int], logProbability: Float, score: Float, isComplete: Bool) {
    self.tokens = tokens
    self.logProbability = logProbability
    self.score = score
    self.isComplete = isComplete
  }
}
