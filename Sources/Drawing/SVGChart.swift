import Foundation

/// One line chart panel: a frame with x and y axes, nice ticks, grid lines, axis labels, a
/// title, and one polyline per series, drawn into an ``SVGDocument``.
///
/// The plot area maps the ticks' range, not the data's, so every curve lies inside the frame.
/// A series without points is not drawn; a panel without any says "no data".
public struct SVGChart {
  /// One curve: its points and colour. `label` is kept for the element's `data-run`.
  public struct Series {
    /// Whose curve it is (the run's name).
    var label: String
    /// The stroke colour, `#rrggbb`.
    var color: String
    /// The (x, y) points in drawing order.
    var points: [(x: Double, y: Double)]

    /// Whether to mark each point with a dot (sparse curves such as validations).
    var showsMarkers = false

    /// Every stored property, in declaration order.
    public init(
      label: String, color: String, points: [(x: Double, y: Double)], showsMarkers: Bool = false
    ) {
      self.label = label
      self.color = color
      self.points = points
      self.showsMarkers = showsMarkers
    }
  }

  /// The panel's title, above the frame.
  public var title: String
  /// The x axis's label, under the tick labels.
  public var xLabel: String
  /// The y axis's label, turned vertical left of the tick labels.
  public var yLabel: String
  /// The curves.
  public var series: [Series]
  /// The x data range to cover (shared by panels so steps line up); nil for the series' own.
  public var xRange: ClosedRange<Double>?

  /// Every stored property, in declaration order.
  public init(
    title: String, xLabel: String, yLabel: String, series: [Series], xRange: ClosedRange<Double>?
  ) {
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.series = series
    self.xRange = xRange
  }

  /// Space inside the panel for tick labels and axis labels: left, right, top, bottom.
  private static let margins = (left: 70.0, right: 16.0, top: 30.0, bottom: 46.0)

  /// Draws the panel in the rectangle at (x, y) of the given size.
  public func draw(in svg: inout SVGDocument, x: Double, y: Double, width: Double, height: Double) {
    let margins = Self.margins
    let frame = (
      x: x + margins.left, y: y + margins.top,
      width: width - margins.left - margins.right, height: height - margins.top - margins.bottom
    )
    svg.beginGroup([("class", "chart")])
    defer { svg.endGroup() }
    svg.text(
      title, x: frame.x + frame.width / 2, y: y + 18, size: 14, anchor: "middle", weight: "bold")
    let drawn = series.filter { !$0.points.isEmpty }
    svg.rect(
      x: frame.x, y: frame.y, width: frame.width, height: frame.height, fill: "white",
      stroke: "#999")
    guard !drawn.isEmpty else {
      svg.text(
        "no data", x: frame.x + frame.width / 2, y: frame.y + frame.height / 2, size: 13,
        anchor: "middle", fill: "#888")
      return
    }
    let xs = drawn.flatMap { $0.points.map(\.x) }
    let ys = drawn.flatMap { $0.points.map(\.y) }
    let xTicks = AxisTicks(
      covering: xRange?.lowerBound ?? xs.min() ?? 0, xRange?.upperBound ?? xs.max() ?? 1,
      count: max(2, Int(frame.width / 70)))
    let yTicks = AxisTicks(
      covering: ys.min() ?? 0, ys.max() ?? 1, count: max(2, Int(frame.height / 40)))
    func px(_ value: Double) -> Double {
      frame.x + xTicks.fraction(of: value) * frame.width
    }
    func py(_ value: Double) -> Double {
      frame.y + frame.height - yTicks.fraction(of: value) * frame.height
    }
    drawAxes(in: &svg, frame: frame, xTicks: xTicks, yTicks: yTicks)
    for curve in drawn {
      let points = curve.points.map { (x: px($0.x), y: py($0.y)) }
      svg.polyline(
        points, stroke: curve.color, attributes: [("class", "series"), ("data-run", curve.label)])
      if curve.showsMarkers || points.count == 1 {
        for point in points { svg.circle(x: point.x, y: point.y, radius: 2.5, fill: curve.color) }
      }
    }
  }

  /// Grid lines, tick marks and labels on both axes, and the axis labels.
  private func drawAxes(
    in svg: inout SVGDocument, frame: (x: Double, y: Double, width: Double, height: Double),
    xTicks: AxisTicks, yTicks: AxisTicks
  ) {
    let bottom = frame.y + frame.height
    svg.beginGroup([("class", "axes"), ("font-size", "11")])
    for mark in xTicks.marks {
      let position = frame.x + mark.fraction * frame.width
      svg.line(x1: position, y1: frame.y, x2: position, y2: bottom, stroke: "#e6e6e6")
      svg.line(x1: position, y1: bottom, x2: position, y2: bottom + 5, stroke: "#444")
      svg.text(mark.label, x: position, y: bottom + 17, size: 11, anchor: "middle")
    }
    for mark in yTicks.marks {
      let position = bottom - mark.fraction * frame.height
      svg.line(
        x1: frame.x, y1: position, x2: frame.x + frame.width, y2: position, stroke: "#e6e6e6")
      svg.line(x1: frame.x - 5, y1: position, x2: frame.x, y2: position, stroke: "#444")
      svg.text(mark.label, x: frame.x - 8, y: position + 4, size: 11, anchor: "end")
    }
    svg.line(x1: frame.x, y1: bottom, x2: frame.x + frame.width, y2: bottom, stroke: "#444")
    svg.line(x1: frame.x, y1: frame.y, x2: frame.x, y2: bottom, stroke: "#444")
    svg.text(xLabel, x: frame.x + frame.width / 2, y: bottom + 36, size: 12, anchor: "middle")
    svg.text(
      yLabel, x: frame.x - 56, y: frame.y + frame.height / 2, size: 12, anchor: "middle",
      rotation: -90)
    svg.endGroup()
  }
}
