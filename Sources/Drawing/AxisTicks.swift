import Foundation

/// The tick marks of a chart axis: "nice" values 1, 2 or 5 × 10^k apart that cover a data
/// range, and their labels (Heckbert, "Nice numbers for graph labels", Graphics Gems, 1990).
///
///     AxisTicks(covering: 0.13, 9.2)     lower 0, upper 10, step 2: 0 2 4 6 8 10
///     AxisTicks(covering: 0, 0.00071)    lower 0, upper 0.0008, step 0.0002
public struct AxisTicks: Equatable {
  /// The first tick, at or below the data's minimum: the axis starts here.
  public let lower: Double
  /// The last tick, at or above the data's maximum: the axis ends here.
  public let upper: Double
  /// The distance between ticks, 1, 2 or 5 × 10^k.
  public let step: Double

  /// Ticks covering `minimum...maximum` with about `count` intervals (never more than
  /// `2 × count`). An empty range (minimum = maximum) is widened by 10 % of the value each
  /// way, or by 1 around 0; non-finite bounds give the ticks of 0...1, and bounds beyond
  /// ±``limit`` are taken as ±``limit``.
  public init(covering minimum: Double, _ maximum: Double, count: Int = 5) {
    var low = min(minimum, maximum)
    var high = max(minimum, maximum)
    if !low.isFinite || !high.isFinite {
      (low, high) = (0, 1)
    }
    func clamped(_ value: Double) -> Double { Swift.min(Swift.max(value, -Self.limit), Self.limit) }
    (low, high) = (clamped(low), clamped(high))
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

  /// The largest magnitude an axis reaches: the span of ±`limit`, its padding and its rounding
  /// to a nice step all stay finite, where a range of ±1e308 would overflow to infinity (and
  /// trap converting the tick count to `Int`).
  public static let limit = 1e306

  /// The tick values from `lower` to `upper`.
  public var values: [Double] {
    let intervals = Int(((upper - lower) / step).rounded())
    let first = (lower / step).rounded()
    return (0...intervals).map { (first + Double($0)) * step }
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

  /// `value` written with ``decimals`` decimals (`0.0004`, `2500`), never `-0`; from 10¹⁵ on
  /// in exponent form (`2e+306`), not hundreds of digits.
  public func label(_ value: Double) -> String {
    let shown = abs(value) < step * 1e-6 ? 0 : value
    if abs(shown) >= 1e15 { return String(format: "%g", shown) }
    return String(format: "%.\(decimals)f", shown)
  }
}
