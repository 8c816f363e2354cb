/// The sufficient statistics of BLEU: lengths and n-gram counts, summed over sentences.
///
/// Corpus BLEU is a function of these sums alone, which is why it is not the mean of sentence
/// scores.
public struct BLEUStatistics: Equatable, Sendable {
  /// Tokens in the hypotheses.
  public var hypothesisLength = 0
  /// Tokens in the references chosen for the brevity penalty (closest length per sentence).
  public var referenceLength = 0
  /// Clipped n-gram matches for orders 1...4 (index 0 is unigrams).
  public var matches = [Int](repeating: 0, count: BLEU.maxOrder)
  /// Hypothesis n-grams for orders 1...4.
  public var totals = [Int](repeating: 0, count: BLEU.maxOrder)

  /// Empty statistics, the identity of `+=`.
  public init() {}

  /// Adds another sentence's (or corpus') statistics.
  public static func += (lhs: inout BLEUStatistics, rhs: BLEUStatistics) {
    lhs.hypothesisLength += rhs.hypothesisLength
    lhs.referenceLength += rhs.referenceLength
    for order in 0..<BLEU.maxOrder {
      lhs.matches[order] += rhs.matches[order]
      lhs.totals[order] += rhs.totals[order]
    }
  }
}
