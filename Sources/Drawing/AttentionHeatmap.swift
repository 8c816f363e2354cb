/// One attention matrix drawn on a terminal: a row per query piece (labelled on the left), a
/// numbered column per key piece (the numbers keyed to the pieces above the grid), each cell
/// three columns wide (two or one when that is what fits the line width; the numbers then show
/// their last digit), coloured by its weight, with a scale legend below.
///
///     columns (keys): 1 ▁Cheol  2 su  3 ▁gave  4 </s>
///                 1  2  3  4
///     ▁철수가   |@@@:::   ...|
///     scale: 0 | .:-=+*#%@| 1, each shade a tenth
///
/// Shapes: R rows, C columns.
public struct AttentionHeatmap {
  /// How cells are drawn.
  public enum Style: Equatable {
    /// Shades of " .:-=+*#%@", no escape codes: for pipes, files and `NO_COLOR`.
    case ascii
    /// Background colours of the xterm 256-colour cube.
    case xterm256
    /// 24-bit background colours (`COLORTERM=truecolor` or `24bit`).
    case trueColor
  }

  /// The line above the map.
  public let title: String
  /// The query pieces, `[R]`.
  public let rowLabels: [String]
  /// The key pieces, `[C]`.
  public let columnLabels: [String]
  /// `[R][C]`, each in 0…1.
  public let weights: [[Float]]

  /// Every stored property, in declaration order.
  public init(title: String, rowLabels: [String], columnLabels: [String], weights: [[Float]]) {
    self.title = title
    self.rowLabels = rowLabels
    self.columnLabels = columnLabels
    self.weights = weights
  }

  private static let widestCell = 3
  private static let reset = "\u{1B}[0m"

  /// The map as lines of text, each ending in a newline.
  public func render(style: Style, lineWidth: Int = 80) -> String {
    var lines = [title]
    lines += columnKey(lineWidth: lineWidth)
    let labelWidth = rowLabels.map(TerminalText.width).max() ?? 0
    let margin = String(repeating: " ", count: labelWidth + 2)
    let cellWidth = Self.cellWidth(
      columns: columnLabels.count, room: lineWidth - 1 - labelWidth - 3)
    lines.append(
      margin
        + columnLabels.indices.map {
          let number = String($0 + 1)
          return TerminalText.leftPadded(
            cellWidth > number.count ? number : String(number.last!), to: cellWidth)
        }.joined())
    for (label, row) in zip(rowLabels, weights) {
      lines.append(
        TerminalText.padded(label, to: labelWidth) + " |"
          + row.map { cell($0, style, width: cellWidth) }.joined() + "|")
    }
    let bands = (0..<10).map { (Float($0) + 0.5) / 10 }
    switch style {
    case .ascii:
      lines.append(
        "scale: 0 |" + String(HeatmapPalette.asciiRamp) + "| 1, each shade a tenth of the weight")
    case .xterm256, .trueColor:
      lines.append(
        "scale: 0 " + bands.map { swatch($0, style, width: 2) }.joined() + " 1")
    }
    return lines.map { $0 + "\n" }.joined()
  }

  /// `columns (keys): 1 ▁a  2 ▁b …`, wrapped to `lineWidth`.
  private func columnKey(lineWidth: Int) -> [String] {
    var lines: [String] = []
    var line = "columns:"
    for (index, label) in columnLabels.enumerated() {
      let entry = " \(index + 1) \(label)"
      if TerminalText.width(line + entry) > lineWidth {
        lines.append(line)
        line = "        "
      }
      line += entry + " "
    }
    lines.append(line)
    return lines.map { String($0.reversed().drop { $0 == " " }.reversed()) }
  }

  /// Three columns a cell, or fewer (at least one) when `columns` cells of three do not fit in
  /// `room` terminal columns.
  static func cellWidth(columns: Int, room: Int) -> Int {
    guard columns > 0 else { return widestCell }
    return max(1, min(widestCell, room / columns))
  }

  private func cell(_ value: Float, _ style: Style, width: Int) -> String {
    switch style {
    case .ascii: String(repeating: HeatmapPalette.ascii(value), count: width)
    case .xterm256, .trueColor: swatch(value, style, width: width)
    }
  }

  /// `width` spaces on the background colour of `value`.
  private func swatch(_ value: Float, _ style: Style, width: Int) -> String {
    let blank = String(repeating: " ", count: width)
    switch style {
    case .ascii:
      return blank
    case .xterm256:
      return "\u{1B}[48;5;\(HeatmapPalette.xterm256(value))m" + blank + Self.reset
    case .trueColor:
      let (r, g, b) = HeatmapPalette.rgb(value)
      return "\u{1B}[48;2;\(r);\(g);\(b)m" + blank + Self.reset
    }
  }
}
