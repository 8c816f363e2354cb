import Drawing
import Foundation
import XCTest

@testable import CLI

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// Counts the elements of an XML document by name and `class` attribute.
private final class ElementCounter: NSObject, XMLParserDelegate {
  var counts: [String: Int] = [:]
  var runs: [String] = []

  func parser(
    _ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
    qualifiedName: String?, attributes: [String: String] = [:]
  ) {
    counts[name, default: 0] += 1
    if let kind = attributes["class"] { counts[name + "." + kind, default: 0] += 1 }
    if name == "polyline", let run = attributes["data-run"] { runs.append(run) }
  }

  /// Parses `text`; fails the test when it is not well-formed.
  static func count(_ text: String, file: StaticString = #filePath, line: UInt = #line)
    -> ElementCounter
  {
    let counter = ElementCounter()
    let parser = XMLParser(data: Data(text.utf8))
    parser.delegate = counter
    XCTAssertTrue(
      parser.parse(), "not well-formed: \(parser.parserError.map { "\($0)" } ?? "")",
      file: file, line: line)
    return counter
  }
}

final class PlotCommandTests: XCTestCase {

  static let help = """
    OVERVIEW: Draw the training curves of runs as an SVG chart.

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

    USAGE: transformer-cli plot [--output <file>] [--force] <run> ...

    ARGUMENTS:
      <run>                   Run directories holding metrics.jsonl.

    OPTIONS:
      --output <file>         The SVG file to write (default with one run:
                              <run>/plot.svg).
      --force                 Replace the --output file if it exists.
      -h, --help              Show help information.

    """

  func testHelp() {
    let run = CLIRun("plot", "--help")
    XCTAssertEqual(run.status, 0)
    XCTAssertEqual(run.output, Self.help)
    XCTAssertEqual(CLIRun("help", "plot").output, Self.help)
  }
  var directory: TemporaryDirectory!

  override func setUpWithError() throws { directory = try TemporaryDirectory() }
  override func tearDownWithError() throws { directory.remove() }

  /// A run directory `name/` with training lines every 50 steps and validations every 100.
  @discardableResult
  private func makeRun(_ name: String, bleu: Bool = true) throws -> String {
    try FileManager.default.createDirectory(
      atPath: directory.path(name), withIntermediateDirectories: true)
    var lines: [String] = []
    for step in stride(from: 50, through: 400, by: 50) {
      lines.append(
        "{\"step\":\(step),\"epoch\":1,\"loss\":\(8.0 / Double(step)),\"ppl\":3.5,"
          + "\"lr\":\(Double(step) * 1e-6),\"tokens_per_s\":1000,\"elapsed_s\":1.5}")
      if step % 100 == 0 {
        lines.append(
          "{\"step\":\(step),\"valid_loss\":\(3.0 / Double(step)),\"valid_ppl\":null"
            + (bleu ? ",\"valid_bleu\":\(Double(step) / 10)}" : "}"))
      }
    }
    lines.append("{\"step\":400,\"test_bleu\":41.5}")
    try directory.write("\(name)/metrics.jsonl", lines.joined(separator: "\n") + "\n")
    return directory.path(name)
  }

  func testOneRunWritesPlotIntoTheRunDirectory() throws {
    let run = try makeRun("toy")
    let result = CLIRun("plot", run)
    XCTAssertEqual(result.status, 0, result.errors)
    XCTAssertEqual(result.output, "wrote '\(run)/plot.svg'\n")
    let counter = ElementCounter.count(try directory.read("toy/plot.svg"))
    XCTAssertEqual(counter.counts["svg"], 1)
    XCTAssertEqual(counter.counts["polyline.series"], 4)
    XCTAssertEqual(counter.counts["g.legend-entry"], 1)
    XCTAssertEqual(counter.counts["g.chart"], 4)
    XCTAssertEqual(Set(counter.runs), ["toy"])
    XCTAssertEqual(try directory.contents(), ["toy"])
  }

  func testTwoRunsGetOneLegendEntryEachAndAMissingSeriesIsAbsent() throws {
    let first = try makeRun("base")
    let second = try makeRun("no-bleu & <more>", bleu: false)
    let output = directory.path("both.svg")
    let result = CLIRun("plot", first, second, "--output", output)
    XCTAssertEqual(result.status, 0, result.errors)
    let text = try directory.read("both.svg")
    let counter = ElementCounter.count(text)
    XCTAssertEqual(counter.counts["polyline.series"], 7)
    XCTAssertEqual(counter.counts["g.legend-entry"], 2)
    XCTAssertEqual(counter.runs.filter { $0 == "base" }.count, 4)
    XCTAssertEqual(counter.runs.filter { $0 == "no-bleu & <more>" }.count, 3)
    XCTAssertTrue(text.contains("no-bleu &amp; &lt;more&gt;"))
  }

