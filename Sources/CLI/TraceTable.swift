import Drawing
/// The table of `transformer-cli trace`: a row per recorded step (or module heading) with its
/// label, shape legend, sizes and statistics, in columns aligned across rows. Given a terminal
/// width, it leaves out columns until the rows fit: first min, max and the masked count, then
/// the sizes, the shape legend and the standard deviation; the label and mean stay.
struct TraceTable {
  /// One row: a module heading has only a label.
  struct Row {
    var label: String
    var shape = ""
    var sizes = ""
    /// Mean, standard deviation, minimum and maximum, formatted; empty for a heading.
    var statistics: [String] = []
    /// `(12 masked: −∞)` or `all 12 masked (−∞)`, shown after the statistics.
    var note = ""
  }

  /// The rows, in order.
  var rows: [Row]

  /// Columns left out, in this order, until the table fits.
  private enum Column: CaseIterable {
    case extremes, sizes, shape, deviation
  }

  /// The table's lines (header first) in at most `columns - 1` terminal columns, or whole.
  func render(columns: Int? = nil) -> [String] {
    var dropped: Set<Column> = []
    var lines = render(dropping: dropped)
    guard let columns else { return lines }
    let limit = max(1, columns - 1)
    for column in Column.allCases where lines.contains(where: { TerminalText.width($0) > limit }) {
      dropped.insert(column)
      lines = render(dropping: dropped)
    }
    return lines.map { TerminalText.prefix($0, columns: limit) }
  }

  private func render(dropping dropped: Set<Column>) -> [String] {
    let header = Row(
      label: "step", shape: "shape", sizes: "sizes", statistics: ["mean", "std", "min", "max"])
    let all = [header] + rows
    let labelWidth = max(4, all.map { TerminalText.width($0.label) }.max() ?? 0)
    let shapeWidth = max(5, all.map { TerminalText.width($0.shape) }.max() ?? 0)
    let sizesWidth = max(5, all.map { $0.sizes.count }.max() ?? 0)
    return all.map { row in
      var text = TerminalText.padded(row.label, to: labelWidth)
      if !dropped.contains(.shape) { text += "  " + TerminalText.padded(row.shape, to: shapeWidth) }
      if !dropped.contains(.sizes) { text += "  " + TerminalText.padded(row.sizes, to: sizesWidth) }
      text += "  "
      for (index, value) in row.statistics.enumerated() {
        if index == 1 && dropped.contains(.deviation) { continue }
        if index >= 2 && dropped.contains(.extremes) { continue }
        text += TerminalText.leftPadded(value, to: 10)
      }
      if !row.note.isEmpty && !(dropped.contains(.extremes) && !row.statistics.isEmpty) {
        text += (row.statistics.isEmpty ? "" : "  ") + row.note
      }
      return String(text.reversed().drop { $0 == " " }.reversed())
    }
  }
}
