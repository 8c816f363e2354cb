import Checkpoints
import Drawing
import Foundation
import Support
import Training

/// `transformer-cli plot`: draws the `metrics.jsonl` of one or several runs as one SVG of four
/// panels (training loss, validation loss, validation BLEU, learning rate against step), one
/// colour per run.
struct PlotCommand: Command {
  static var configuration: CommandConfiguration {
    var configuration = CommandConfiguration(
      name: "plot",
      abstract: "Draw the training curves of runs as an SVG chart.",
      discussion: """
        Reads <run>/metrics.jsonl of each run directory and draws four panels
        against the training step: training loss, validation loss, validation BLEU
        and learning rate. Each run has one colour and a legend entry with its
        directory's name; a metric a run did not log (BLEU without
        training.valid_bleu) is left out of its panel.

        The SVG goes to --output, written atomically (aside, then renamed into
        place); with one run the default is <run>/plot.svg, with several runs
        --output is required, and a name ending in another format's extension
        (.png, .pdf, .jsonl, …) is refused. The default file belongs to the run and is redrawn each time; a
        file named with --output is replaced only with --force. A run without
        metrics.jsonl, an empty one, a line that is not a metrics object, or a run
        named twice (however spelled) is an error naming the file and line or both
        names; a value that is not a finite number (null, 1e400) is left out with a
        warning counting them.
        """,
      options: [
        .option(
          "output", value: "file",
          help: "The SVG file to write (default with one run: <run>/plot.svg)."),
        .flag("force", help: "Replace the --output file if it exists."),
      ],
      arguments: [
        ArgumentDescription("run", help: "Run directories holding metrics.jsonl.", repeating: true)
      ])
    configuration.usesThreads = false
    return configuration
  }

  /// The run directories.
  var runs: [String] = []
  /// `--output`, nil for `<run>/plot.svg`.
  var outputPath: String?
  /// `--force`: replace an existing `--output`.
  var force = false

  /// The file name of the default output inside the run directory.
  static let defaultFileName = "plot.svg"

  /// The panels: title, metric key, y label, whether to mark points.
  static let panels: [(title: String, key: String, yLabel: String, markers: Bool)] = [
    ("Training loss", "loss", "loss (label-smoothed)", false),
    ("Validation loss", "valid_loss", "loss", true),
    ("Validation BLEU", "valid_bleu", "BLEU", true),
    ("Learning rate", "lr", "learning rate", false),
  ]

