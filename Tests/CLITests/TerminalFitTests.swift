import XCTest

@testable import CLI
@testable import Drawing

/// The attention heatmap and the trace table fitted to a terminal's width.
final class TerminalFitTests: XCTestCase {
  func testHeatmapCellsNarrowToFitTheLine() {
    let columns = 30
    let heatmap = AttentionHeatmap(
      title: "t", rowLabels: ["▁철수가", "</s>"],
      columnLabels: (1...columns).map { "p\($0)" },
      weights: Array(repeating: Array(repeating: 0.5, count: columns), count: 2))
    let lines = heatmap.render(style: .ascii, lineWidth: 80).split(separator: "\n")
    for line in lines { XCTAssertLessThan(TerminalText.width(String(line)), 80, String(line)) }
    XCTAssertEqual(AttentionHeatmap.cellWidth(columns: columns, room: 80 - 1 - 8 - 3), 2)
    let grid = lines.first { $0.hasPrefix("</s>") }.map(String.init) ?? ""
    XCTAssertEqual(grid, "</s>    |" + String(repeating: "++", count: columns) + "|")
    XCTAssertTrue(lines.contains { $0.hasSuffix(" 8 9 0 1 2 3 4 5 6 7 8 9 0") }, "\(lines)")
    XCTAssertEqual(AttentionHeatmap.cellWidth(columns: 8, room: 66), 3)
    XCTAssertEqual(AttentionHeatmap.cellWidth(columns: 200, room: 66), 1)
  }

  func testTraceTableLeavesOutColumnsToFit() throws {
    let fixture = try InspectionFixture(layers: 2, heads: 4)
    defer { fixture.directory.remove() }
    let report = TraceReport(pass: try fixture.pass("the cat sat"))
    let whole = report.render().split(separator: "\n").map(String.init)
    XCTAssertTrue(whole.contains { TerminalText.width($0) > 80 })
    XCTAssertTrue(whole.contains { $0.hasPrefix("step ") && $0.hasSuffix("max") })
    let fitted = report.render(columns: 80).split(separator: "\n").map(String.init)
    let table = fitted.drop { !$0.hasPrefix("step ") }
    XCTAssertEqual(table.count, whole.drop { !$0.hasPrefix("step ") }.count)
    for line in table { XCTAssertLessThan(TerminalText.width(line), 80, line) }
    let header = try XCTUnwrap(table.first).split(separator: " ")
    XCTAssertEqual(header.first, "step")
    XCTAssertTrue(header.contains("mean"), "\(header)")
    XCTAssertFalse(header.contains("max"), "\(header)")
  }
}