  func testANamedOutputIsReplacedOnlyWithForceAndTheDefaultIsRedrawn() throws {
    let run = try makeRun("toy")
    XCTAssertEqual(CLIRun("plot", run).status, 0)
    XCTAssertEqual(CLIRun("plot", run).status, 0, "the run's own plot.svg is redrawn")
    let output = try directory.write("mine.svg", "keep")
    let refused = CLIRun("plot", run, "--output", output)
    XCTAssertEqual(refused.status, 1)
    XCTAssertEqual(
      refused.errors,
      "Error: '\(output)' exists; pass --force to replace it, or choose another --output\n")
    XCTAssertEqual(try directory.read("mine.svg"), "keep")
    XCTAssertEqual(CLIRun("plot", run, "--output", output, "--force").status, 0)
    XCTAssertNotEqual(try directory.read("mine.svg"), "keep")
    XCTAssertEqual(CLIRun("plot", run, "--threads", "2").status, 64, "plot runs no kernels")
  }

  func testSeveralRunsNeedOutput() throws {
    let result = CLIRun("plot", try makeRun("a"), try makeRun("b"))
    XCTAssertEqual(result.status, 64)
    XCTAssertTrue(result.errors.contains("'--output <file>' is required"), result.errors)
    XCTAssertEqual(CLIRun("plot").status, 64)
  }

  func testMissingMetricsIsAnError() throws {
    try FileManager.default.createDirectory(
      atPath: directory.path("bare"), withIntermediateDirectories: true)
    let result = CLIRun("plot", directory.path("bare"))
    XCTAssertEqual(result.status, 1)
    XCTAssertEqual(
      result.errors,
      "Error: cannot read '\(directory.path("bare"))/metrics.jsonl': no such file; is "
        + "'\(directory.path("bare"))' a run directory of 'transformer-cli train'?\n")
    try FileManager.default.createDirectory(
      atPath: directory.path("odd/metrics.jsonl"), withIntermediateDirectories: true)
    let odd = CLIRun("plot", directory.path("odd"))
    XCTAssertEqual(odd.status, 1)
    XCTAssertTrue(
      odd.errors.hasPrefix(
        "Error: cannot read '\(directory.path("odd"))/metrics.jsonl': it is a directory;"),
      odd.errors)
    let absent = CLIRun("plot", directory.path("absent"))
    XCTAssertEqual(absent.status, 1)
    XCTAssertTrue(absent.errors.contains("is not a directory"), absent.errors)
  }

  func testEmptyMetricsIsAnError() throws {
    try FileManager.default.createDirectory(
      atPath: directory.path("empty"), withIntermediateDirectories: true)
    try directory.write("empty/metrics.jsonl", "\n")
    let result = CLIRun("plot", directory.path("empty"))
    XCTAssertEqual(result.status, 1)
    XCTAssertTrue(result.errors.contains("metrics.jsonl' is empty"), result.errors)
    XCTAssertFalse(FileManager.default.fileExists(atPath: directory.path("empty/plot.svg")))
  }

  func testMalformedLineNamesFileAndLine() throws {
    let run = try makeRun("bad")
    let path = directory.path("bad/metrics.jsonl")
    for (line, reason) in [
      ("{\"step\":10,\"loss\":", "not a JSON object"), ("[1,2]", "not a JSON object"),
      ("{\"loss\":1.5}", "no numeric \"step\""),
      ("{\"step\":10,\"loss\":\"high\"}", "\"loss\" is not a number"),
    ] {
      try directory.write("bad/metrics.jsonl", "{\"step\":5,\"loss\":2}\n\n\(line)\n")
      let result = CLIRun("plot", run)
      XCTAssertEqual(result.status, 1, line)
      XCTAssertTrue(result.errors.hasPrefix("Error: '\(path)' line 3: \(reason);"), result.errors)
      XCTAssertEqual(result.errors.filter { $0 == "\n" }.count, 1)
    }
  }

