import Foundation
import XCTest

@testable import Tensors

final class PositionalEncodingTests: XCTestCase {
  func testTableFollowsThePaper() {
    for width in [1, 15, 16, 17, 512] {
      let table = sinusoidalPositionalEncoding(maxLength: 50, width: width)
      XCTAssertEqual(table.shape, [50, width])
      for position in [0, 1, 7, 49] {
        for c in 0..<width {
          let angle = Double(position) / pow(10_000, Double(2 * (c / 2)) / Double(width))
          XCTAssertEqual(
            Double(table[position, c]), c % 2 == 0 ? sin(angle) : cos(angle), accuracy: 1e-6)
        }
      }
    }
    let row0 = sinusoidalPositionalEncoding(maxLength: 1, width: 4).scalars
    XCTAssertEqual(row0, [0, 1, 0, 1])
  }

  func testOffsetRowsMatchTheTable() {
    let table = sinusoidalPositionalEncoding(maxLength: 20, width: 33)
    var rows = [Float](repeating: 0, count: 3 * 33)
    sinusoidalPositionalEncoding(into: &rows, positions: 12..<15, width: 33)
    XCTAssertEqual(rows, Array(table.scalars[12 * 33..<15 * 33]))
  }
}
