import Foundation
import Support

/// A corpus BLEU score with everything sacreBLEU prints beside it.
///
/// `description` is sacreBLEU's score string,
/// `BLEU = 34.12 65.3/41.2/28.4/20.0 (BP = 0.987 ratio = 0.987 hyp_len = 12034 ref_len = 12190)`.
public struct BLEUScore: Equatable, Sendable, CustomStringConvertible {
  /// BLEU in 0...100.
  public let score: Double
  /// Modified n-gram precisions in percent, orders 1...4, after smoothing.
  public let precisions: [Double]
  /// The brevity penalty, exp(1 - r/c) when the hypotheses are shorter than the references.
  public let bp: Double
  /// Hypothesis length over reference length (0 when the references are empty).
  public let ratio: Double
  /// Tokens in the hypotheses.
  public let hypothesisLength: Int
  /// Tokens in the closest references.
  public let referenceLength: Int
  /// The summed statistics the score was computed from.
  public let statistics: BLEUStatistics
  /// How many reference streams were used.
  public let referenceCount: Int

  /// Computes BLEU from summed statistics, as sacreBLEU's `BLEU.compute_bleu` does with
  /// `smooth_method='exp'` and `effective_order=False`.
  ///
  /// The arithmetic follows sacreBLEU operation for operation, so the doubles are the same
  /// and the printed digits agree even where they round.
  public init(statistics: BLEUStatistics, referenceCount: Int) {
    self.statistics = statistics
    self.referenceCount = referenceCount
    let hypothesisLength = statistics.hypothesisLength
    let referenceLength = statistics.referenceLength
    self.hypothesisLength = hypothesisLength
    self.referenceLength = referenceLength
    ratio =
      referenceLength > 0 ? Double(hypothesisLength) / Double(referenceLength) : 0

    var bp = 1.0
    if hypothesisLength < referenceLength {
      bp =
        hypothesisLength > 0
        ? exp(1 - Double(referenceLength) / Double(hypothesisLength)) : 0
    }
    self.bp = bp

    var precisions = [Double](repeating: 0, count: BLEU.maxOrder)
    // No match at any order: BLEU is 0 and sacreBLEU reports every precision as 0 (its #141).
    guard statistics.matches.contains(where: { $0 != 0 }) else {
      self.precisions = precisions
      score = 0
      return
    }
    var smoothing = 1.0
    for order in 0..<BLEU.maxOrder {
      let total = statistics.totals[order]
      // No hypothesis is long enough for this order: it and the higher orders stay 0, which
      // makes BLEU 0 (sacreBLEU's effective order is off by default).
      if total == 0 { break }
      let matches = statistics.matches[order]
      if matches == 0 {
        // mteval's smoothing: the k-th unmatched order counts 1/2^k matches.
        smoothing *= 2
        precisions[order] = 100 / (smoothing * Double(total))
      } else {
        precisions[order] = 100 * Double(matches) / Double(total)
      }
    }
    self.precisions = precisions
    // sacreBLEU floors log(0) at -9999999999 rather than -inf, and sums left to right.
    var logSum = 0.0
    for precision in precisions {
      logSum += precision == 0 ? -9_999_999_999 : log(precision)
    }
    score = bp * exp(logSum / Double(BLEU.maxOrder))
  }

  /// sacreBLEU's score string, e.g.
  /// `BLEU = 34.12 65.3/41.2/28.4/20.0 (BP = 0.987 ratio = 0.987 hyp_len = 12034 ref_len = 12190)`.
  public var description: String { formatted() }

  /// The score line as sacreBLEU's `Score.format` writes it.
  ///
  /// - Parameters:
  ///   - width: Decimals of the BLEU value. `str(score)` in Python uses 2; the `sacrebleu`
  ///     command prints 1 unless given `--width`.
  ///   - withSignature: Put `|<signature>` after the name, as `sacrebleu -f text` does:
  ///     `BLEU|nrefs:1|…|version:2.6.0 = 34.1 65.3/41.2/28.4/20.0 (BP = …)`.
  public func formatted(width: Int = 2, withSignature: Bool = false) -> String {
    let name = withSignature ? "BLEU|\(signature)" : "BLEU"
    let precisionText = precisions.map { SacreBLEUText.fixed($0, digits: 1) }
      .joined(separator: "/")
    return "\(name) = \(SacreBLEUText.fixed(score, digits: width)) \(precisionText) "
      + "(BP = \(SacreBLEUText.fixed(bp, digits: 3)) "
      + "ratio = \(SacreBLEUText.fixed(ratio, digits: 3)) "
      + "hyp_len = \(hypothesisLength) ref_len = \(referenceLength))"
  }

  /// sacreBLEU's signature, e.g. `nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0`.
  public var signature: String {
    SacreBLEUSignature.format([
      "nrefs": "\(referenceCount)", "case": "mixed", "eff": "no",
      "tok": Tokenizer13a.signatureName, "smooth": "exp",
    ])
  }

  /// One JSON object on one line with keys `bleu`, `precisions`, `bp`, `ratio`, `hyp_len`,
  /// `ref_len`, `signature`.
  ///
  /// Numbers carry the digits sacreBLEU prints (2 for BLEU, as in its own JSON; 1 for the
  /// precisions; 3 for `bp` and `ratio`), so the JSON and the text line never disagree.
  public var jsonLine: String {
    func fixed(_ value: Double, _ digits: Int) -> JSONValue {
      .number(SacreBLEUText.fixed(value, digits: digits))
    }
    return JSONValue.object([
      ("bleu", fixed(score, 2)), ("precisions", .array(precisions.map { fixed($0, 1) })),
      ("bp", fixed(bp, 3)), ("ratio", fixed(ratio, 3)),
      ("hyp_len", .integer(hypothesisLength)), ("ref_len", .integer(referenceLength)),
      ("signature", .string(signature)),
    ]).compactText()
  }
}
