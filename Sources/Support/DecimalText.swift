/// A number written in decimal, split into its parts without converting it, so that callers
/// can check its form exactly (a command-line option refusing `0x10` and `inf`, a config
/// integer refusing `1e-400` rather than reading 0).
///
/// The form is `[-]digits[.digits][(e|E)[+-]digits]`, JSON's; `lenient` also allows a leading
/// `+`, no digits before the point (`.5`) and none after it (`5.`), as people type numbers.
public struct DecimalText: Equatable, Sendable {
  /// Whether the text starts with `-`.
  public var negative: Bool
  /// The digits before the point; empty only when lenient.
  public var integerDigits: Substring
  /// The digits after the point (empty without one).
  public var fractionDigits: Substring
  /// Whether the exponent starts with `-`.
  public var exponentNegative: Bool
  /// The exponent's digits (empty without an exponent).
  public var exponentDigits: Substring

  /// The parts of `text`, or nil when it is not written in that form.
  public init?(_ text: String, lenient: Bool = false) {
    func digits(_ rest: inout Substring) -> Substring {
      let run = rest.prefix { $0.isASCII && $0.isNumber }
      rest = rest.dropFirst(run.count)
      return run
    }
    var rest = Substring(text)
    negative = rest.first == "-"
    if negative || (lenient && rest.first == "+") { rest = rest.dropFirst() }
    integerDigits = digits(&rest)
    fractionDigits = ""
    if rest.first == "." {
      rest = rest.dropFirst()
      fractionDigits = digits(&rest)
      guard lenient || !fractionDigits.isEmpty else { return nil }
    }
    guard lenient ? !(integerDigits.isEmpty && fractionDigits.isEmpty) : !integerDigits.isEmpty
    else { return nil }
    exponentNegative = false
    exponentDigits = ""
    if rest.first == "e" || rest.first == "E" {
      rest = rest.dropFirst()
      exponentNegative = rest.first == "-"
      if rest.first == "-" || rest.first == "+" { rest = rest.dropFirst() }
      exponentDigits = digits(&rest)
      guard !exponentDigits.isEmpty else { return nil }
    }
    guard rest.isEmpty else { return nil }
  }
}
