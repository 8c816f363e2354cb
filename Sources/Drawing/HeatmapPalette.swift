/// The colours of attention heatmaps: matplotlib's viridis (dark purple for 0, yellow for 1),
/// readable on dark and light backgrounds and in grey scale, and the ASCII ramp used without
/// colour.
public enum HeatmapPalette {
  /// Viridis at 0, 1/8, …, 1, as 0–255 RGB.
  private static let anchors: [(Double, Double, Double)] = [
    (68, 1, 84), (71, 44, 122), (59, 81, 139), (44, 113, 142), (33, 144, 141),
    (39, 173, 129), (92, 200, 99), (170, 220, 50), (253, 231, 37),
  ]

  /// The shades of the ASCII ramp, lightest (0) to darkest (1).
  public static let asciiRamp: [Character] = Array(" .:-=+*#%@")

  /// The colour of weight `value` (clamped to 0…1), as 0–255 RGB.
  public static func rgb(_ value: Float) -> (red: Int, green: Int, blue: Int) {
    let x = Double(min(max(value, 0), 1)) * Double(anchors.count - 1)
    let index = min(Int(x), anchors.count - 2)
    let f = x - Double(index)
    let (a, b) = (anchors[index], anchors[index + 1])
    func mix(_ p: Double, _ q: Double) -> Int { Int((p + (q - p) * f).rounded()) }
    return (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
  }

  /// `#rrggbb` of weight `value`, for SVG.
  public static func hex(_ value: Float) -> String {
    let (r, g, b) = rgb(value)
    return "#"
      + [r, g, b].map { TerminalText.leftPadded(String($0, radix: 16), to: 2, with: "0") }.joined()
  }

  /// The nearest colour of the xterm 256-colour cube (indices 16–231) to weight `value`.
  public static func xterm256(_ value: Float) -> Int {
    let levels = [0, 95, 135, 175, 215, 255]
    func nearest(_ c: Int) -> Int {
      levels.indices.min { abs(levels[$0] - c) < abs(levels[$1] - c) } ?? 0
    }
    let (r, g, b) = rgb(value)
    return 16 + 36 * nearest(r) + 6 * nearest(g) + nearest(b)
  }

  /// The ASCII shade of weight `value` (clamped to 0…1): ten equal bands.
  public static func ascii(_ value: Float) -> Character {
    let band = Int(Float(min(max(value, 0), 1)) * Float(asciiRamp.count))
    return asciiRamp[min(band, asciiRamp.count - 1)]
  }
}
