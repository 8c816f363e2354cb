/// How `GreedySearch`, `BeamSearch` and `Translator` search: beam size, length penalty and
/// length limits.
public struct DecodingOptions: Sendable, Equatable {
  /// The hypotheses kept per sentence (4 in Wu et al. 2016); 1 is greedy search.
  public var beamSize: Int
  /// The length normalisation (α = 0.6 by default).
  public var lengthPenalty: LengthPenalty
  /// The most output tokens beyond the source's length (`</s>` not counted); 50 by default.
  public var extraLength: Int
  /// When set, the most output tokens whatever the source length (`--max-len`).
  public var maxLength: Int?
  /// `</s>` is not allowed before this many tokens (0: any time). `bench decode` sets it to
  /// the length limit so that every sentence produces the same number of tokens.
  public var minLength: Int
  /// The hypotheses returned per sentence, best first; at most `beamSize`.
  public var nbest: Int
  /// The most sentences decoded together.
  public var batchSize: Int
  /// Whether hypotheses carry their log-probability (true by default). Without it greedy
  /// search takes each step's largest logit and skips the log-softmax over the vocabulary, as
  /// CTranslate2 does with `return_scores=False`; the tokens are the same (the log-softmax
  /// subtracts one constant per row), and `logProbability` and `score` are NaN. Beam search
  /// ranks by the scores, so it always computes them.
  public var scores: Bool

  /// Options; the defaults are the paper's beam 4 and α 0.6.
  public init(
    beamSize: Int = 4, alpha: Float = 0.6, extraLength: Int = 50, maxLength: Int? = nil,
    minLength: Int = 0, nbest: Int = 1, batchSize: Int = 32, scores: Bool = true
  ) {
    self.beamSize = max(1, beamSize)
    self.lengthPenalty = LengthPenalty(alpha: alpha)
    self.extraLength = max(0, extraLength)
    self.maxLength = maxLength
    self.minLength = max(0, minLength)
    self.nbest = max(1, nbest)
    self.batchSize = max(1, batchSize)
    self.scores = scores
  }

  /// The most output tokens for a source of `sourceLength` pieces (without `</s>`), within the
  /// `maxPositions` positions of the model (one goes to `<s>`).
  public func limit(sourceLength: Int, maxPositions: Int) -> Int {
    max(1, min(maxPositions - 1, maxLength ?? (sourceLength + extraLength)))
  }
}