  /// ±1e308 trapped converting an infinite tick count to `Int`; such values are drawn within
  /// axes whose labels reach them (2e+308, past the largest `Double`, is a label all the same).
  func testExtremeValuesAreDrawnWithinTheAxes() throws {
    try FileManager.default.createDirectory(
      atPath: directory.path("wild"), withIntermediateDirectories: true)
    try directory.write(
      "wild/metrics.jsonl", "{\"step\":1,\"loss\":-1e308}\n{\"step\":2,\"loss\":1e308}\n")
    let result = CLIRun("plot", directory.path("wild"))
    XCTAssertEqual(result.status, 0, result.errors)
    let svg = try directory.read("wild/plot.svg")
    XCTAssertEqual(ElementCounter.count(svg).counts["polyline.series"], 1)
    XCTAssertFalse(svg.contains("inf") || svg.contains("nan"), svg)
    XCTAssertTrue(svg.contains(">-1e+308</text>") && svg.contains(">1e+308</text>"), svg)

    for (low, high) in [
      (-1e308, 1e308), (-Double.greatestFiniteMagnitude, .greatestFiniteMagnitude),
      (1.7e308, 1.7e308), (-1e308, -1e308),
    ] {
      let ticks = AxisTicks(covering: low, high)
      XCTAssertTrue(ticks.lower.isFinite && ticks.upper.isFinite, "\(low) \(high)")
      XCTAssertLessThanOrEqual(ticks.values.count, 11, "\(low) \(high)")
      // Inside the axes, not clamped to an edge: a flat range is drawn in the middle.
      let flat = low == high
      XCTAssertEqual(ticks.fraction(of: low), flat ? 0.5 : 0, accuracy: 0.2, "\(low) \(high)")
      XCTAssertEqual(ticks.fraction(of: high), flat ? 0.5 : 1, accuracy: 0.2, "\(low) \(high)")
    }
    let wide = AxisTicks(covering: -1e308, 1e308)
    XCTAssertEqual(wide.marks.map(\.label), ["-1e+308", "-5e+307", "0", "5e+307", "1e+308"])
    XCTAssertEqual(wide.marks.map(\.fraction), [0, 0.25, 0.5, 0.75, 1])
    let largest = AxisTicks(covering: 0, .greatestFiniteMagnitude)
    XCTAssertEqual(largest.marks.last?.label, "2e+308")
    XCTAssertEqual(largest.fraction(of: .greatestFiniteMagnitude), 0.9, accuracy: 0.01)
  }

  /// Tiny values (a learning rate near 1e-300) and huge ones are labelled with an exponent and
  /// just the digits that tell ticks apart, not 300 decimals.
  func testTickLabelsAreCompact() {
    let tiny = AxisTicks(covering: 1e-300, 3e-300, count: 4)
    XCTAssertEqual(
      tiny.marks.map(\.label), ["1e-300", "1.5e-300", "2e-300", "2.5e-300", "3e-300"])
    let subnormal = AxisTicks(covering: 0, Double.leastNormalMagnitude / 50, count: 4)  // 4.4e-310
    XCTAssertEqual(subnormal.marks.map(\.label), ["0", "2e-310", "4e-310", "6e-310"])
    let small = AxisTicks(covering: 0, 3e-7, count: 3)
    XCTAssertEqual(small.marks.map(\.label), ["0", "1e-7", "2e-7", "3e-7"])
    let large = AxisTicks(covering: 0, 3e15, count: 3)
    XCTAssertEqual(large.marks.map(\.label), ["0", "1e+15", "2e+15", "3e+15"])
    for ticks in [tiny, subnormal, small, large, AxisTicks(covering: -1e-305, 7e-301)] {
      XCTAssertTrue(ticks.marks.allSatisfy { $0.label.count <= 9 }, "\(ticks.marks)")
    }
  }

  /// Values that are not finite numbers are left out of the curves and counted in one warning
  /// line per file; those of keys the plot does not draw are not counted.
  func testValuesLeftOutAreCounted() throws {
    try FileManager.default.createDirectory(
      atPath: directory.path("inf"), withIntermediateDirectories: true)
    let path = try directory.write(
      "inf/metrics.jsonl",
      "{\"step\":1,\"loss\":1e400,\"ppl\":null}\n{\"step\":2,\"loss\":2,\"lr\":null}\n"
        + "{\"step\":3,\"loss\":1.5}\n")
    let result = CLIRun("plot", directory.path("inf"))
    XCTAssertEqual(result.status, 0, result.errors)
    XCTAssertEqual(
      result.errors,
      "warning: '\(path)': 2 values left out of the plot for not being finite numbers (null, or "
        + "past ±1.8e308 such as 1e400), the first \"loss\" on line 1\n")
    XCTAssertEqual(
      ElementCounter.count(try directory.read("inf/plot.svg")).counts["polyline.series"], 1)
    XCTAssertEqual(CLIRun("plot", try makeRun("clean")).errors, "", "valid_ppl null is not drawn")
  }

