import Drawing
/// A one-line status made of fields, fitted to a terminal's width by leaving out the least
/// useful fields first, as tqdm drops its bar before its counters: a live line that wrapped
/// would leave a copy of itself on every redraw.
struct StatusLine {
  /// One `label value` part of the line.
  struct Field {
    /// The text shown, such as `lr 6.32e-04`.
    var text: String
    /// The order in which fields are left out: 1 first, then 2, …; 0 for never.
    var dropRank: Int
  }

  /// The fields, in display order.
  var fields: [Field]
  /// What separates two fields.
  static let separator = "  "

  /// All fields, whatever the width.
  var text: String { fields.map(\.text).joined(separator: Self.separator) }

  /// The line in at most `columns - 1` terminal columns (the last column is left free, so that
  /// no terminal wraps the cursor): fields are dropped by rank until it fits, and what still
  /// does not fit is cut.
  func fitted(to columns: Int) -> String {
    let limit = max(1, columns - 1)
    var kept = fields
    let ranks = Set(fields.map(\.dropRank)).filter { $0 > 0 }.sorted()
    for rank in ranks where TerminalText.width(Self.join(kept)) > limit {
      kept.removeAll { $0.dropRank == rank }
    }
    return TerminalText.prefix(Self.join(kept), columns: limit)
  }

  private static func join(_ fields: [Field]) -> String {
    fields.map(\.text).joined(separator: separator)
  }
}
