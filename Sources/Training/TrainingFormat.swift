import Foundation

/// Number formatting shared by messages and progress lines.
public enum TrainingFormat {
  /// `4.5`, `3`, `0.001`: at most six significant digits, no trailing zeros.
  public static func number(_ value: Double) -> String {
    var text = String(format: "%.6g", value)
    if text.contains("."), !text.contains("e") {
      while text.hasSuffix("0") { text.removeLast() }
      if text.hasSuffix(".") { text.removeLast() }
    }
    return text
  }

  /// `1:02:03` or `2:03`: a duration in hours, minutes and seconds; `-0:05` before zero, `?`
  /// when not finite.
  public static func duration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "?" }
    // Capped so that the conversion to Int cannot trap on an absurd value (an estimate from a
    // tampered state); 1e15 s is already thirty million years.
    let total = Int(min(abs(seconds), 1e15).rounded())
    let (hours, minutes, secs) = (total / 3600, total / 60 % 60, total % 60)
    let twoDigits = { (value: Int) in value < 10 ? "0\(value)" : "\(value)" }
    let sign = seconds < 0 && total > 0 ? "-" : ""
    return sign
      + (hours > 0
        ? "\(hours):\(twoDigits(minutes)):\(twoDigits(secs))" : "\(minutes):\(twoDigits(secs))")
  }
}