  /// A run named twice, however spelled, would be drawn as two runs: refused naming both.
  func testARunNamedTwiceIsRefused() throws {
    let run = try makeRun("same")
    let output = directory.path("both.svg")
    let result = CLIRun("plot", run, run + "/", run + "/../same", "--output", output)
    XCTAssertEqual(result.status, 1)
    XCTAssertEqual(
      result.errors,
      "Error: '\(run)' and '\(run)/' are the same run directory, which would be drawn twice; "
        + "name each run once\n")
    XCTAssertFalse(FileManager.default.fileExists(atPath: output))
  }

  /// plot writes SVG: an --output named for another format is refused, not filled with SVG.
  func testAnOutputOfAnotherFormatIsRefused() throws {
    let run = try makeRun("toy")
    let png = CLIRun("plot", run, "--output", directory.path("chart.png"))
    XCTAssertEqual(png.status, 64)
    XCTAssertTrue(
      png.errors.hasPrefix(
        "Error: '--output \(directory.path("chart.png"))': plot writes SVG, not .png; name a "
          + "file ending in .svg"), png.errors)
    XCTAssertEqual(CLIRun("plot", run, "--output", directory.path("chart.SVG")).status, 0)
    XCTAssertEqual(CLIRun("plot", run, "--output", directory.path("chart")).status, 0)
    // A dot that is part of a name is not a format.
    XCTAssertEqual(CLIRun("plot", run, "--output", directory.path("cmp.v2")).status, 0)
  }

  func testTicksAreNiceValues() {
    let loss = AxisTicks(covering: 0.13, 9.2)
    XCTAssertEqual([loss.lower, loss.upper, loss.step], [0, 10, 2])
    XCTAssertEqual(loss.values, [0, 2, 4, 6, 8, 10])
    XCTAssertEqual(loss.values.map(loss.label), ["0", "2", "4", "6", "8", "10"])

    let rate = AxisTicks(covering: 0, 0.00071)
    XCTAssertEqual(rate.step, 0.0002, accuracy: 1e-18)
    XCTAssertEqual(rate.upper, 0.0008, accuracy: 1e-15)
    XCTAssertEqual(rate.values.map(rate.label), ["0.0000", "0.0002", "0.0004", "0.0006", "0.0008"])

    let steps = AxisTicks(covering: 0, 3000, count: 4)
    XCTAssertEqual(steps.values, [0, 1000, 2000, 3000])

    let exact = AxisTicks(covering: 0.2, 0.6, count: 4)
    XCTAssertEqual(exact.values.map(exact.label), ["0.2", "0.3", "0.4", "0.5", "0.6"])

    let flat = AxisTicks(covering: 5, 5)
    XCTAssertLessThan(flat.lower, 5)
    XCTAssertGreaterThan(flat.upper, 5)
    let zero = AxisTicks(covering: 0, 0)
    XCTAssertEqual([zero.lower, zero.upper], [-1, 1])
    XCTAssertEqual(zero.label(-1e-17), "0.0")
    let broken = AxisTicks(covering: .nan, .infinity)
    XCTAssertEqual([broken.lower, broken.upper], [0, 1])

    for (raw, nice) in [
      (0.3, 0.5), (3.0, 5.0), (7.0, 10.0), (1.0, 1.0), (0.00012, 0.0002), (150.0, 200.0),
      (2.0, 2.0),
    ] {
      XCTAssertEqual(AxisTicks.niceStep(atLeast: raw), nice, accuracy: nice * 1e-12, "\(raw)")
    }
  }

  func testSVGDocumentEscapesAndFormats() {
    XCTAssertEqual(
      SVGDocument.escape("a<b & \"c\" 'd'>\u{1}"),
      "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;\u{FFFD}")
    XCTAssertEqual(SVGDocument.number(12), "12")
    XCTAssertEqual(SVGDocument.number(3.5), "3.5")
    XCTAssertEqual(SVGDocument.number(-0.254), "-0.25")
    XCTAssertEqual(SVGDocument.number(-0.001), "0")
    var svg = SVGDocument(width: 10, height: 10)
    svg.beginGroup([("class", "x")])
    svg.text("<", x: 1, y: 2)
    svg.endGroup()
    XCTAssertEqual(ElementCounter.count(svg.text).counts["text"], 1)
  }
}
