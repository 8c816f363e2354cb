import Foundation

/// A grid of attention heatmaps as one SVG document: a row of panels per layer, a panel per
/// head, each titled "layer i, head j", its columns labelled with the key pieces (vertically,
/// above) and its rows with the query pieces (left), every cell a `<rect class="cell">` with the
/// weight in its tooltip, and a viridis colour scale from 0 to 1 below.
///
/// It knows nothing of models: it takes the labels and, per panel, a title and an `[R][C]`
/// matrix of weights in 0…1 (`transformer-cli attention --svg` passes one per layer and head).
///
/// Shapes: R rows, C columns; `panels` is a grid of rows (layers) of panels (heads).
public struct AttentionGridSVG {
  /// One heatmap of the grid.
  public struct Panel {
    /// Its title, e.g. "layer 1, head 2".
    public let title: String
    /// `[R][C]`, each in 0…1.
    public let weights: [[Float]]

    public init(title: String, weights: [[Float]]) {
      self.title = title
      self.weights = weights
    }
  }

  /// The query pieces, `[R]`.
  public let rowLabels: [String]
  /// The key pieces, `[C]`.
  public let columnLabels: [String]
  /// The panels, row by row; every row should have as many as the first.
  public let panels: [[Panel]]
  /// The first line of the picture, e.g. the sentence and its translation.
  public let heading: String
  /// The second line: what the rows and columns are.
  public let caption: String

  /// A document of `panels` over the same row and column labels.
  public init(
    rowLabels: [String], columnLabels: [String], panels: [[Panel]], heading: String,
    caption: String
  ) {
    self.rowLabels = rowLabels
    self.columnLabels = columnLabels
    self.panels = panels
    self.heading = heading
    self.caption = caption
  }

  private static let cell = 22.0
  private static let gap = 30.0
  private static let margin = 16.0
  private static let titleHeight = 20.0
  private static let headingHeight = 50.0
  private static let scaleHeight = 56.0

