/// Corpus chrF2 (Popović, 2015) exactly as sacreBLEU 2.x computes it by default.
///
/// The defaults, which are the only settings: character n-grams of order 1 to 6 over code
/// points with all whitespace removed, no word n-grams (not chrF++), β = 2 (recall weighs
/// four times precision), case-sensitive, and sacreBLEU's "effective order" averaging: orders
/// that neither side can fill are left out of the average instead of being smoothed with an ε.
///
/// For each sentence only the reference with the best sentence-level chrF counts; the
/// per-order counts of those pairs are summed over the corpus and chrF is computed once from
/// the sums.
public enum CHRF {
  /// The highest character n-gram order.
  public static let charOrder = 6
  /// The word n-gram order (0: plain chrF, 2 would be chrF++).
  public static let wordOrder = 0
  /// The weight of recall relative to precision.
  public static let beta = 2

  /// Scores a corpus.
  ///
  /// - Parameters:
  ///   - hypotheses: The system output, one sentence per element.
  ///   - references: One or more reference streams, each with one line per hypothesis.
  /// - Throws: ``MetricInputError`` when there are no hypotheses or references, or a stream's
  ///   line count differs from the hypotheses'.
  public static func corpusScore(hypotheses: [String], references: [[String]]) throws
    -> CHRFScore
  {
    try MetricInputError.validate(hypotheses: hypotheses, references: references)
    var total = [Int](repeating: 0, count: 3 * charOrder)
    for (index, hypothesis) in hypotheses.enumerated() {
      let sentence = statistics(
        hypothesis: hypothesis, references: references.map { $0[index] })
      for slot in total.indices { total[slot] += sentence[slot] }
    }
    return CHRFScore(score: fScore(total), referenceCount: references.count)
  }

  /// One sentence's statistics against its best reference: for each order 1...6 the triple
  /// (hypothesis n-grams, reference n-grams, clipped matches), flattened.
  static func statistics(hypothesis: String, references: [String]) -> [Int] {
    let hypothesisCounts = ngramCounts(hypothesis)
    var best: [Int] = []
    var bestScore = -1.0
    for reference in references {
      let referenceCounts = ngramCounts(reference)
      var candidate: [Int] = []
      candidate.reserveCapacity(3 * charOrder)
      for order in 0..<charOrder {
        candidate += matchStatistics(hypothesisCounts[order], referenceCounts[order])
      }
      // Strictly greater: on a tie the earlier reference stays (sacreBLEU).
      let score = fScore(candidate)
      if score > bestScore {
        bestScore = score
        best = candidate
      }
    }
    return best
  }

  /// chrF in 0...100 from flattened (hypothesis, reference, match) triples.
  ///
  /// Precision and recall are averaged over the orders where both sides have n-grams, then
  /// combined as F-β. The arithmetic follows sacreBLEU's `_compute_f_score` step for step.
  static func fScore(_ statistics: [Int]) -> Double {
    let factor = beta * beta
    var averagePrecision = 0.0
    var averageRecall = 0.0
    var effectiveOrder = 0
    for order in 0..<(statistics.count / 3) {
      let hypothesisCount = statistics[3 * order]
      let referenceCount = statistics[3 * order + 1]
      let matchCount = statistics[3 * order + 2]
      guard hypothesisCount > 0 && referenceCount > 0 else { continue }
      averagePrecision += Double(matchCount) / Double(hypothesisCount)
      averageRecall += Double(matchCount) / Double(referenceCount)
      effectiveOrder += 1
    }
    guard effectiveOrder > 0 else { return 0 }
    averagePrecision /= Double(effectiveOrder)
    averageRecall /= Double(effectiveOrder)
    guard averagePrecision + averageRecall != 0 else { return 0 }
    var score = Double(1 + factor) * averagePrecision * averageRecall
    score /= Double(factor) * averagePrecision + averageRecall
    return 100 * score
  }

  /// (hypothesis n-grams, reference n-grams, clipped matches) for one order. A hypothesis
  /// n-gram count of 0 is reported when the reference has none of this order, so the order
  /// drops out of the average (sacreBLEU `_get_match_statistics`).
  private static func matchStatistics(
    _ hypothesis: [CharNGram: Int], _ reference: [CharNGram: Int]
  ) -> [Int] {
    var hypothesisCount = 0
    var matchCount = 0
    for (ngram, count) in hypothesis {
      hypothesisCount += count
      if let referenceCount = reference[ngram] { matchCount += min(count, referenceCount) }
    }
    return [reference.isEmpty ? 0 : hypothesisCount, reference.values.reduce(0, +), matchCount]
  }

  /// Counts of the character n-grams of each order 1...6 (index 0 is unigrams), over the
  /// code points of `text` with whitespace removed.
  private static func ngramCounts(_ text: String) -> [[CharNGram: Int]] {
    let scalars = SacreBLEUText.removingWhitespace(text)
    var counts = [[CharNGram: Int]](repeating: [:], count: charOrder)
    for order in 1...charOrder where scalars.count >= order {
      var orderCounts: [CharNGram: Int] = [:]
      orderCounts.reserveCapacity(scalars.count - order + 1)
      for start in 0...(scalars.count - order) {
        orderCounts[CharNGram(scalars[start..<(start + order)]), default: 0] += 1
      }
      counts[order - 1] = orderCounts
    }
    return counts
  }
}

/// Up to six code points packed 21 bits each into two words. Counts are kept per order, so
/// the packing only has to be unique among n-grams of one length, which it is.
private struct CharNGram: Hashable {
  var low: UInt64 = 0
  var high: UInt64 = 0

  init(_ scalars: ArraySlice<Unicode.Scalar>) {
    precondition(scalars.count <= CHRF.charOrder, "CharNGram: order \(scalars.count)")
    for (offset, scalar) in scalars.enumerated() {
      let value = UInt64(scalar.value)
      if offset < 3 {
        low |= value << (21 * UInt64(offset))
      } else {
        high |= value << (21 * UInt64(offset - 3))
      }
    }
  }
}
