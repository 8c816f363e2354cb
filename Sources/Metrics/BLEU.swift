/// Corpus BLEU (Papineni et al., 2002) exactly as sacreBLEU 2.x computes it by default.
///
/// The defaults, which are the only settings: the ``Tokenizer13a`` tokenizer, case-sensitive,
/// n-grams of order 1 to 4, `exp` smoothing (mteval's: the k-th order with no match counts
/// as 1/2^k matches), no effective order, and a brevity penalty against the closest reference
/// length. Statistics are summed over all sentences before the precisions are taken, so the
/// score is not an average of sentence scores.
///
/// ```swift
/// let score = try BLEU.corpusScore(hypotheses: hypotheses, references: [references])
/// print(score)            // BLEU = 34.12 65.3/41.2/28.4/20.0 (BP = 0.987 ratio = ...)
/// print(score.signature)  // nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0
/// ```
public enum BLEU {
  /// The highest n-gram order counted.
  public static let maxOrder = 4

  /// Scores a corpus.
  ///
  /// - Parameters:
  ///   - hypotheses: The system output, one sentence per element.
  ///   - references: One or more reference streams, as sacreBLEU takes them: each stream has
  ///     one line per hypothesis, and stream `r`'s line `i` is a reference for hypothesis `i`.
  /// - Throws: ``MetricInputError`` when there are no hypotheses or references, or a stream's
  ///   line count differs from the hypotheses'.
  public static func corpusScore(hypotheses: [String], references: [[String]]) throws
    -> BLEUScore
  {
    try MetricInputError.validate(hypotheses: hypotheses, references: references)
    var total = BLEUStatistics()
    for (index, hypothesis) in hypotheses.enumerated() {
      total += statistics(hypothesis: hypothesis, references: references.map { $0[index] })
    }
    return BLEUScore(statistics: total, referenceCount: references.count)
  }

  /// The sufficient statistics of one sentence against its references.
  ///
  /// Hypothesis n-gram counts are clipped by the largest count of that n-gram in any one
  /// reference; the reference length is the one closest to the hypothesis length, the shorter
  /// on a tie (sacreBLEU `_get_closest_ref_len`).
  public static func statistics(hypothesis: String, references: [String]) -> BLEUStatistics {
    var vocabulary = TokenVocabulary()
    var referenceCounts: [WordNGram: Int] = [:]
    var referenceLengths: [Int] = []
    for reference in references {
      let ids = vocabulary.ids(Tokenizer13a.tokenScalars(reference))
      referenceLengths.append(ids.count)
      for (ngram, count) in ngramCounts(ids) {
        referenceCounts[ngram] = max(referenceCounts[ngram] ?? 0, count)
      }
    }

    let hypothesisIDs = vocabulary.ids(Tokenizer13a.tokenScalars(hypothesis))
    var statistics = BLEUStatistics()
    statistics.hypothesisLength = hypothesisIDs.count
    statistics.referenceLength = closestLength(to: hypothesisIDs.count, among: referenceLengths)
    for (ngram, count) in ngramCounts(hypothesisIDs) {
      statistics.totals[ngram.order - 1] += count
      statistics.matches[ngram.order - 1] += min(count, referenceCounts[ngram] ?? 0)
    }
    return statistics
  }

  /// The reference length closest to `length`; on a tie, the shorter one.
  static func closestLength(to length: Int, among lengths: [Int]) -> Int {
    var best: (difference: Int, length: Int)?
    for candidate in lengths {
      let difference = abs(length - candidate)
      if let current = best,
        difference > current.difference
          || (difference == current.difference && candidate >= current.length)
      {
        continue
      }
      best = (difference, candidate)
    }
    return best?.length ?? 0
  }

  /// Counts of every n-gram of order 1...``maxOrder`` in a sentence of token ids.
  private static func ngramCounts(_ ids: [Int32]) -> [WordNGram: Int] {
    var counts: [WordNGram: Int] = [:]
    for order in 1...maxOrder where ids.count >= order {
      for start in 0...(ids.count - order) {
        counts[WordNGram(ids[start..<(start + order)]), default: 0] += 1
      }
    }
    return counts
  }
}

/// Interns tokens of one sentence and its references as small integers, so n-grams hash
/// cheaply. Keys are code point arrays: tokens match only when their code points are equal,
/// as in Python (canonically equivalent spellings are different tokens).
private struct TokenVocabulary {
  private var table: [[Unicode.Scalar]: Int32] = [:]

  mutating func ids(_ tokens: [[Unicode.Scalar]]) -> [Int32] {
    tokens.map { token in
      if let id = table[token] { return id }
      let id = Int32(table.count)
      table[token] = id
      return id
    }
  }
}

/// A word n-gram of order 1...4 as token ids; unused slots hold -1, so n-grams of different
/// orders never compare equal.
private struct WordNGram: Hashable {
  var first: Int32, second: Int32, third: Int32, fourth: Int32

  init(_ ids: ArraySlice<Int32>) {
    precondition((1...BLEU.maxOrder).contains(ids.count), "WordNGram: order \(ids.count)")
    let start = ids.startIndex
    first = ids[start]
    second = ids.count > 1 ? ids[start + 1] : -1
    third = ids.count > 2 ? ids[start + 2] : -1
    fourth = ids.count > 3 ? ids[start + 3] : -1
  }

  var order: Int { fourth >= 0 ? 4 : third >= 0 ? 3 : second >= 0 ? 2 : 1 }
}
