import XCTest

@testable import CLI
import Benchmarks

final class MatmulShapeTests: XCTestCase {
  func testParsesTheDocumentedSyntax() {
    XCTAssertEqual(MatmulShape(specification: "4096x256x768"), MatmulShape(m: 4096, k: 256, n: 768))
    XCTAssertEqual(
      MatmulShape(specification: "24x32x24x512:tb"),
      MatmulShape(m: 24, k: 32, n: 24, batch: 512, transposeB: true))
    XCTAssertEqual(
      MatmulShape(specification: "2x3x4:tb,ta"),
      MatmulShape(m: 2, k: 3, n: 4, transposeA: true, transposeB: true))
  }

  func testRejectsMalformedSpecifications() {
    for text in [
      "", "4096", "4096x256", "1x2x3x4x5", "0x2x3", "-1x2x3", "ax2x3", "2x3x4:", "2x3x4:tc",
      "2x3x4:ta,ta", "2x3x4:ta,", "2xx3", "2x3x4 ",
    ] {
      XCTAssertNil(MatmulShape(specification: text), text)
    }
  }

  func testDescriptionParsesBack() {
    for shape in MatmulShape.defaults + [
      MatmulShape(m: 1, k: 2, n: 3, transposeA: true, transposeB: true)
    ] {
      XCTAssertEqual(MatmulShape(specification: shape.description), shape)
    }
  }

  func testDefaultShapes() {
    XCTAssertEqual(
      MatmulShape.defaults.map(\.description),
      [
        "512x512x512", "1024x1024x1024",
        "4096x256x768", "4096x768x256:tb", "256x4096x768:ta",
        "4096x256x1024", "4096x1024x256:tb", "256x4096x1024:ta",
        "4096x1024x256", "4096x256x1024:tb", "1024x4096x256:ta",
        "4096x256x8000", "4096x8000x256:tb", "256x4096x8000:ta",
        "24x32x24x512:tb", "24x24x32x512",
      ])
    XCTAssertTrue(MatmulShape.defaults.allSatisfy { $0.sizeProblem == nil })
  }
}
