import Foundation
import XCTest

@testable import Tensors

final class VectorMathTests: XCTestCase {
  /// Applies a lane-wise function to many points, 16 at a time.
  private func lanes(_ xs: [Float], _ f: (SIMD16<Float>) -> SIMD16<Float>) -> [Float] {
    var out = [Float]()
    var i = 0
    while i < xs.count {
      var v = SIMD16<Float>(repeating: 0)
      for lane in 0..<16 where i + lane < xs.count { v[lane] = xs[i + lane] }
      let r = f(v)
      for lane in 0..<16 where i + lane < xs.count { out.append(r[lane]) }
      i += 16
    }
    return out
  }

  func testExpMatchesLibmWithinTwoUlps() {
    let xs = (0..<4000).map { Float($0) / 4000 * 170 - 85 }
    let expected = xs.map { Foundation.exp(Double($0)) }
    assertClose(lanes(xs, VectorMath.exp), expected, absolute: 0, relative: 2.4e-7)
  }

  func testExpEdges() {
    let r = lanes([-.infinity, -1e4, -88, 0, 100, 1e30], VectorMath.exp)
    XCTAssertEqual(Array(r[0..<3]), [0, 0, 0])
    XCTAssertEqual(r[3], 1)
    XCTAssertTrue(r[4].isFinite && r[4] > 1e38)
    XCTAssertTrue(r[5].isFinite)
  }

  func testNormalCDFRelativeAccuracyIncludingTail() {
    let xs = (0..<2000).map { Float($0) / 2000 * 24 - 12 }
    let expected = xs.map { 0.5 * erfc(-Double($0) / 2.0.squareRoot()) }
    // The far tail is limited by the conditioning of x² in Float: relative error grows like x²·ulp.
    let actual = lanes(xs, VectorMath.normalCDF)
    for (i, x) in xs.enumerated() where expected[i] > 1e-37 {
      let tolerance = 1e-6 + 2e-7 * Double(x * x)
      XCTAssertEqual(Double(actual[i]), expected[i], accuracy: tolerance * expected[i], "x = \(x)")
    }
  }
}
