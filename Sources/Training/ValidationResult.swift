/// The figures of one validation: the model's loss and perplexity on the validation set and,
/// when `training.valid_bleu` is on, the BLEU of its greedy translations.
public struct ValidationResult: Equatable, Sendable {
  /// The optimiser step the model had taken.
  public var step: Int
  /// The mean negative log-likelihood per target token, without label smoothing (so that runs
  /// with different smoothing compare).
  public var loss: Double
  /// exp(``loss``).
  public var perplexity: Double
  /// Corpus BLEU of the greedy translations of the validation sources, nil when not computed.
  public var bleu: Double?

  /// A result from its figures.
  public init(step: Int, loss: Double, perplexity: Double, bleu: Double? = nil) {
    self.step = step
    self.loss = loss
    self.perplexity = perplexity
    self.bleu = bleu
  }

  /// Whether this result should replace `other` as the best: a higher BLEU when both have one,
  /// else a lower loss; equal BLEU falls back to the loss, so a model that is as accurate but
  /// surer wins.
  public func isBetter(than other: ValidationResult) -> Bool {
    if let bleu, let otherBLEU = other.bleu, bleu != otherBLEU { return bleu > otherBLEU }
    return loss < other.loss
  }
}
