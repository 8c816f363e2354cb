import Support

/// A corpus chrF score with sacreBLEU's score string and signature.
public struct CHRFScore: Equatable, Sendable, CustomStringConvertible {
  /// chrF in 0...100.
  public let score: Double
  /// How many reference streams were used.
  public let referenceCount: Int

  /// Wraps a score computed by ``CHRF``.
  public init(score: Double, referenceCount: Int) {
    self.score = score
    self.referenceCount = referenceCount
  }

  /// The metric's name as sacreBLEU prints it: `chrF` then β, then one `+` per word order.
  public var name: String {
    "chrF\(CHRF.beta)" + String(repeating: "+", count: CHRF.wordOrder)
  }

  /// sacreBLEU's score string, e.g. `chrF2 = 52.31`.
  public var description: String { formatted() }

  /// The score line as sacreBLEU's `Score.format` writes it.
  ///
  /// - Parameters:
  ///   - width: Decimals of the score. `str(score)` in Python uses 2; the `sacrebleu` command
  ///     prints 1 unless given `--width`.
  ///   - withSignature: Put `|<signature>` after the name, as `sacrebleu -f text` does:
  ///     `chrF2|nrefs:1|…|version:2.6.0 = 52.3`.
  public func formatted(width: Int = 2, withSignature: Bool = false) -> String {
    let label = withSignature ? "\(name)|\(signature)" : name
    return "\(label) = \(SacreBLEUText.fixed(score, digits: width))"
  }

  /// sacreBLEU's signature, e.g. `nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0`.
  ///
  /// `eff:yes` records the effective-order averaging (no ε smoothing).
  public var signature: String {
    SacreBLEUSignature.format([
      "nrefs": "\(referenceCount)", "case": "mixed", "eff": "yes",
      "nc": "\(CHRF.charOrder)", "nw": "\(CHRF.wordOrder)", "space": "no",
    ])
  }

  /// One JSON object on one line with keys `chrf`, `name`, `char_order`, `word_order`,
  /// `beta`, `signature`; the score carries the 2 decimals sacreBLEU prints.
  public var jsonLine: String {
    JSONValue.object([
      ("chrf", .number(SacreBLEUText.fixed(score, digits: 2))), ("name", .string(name)),
      ("char_order", .integer(CHRF.charOrder)), ("word_order", .integer(CHRF.wordOrder)),
      ("beta", .integer(CHRF.beta)), ("signature", .string(signature)),
    ]).compactText()
  }
}
