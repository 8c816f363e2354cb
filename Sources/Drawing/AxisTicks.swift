import Foundation

/// The tick marks of a chart axis: "nice" values 1, 2 or 5 × 10^k apart that cover a data
/// range, and their labels (Heckbert, "Nice numbers for graph labels", Graphics Gems, 1990).
///
///     AxisTicks(covering: 0.13, 9.2)     lower 0, upper 10, step 2: 0 2 4 6 8 10
///     AxisTicks(covering: 0, 0.00071)    lower 0, upper 0.0008, step 0.0002
///
/// Ticks are kept in axis units, the data divided by ``scale``, which is 1 but at the ends of
/// the `Double` range: the nice tick above 1.7e308 is 2e308, past the largest `Double`, so data
/// beyond ±1e300 is measured in units of 10¹⁰ (the label still says `2e+308`), and data within
/// ±1e-290, where steps would be subnormal numbers short of digits, in units of 10⁻³⁰.
public struct AxisTicks: Equatable {
  /// The first tick, at or below the data's minimum, in axis units: the axis starts here.
  public let lower: Double
  /// The last tick, at or above the data's maximum, in axis units: the axis ends here.
  public let upper: Double
  /// The distance between ticks in axis units, 1, 2 or 5 × 10^k.
  public let step: Double
  /// The power of ten a data value is divided by to give axis units.
  public let scale: Double
  /// log₁₀ of ``scale``, added to a label's exponent.
  private let scaleExponent: Int

  /// Ticks covering `minimum...maximum` with about `count` intervals (never more than
  /// `2 × count`). An empty range (minimum = maximum) is widened by 10 % of the value each
  /// way, or by 1 around 0; non-finite bounds give the ticks of 0...1.
  public init(covering minimum: Double, _ maximum: Double, count: Int = 5) {
    var low = min(minimum, maximum)
    var high = max(minimum, maximum)
    if !low.isFinite || !high.isFinite {
      (low, high) = (0, 1)
    }
    let magnitude = Swift.max(abs(low), abs(high))
    scaleExponent = magnitude > 1e300 ? 10 : (magnitude > 0 && magnitude < 1e-290 ? -30 : 0)
    scale = pow(10, Double(scaleExponent))
    (low, high) = (low / scale, high / scale)
    if high - low <= Swift.max(abs(high), abs(low)) * 1e-12 {
      let pad = low == 0 ? 1 : abs(low) * 0.1
      (low, high) = (low - pad, high + pad)
    }
    let step = Self.niceStep(atLeast: (high - low) / Double(Swift.max(1, count)))
    self.step = step
    // A hair of tolerance so that a maximum of 0.6 with step 0.2 does not round up to 0.8.
    lower = (low / step + 1e-9).rounded(.down) * step
    upper = (high / step - 1e-9).rounded(.up) * step
  }

  /// The tick values from `lower` to `upper`, in axis units.
  public var values: [Double] {
    let intervals = Int(((upper - lower) / step).rounded())
    let first = (lower / step).rounded()
    return (0...intervals).map { (first + Double($0)) * step }
  }

  /// Each tick's place along the axis (0 at `lower`, 1 at `upper`) and its label.
  public var marks: [(fraction: Double, label: String)] {
    values.map { ((($0 - lower) / (upper - lower)), label($0)) }
  }

  /// Where the data value `value` lies along the axis, 0 at `lower` to 1 at `upper`.
  public func fraction(of value: Double) -> Double {
    min(1, max(0, (value / scale - lower) / (upper - lower)))
  }

  /// The smallest of 1, 2, 5 × 10^k that is at least `raw` (a positive, finite number).
  public static func niceStep(atLeast raw: Double) -> Double {
    guard raw > 0, raw.isFinite else { return 1 }
    let power = pow(10, (log10(raw)).rounded(.down))
    for factor in [1.0, 2, 5, 10] where factor * power >= raw * (1 - 1e-9) {
      return factor * power
    }
    return 10 * power
  }

  /// The decimals that show every tick exactly: none for a step of 1 or more, 4 for 0.0002.
  public var decimals: Int {
    Swift.max(0, Int(-(log10(step) + 1e-9).rounded(.down)))
  }

  /// Whether labels are written as `2.5e-7` rather than with ``decimals`` decimals: when that
  /// would take more than 6 decimals or 16 digits (a learning rate of 1e-300 would be a label
  /// of 300 characters), or the axis is scaled.
  public var usesExponent: Bool {
    scaleExponent != 0 || decimals > 6 || Swift.max(abs(lower), abs(upper)) >= 1e15
  }

  /// The tick value `value` (axis units) as a label: `0.0004`, `2500`, never `-0`; compactly
  /// with an exponent (``usesExponent``) when the ticks are very large or very small, with the
  /// digits that tell ticks apart (`1.5e-300`, `2e+308`).
  public func label(_ value: Double) -> String {
    let shown = abs(value) < step * 1e-6 ? 0 : value
    guard usesExponent else { return String(format: "%.\(decimals)f", shown) }
    guard shown != 0 else { return "0" }
    let exponent = Int((log10(abs(shown)) + 1e-9).rounded(.down))
    let stepExponent = Int((log10(step) + 1e-9).rounded(.down))
    let text = String(format: "%.\(Swift.max(0, exponent - stepExponent))e", shown)
    guard let e = text.firstIndex(of: "e"), let power = Int(text[text.index(after: e)...])
    else { return text }
    var mantissa = text[..<e]
    if mantissa.contains(".") {
      while mantissa.hasSuffix("0") { mantissa.removeLast() }
      if mantissa.hasSuffix(".") { mantissa.removeLast() }
    }
    let total = power + scaleExponent
    return "\(mantissa)e\(total < 0 ? "-" : "+")\(abs(total))"
  }
}
