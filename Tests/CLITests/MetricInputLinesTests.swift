import Foundation
import Metrics
import XCTest

@testable import CLI

/// `eval` reads hypotheses and references as sacreBLEU does (`MetricLines`): split at LF only,
/// a CR or a byte-order mark kept in its line (so they count against BLEU, as there), a final
/// LF starting no extra line. The streaming reader must split exactly as the reference does.
final class MetricInputLinesTests: XCTestCase {
  func testEvalSplitsFilesAsSacreBLEUDoes() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let texts = [
      "", "a\n", "a\n\nb", "a\r\nb\r\n", "\n\n", "\u{FEFF}first\nsecond", "x\ry\n",
      "ünï\u{2028}code\n", String(repeating: "word ", count: 20_000) + "\nend",
    ]
    for (index, text) in texts.enumerated() {
      let path = try directory.write("lines-\(index).txt", text)
      XCTAssertEqual(
        try EvalCommand.lines(of: path), MetricLines.split(text), "\(text.debugDescription)")
    }
  }
}