  /// The whole document.
  public func render() -> String {
    let rows = rowLabels.count
    let columns = columnLabels.count
    let rowLabelWidth = (rowLabels.map(Self.textWidth).max() ?? 0) + 10
    let columnLabelHeight = (columnLabels.map(Self.textWidth).max() ?? 0) + 10
    let panelWidth = rowLabelWidth + Double(columns) * Self.cell
    let panelHeight = Self.titleHeight + columnLabelHeight + Double(rows) * Self.cell
    let panelsPerRow = panels.map(\.count).max() ?? 0
    let gridWidth = Double(panelsPerRow) * (panelWidth + Self.gap) - Self.gap
    let captions = [heading, caption]
    let width =
      2 * Self.margin + max(gridWidth, captions.map { Self.textWidth($0) * 1.2 }.max() ?? 0, 260)
    let top = Self.margin + Self.headingHeight
    let height = top + Double(panels.count) * (panelHeight + Self.gap) + Self.scaleHeight

    var svg = """
      <?xml version="1.0" encoding="UTF-8"?>
      <svg xmlns="http://www.w3.org/2000/svg" width="\(Self.number(width))" \
      height="\(Self.number(height))" viewBox="0 0 \(Self.number(width)) \(Self.number(height))" \
      font-family="DejaVu Sans, Noto Sans CJK KR, sans-serif" font-size="11">

      """
    svg += "<rect class=\"background\" width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    svg += text(
      heading, x: Self.margin, y: Self.margin + 16,
      attributes: "font-size=\"15\" font-weight=\"bold\"")
    svg += text(caption, x: Self.margin, y: Self.margin + 36, attributes: "fill=\"#444\"")
    for (i, row) in panels.enumerated() {
      for (j, panel) in row.enumerated() {
        let x = Self.margin + Double(j) * (panelWidth + Self.gap)
        let y = top + Double(i) * (panelHeight + Self.gap)
        svg += draw(
          panel, x: x, y: y, rowLabelWidth: rowLabelWidth, columnLabelHeight: columnLabelHeight)
      }
    }
    svg += scale(x: Self.margin, y: height - Self.scaleHeight + 8)
    svg += "</svg>\n"
    return svg
  }

  /// One heatmap with its title and labels, its top left corner at (x, y).
  private func draw(
    _ panel: Panel, x: Double, y: Double, rowLabelWidth: Double, columnLabelHeight: Double
  ) -> String {
    let gridX = x + rowLabelWidth
    let gridY = y + Self.titleHeight + columnLabelHeight
    var svg = "<g class=\"panel\">\n"
    svg += text(
      panel.title, x: gridX, y: y + 13,
      attributes: "font-size=\"13\" font-weight=\"bold\"")
    for (c, label) in columnLabels.enumerated() {
      let cx = gridX + (Double(c) + 0.5) * Self.cell + 4
      svg += text(
        label, x: 0, y: 0,
        attributes:
          "transform=\"translate(\(Self.number(cx)),\(Self.number(gridY - 5))) rotate(-90)\"")
    }
    for (r, label) in rowLabels.enumerated() {
      let cy = gridY + Double(r) * Self.cell
      svg += text(
        label, x: gridX - 5, y: cy + Self.cell / 2 + 4, attributes: "text-anchor=\"end\"")
      for (c, value) in panel.weights[r].enumerated() {
        svg += "<rect class=\"cell\" x=\"\(Self.number(gridX + Double(c) * Self.cell))\" "
        svg += "y=\"\(Self.number(cy))\" width=\"\(Self.number(Self.cell))\" "
        svg += "height=\"\(Self.number(Self.cell))\" fill=\"\(HeatmapPalette.hex(value))\">"
        svg += "<title>\(SVGDocument.escape(label)) → \(SVGDocument.escape(columnLabels[c])): "
        svg += "\(String(format: "%.3f", value))</title></rect>\n"
      }
    }
    return svg + "</g>\n"
  }

  /// The colour scale: a viridis gradient bar from 0 to 1 with ticks.
  private func scale(x: Double, y: Double) -> String {
    let barWidth = 240.0
    var svg = "<defs><linearGradient id=\"viridis\" x1=\"0\" x2=\"1\" y1=\"0\" y2=\"0\">\n"
    for step in 0...8 {
      let value = Float(step) / 8
      svg += "<stop offset=\"\(Self.number(Double(value)))\" "
      svg += "stop-color=\"\(HeatmapPalette.hex(value))\"/>\n"
    }
    svg += "</linearGradient></defs>\n"
    svg += text("attention weight", x: x, y: y + 10, attributes: "")
    let barX = x + 100
    svg += "<rect class=\"scale\" x=\"\(Self.number(barX))\" y=\"\(Self.number(y))\" "
    svg += "width=\"\(Self.number(barWidth))\" height=\"14\" fill=\"url(#viridis)\" "
    svg += "stroke=\"#888\" stroke-width=\"0.5\"/>\n"
    for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
      let tx = barX + tick * barWidth
      svg +=
        "<line x1=\"\(Self.number(tx))\" x2=\"\(Self.number(tx))\" y1=\"\(Self.number(y + 14))\" "
      svg += "y2=\"\(Self.number(y + 18))\" stroke=\"#444\"/>\n"
      svg += text(
        String(format: "%g", tick), x: tx, y: y + 30, attributes: "text-anchor=\"middle\"")
    }
    return svg
  }

  private func text(_ content: String, x: Double, y: Double, attributes: String) -> String {
    "<text x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" \(attributes)>\(SVGDocument.escape(content))</text>\n"
  }

  /// A coordinate with at most one decimal.
  private static func number(_ value: Double) -> String {
    let rounded = (value * 10).rounded() / 10
    return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
  }

  /// An estimate of the width in pixels of `text` at 11 px.
  private static func textWidth(_ text: String) -> Double {
    Double(TerminalText.width(text)) * 6.8
  }
}
