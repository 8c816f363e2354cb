/// A table of fixed-width columns printed one row at a time, so that results can appear as they
/// are measured while staying aligned.
public struct TextTable {
  /// Which edge of its column a cell touches.
  public enum Alignment {
    case left, right
  }

  /// One column: its title, its width (at least the title's), its alignment.
  public struct Column {
    var title: String
    var width: Int
    var alignment: Alignment

    /// Every stored property, in declaration order.
    public init(title: String, width: Int, alignment: Alignment) {
      self.title = title
      self.width = width
      self.alignment = alignment
    }

    /// A column wide enough for its title and for every cell in `samples`.
    public init(_ title: String, alignment: Alignment, samples: [String] = [], width: Int = 0) {
      self.title = title
      self.alignment = alignment
      self.width = ([title.count, width] + samples.map(\.count)).max() ?? 0
    }
  }

  public var columns: [Column]

  /// Every stored property, in declaration order.
  public init(columns: [Column]) {
    self.columns = columns
  }
  /// The spaces between two columns.
  public var separator = "  "

  /// The titles, aligned as the cells below them.
  public var header: String {
    line(columns.map(\.title))
  }

  /// One row; a cell wider than its column pushes the rest of the row right.
  public func line(_ cells: [String]) -> String {
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