  /// One colour per run, in order (Tableau 10), repeating after ten runs.
  static let palette = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac",
  ]

  mutating func parse(_ arguments: Arguments) throws {
    runs = arguments.positionals
    outputPath = arguments.value(of: "output")
    force = arguments.contains("force")
  }

  /// Extensions of formats plot does not write.
  static let otherFormats: Set<String> = [
    "png", "jpg", "jpeg", "gif", "webp", "bmp", "tif", "tiff", "pdf", "eps", "ps", "html",
    "json", "jsonl", "txt", "csv",
  ]

  func validate() throws {
    try OutputPolicy.checkOption(outputPath, force: force)
    if let outputPath {
      // Names of other image or data formats would promise what the file is not; any other
      // dot (`cmp.v2`, `exp.2024-12-05`) is part of a name.
      let suffix = (outputPath as NSString).pathExtension
      if Self.otherFormats.contains(suffix.lowercased()) {
        throw UsageError(
          "'--output \(outputPath)': plot writes SVG, not .\(suffix); name a file ending in .svg")
      }
    }
    if runs.count > 1, outputPath == nil {
      throw UsageError("'--output <file>' is required when plotting \(runs.count) runs")
    }
    var inputs = CommandInputs()
    for run in runs {
      inputs.add(MetricsLog(directory: run).path, as: "the metrics.jsonl of run '\(run)'")
    }
    try inputs.check(outputPath)
  }

  mutating func run(_ console: inout Console) throws {
    if let outputPath { try OutputPolicy.check(outputPath, force: force) }
    try Self.refuseDuplicates(runs)
    var metrics = try runs.map { run throws(RuntimeError) in try MetricsSeries(runDirectory: run) }
    for warning in metrics.compactMap({ $0.leftOutWarning(keys: Self.panels.map(\.key)) }) {
      console.writeErrorLine(warning)
    }
    // Two runs of the same name (a/run, b/run) are told apart by the paths given.
    let names = metrics.map(\.name)
    for index in metrics.indices where names.filter({ $0 == names[index] }).count > 1 {
      metrics[index].name = runs[index]
    }
    let path =
      outputPath ?? CheckpointStore.join(runs[0], Self.defaultFileName)
    let file = try OutputFile(path: path)
    file.write(Self.render(metrics))
    try file.commit()
    console.writeLine("wrote '\(path)'")
  }

  /// Throws when two of `runs` are one directory, however spelled (`run`, `run/`, `./run`, a
  /// link): it would be drawn twice, as two runs.
  static func refuseDuplicates(_ runs: [String]) throws(RuntimeError) {
    var seen: [FileIdentity: String] = [:]
    for run in runs {
      guard let identity = FileIdentity(path: run) else { continue }
      if let first = seen[identity] {
        throw RuntimeError(
          "'\(first)' and '\(run)' are the same run directory, which would be drawn twice; "
            + "name each run once")
      }
      seen[identity] = run
    }
  }

  /// The SVG document of `runs`: a title, the legend, and the four panels in a 2 × 2 grid.
  static func render(_ runs: [MetricsSeries]) -> String {
    let width = 1000.0
    let panelWidth = width / 2
    let panelHeight = 320.0
    let legend = legendLayout(runs.map(\.name), width: width - 40)
    let top = 44 + Double(legend.rows) * 22 + 6
    var svg = SVGDocument(width: width, height: top + 2 * panelHeight + 8)
    svg.rect(x: 0, y: 0, width: svg.width, height: svg.height, fill: "white")
    let title = runs.count == 1 ? "Training curves: \(runs[0].name)" : "Training curves"
    svg.text(title, x: width / 2, y: 26, size: 17, anchor: "middle", weight: "bold")
    svg.beginGroup([("class", "legend")])
    for (index, run) in runs.enumerated() {
      let origin = legend.positions[index]
      let color = palette[index % palette.count]
      svg.beginGroup([("class", "legend-entry")])
      svg.line(
        x1: origin.x, y1: origin.y - 4, x2: origin.x + 24, y2: origin.y - 4, stroke: color,
        width: 3)
      svg.text(run.name, x: origin.x + 30, y: origin.y, size: 13)
      svg.endGroup()
    }
    svg.endGroup()
    let maximumStep = runs.flatMap { run in panels.flatMap { run.series($0.key).map(\.x) } }.max()
    for (index, panel) in panels.enumerated() {
      let chart = SVGChart(
        title: panel.title, xLabel: "step", yLabel: panel.yLabel,
        series: runs.enumerated().map { runIndex, run in
          SVGChart.Series(
            label: run.name, color: palette[runIndex % palette.count],
            points: run.series(panel.key), showsMarkers: panel.markers)
        },
        xRange: maximumStep.map { 0...$0 })
      chart.draw(
        in: &svg, x: Double(index % 2) * panelWidth, y: top + Double(index / 2) * panelHeight,
        width: panelWidth, height: panelHeight)
    }
    return svg.text
  }

  /// Where each legend entry's text baseline starts, entries flowing left to right and
  /// wrapping into rows, centred as a block; about 7.5 units per character.
  static func legendLayout(_ names: [String], width: Double)
    -> (positions: [(x: Double, y: Double)], rows: Int)
  {
    let widths = names.map { 30 + Double($0.count) * 7.5 + 24 }
    var positions: [(x: Double, y: Double)] = []
    var row = 0
    var x = 0.0
    for entry in widths {
      if x > 0, x + entry > width {
        row += 1
        x = 0
      }
      positions.append((x, 64 + Double(row) * 22))
      x += entry
    }
    let used = min(width, widths.reduce(0, +))
    let offset = 20 + (width - used) / 2
    return (positions.map { ($0.x + offset, $0.y) }, row + 1)
  }
}
