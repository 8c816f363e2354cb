/// A table of fixed-width columns printed one row at a time, so that results can appear as they
/// are measured while staying aligned.
struct TextTable {
  /// Which edge of its column a cell touches.
  enum Alignment {
    case left, right
  }

  /// One column: its title, its width (at least the title's), its alignment.
  struct Column {
    var title: String
    var width: Int
    var alignment: Alignment

    /// A column wide enough for its title and for every cell in `samples`.
    init(_ title: String, alignment: Alignment, samples: [String] = [], width: Int = 0) {
      self.title = title
      self.alignment = alignment
      self.width = ([title.count, width] + samples.map(\.count)).max() ?? 0
    }
  }

  var columns: [Column]
  /// The spaces between two columns.
  var separator = "  "

  /// The titles, aligned as the cells below them.
  var header: String {
    line(columns.map(\.title))
  }

  /// One row; a cell wider than its column pushes the rest of the row right.
  func line(_ cells: [String]) -> String {
    var text = ""
    for (index, column) in columns.enumerated() {
      let cell = index < cells.count ? cells[index] : ""
      let padding = String(repeating: " ", count: max(0, column.width - cell.count))
      let isLast = index == columns.count - 1
      switch column.alignment {
      case .left: text += cell + (isLast ? "" : padding)
      case .right: text += padding + cell
      }
      if !isLast { text += separator }
    }
    return text
  }
}
