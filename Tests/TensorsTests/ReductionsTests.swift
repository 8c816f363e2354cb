import XCTest

@testable import Tensors

final class ReductionsTests: XCTestCase {
  func testWholeReductionsMatchReference() {
    for n in awkwardCounts + [40_000, 70_001] {
      let x = randomArray(n, seed: 11)
      let y = randomArray(n, seed: 12)
      let tolerance = 1e-5 * Double(max(n, 1)).squareRoot()
      XCTAssertEqual(
        Double(vectorSum(x, count: n)), vectorSumReference(x, count: n), accuracy: tolerance,
        "n = \(n)")
      let squares = x.map { Double($0) * Double($0) }.reduce(0, +)
      XCTAssertEqual(
        Double(vectorSumOfSquares(x, count: n)), squares,
        accuracy: tolerance * max(1, squares) * 1e-1)
      let dot = zip(x, y).map { Double($0) * Double($1) }.reduce(0, +)
      XCTAssertEqual(Double(vectorDot(x, y, count: n)), dot, accuracy: tolerance)
      XCTAssertEqual(vectorMax(x, count: n), x.max() ?? -.infinity, "n = \(n)")
    }
  }

  func testReductionsAreIndependentOfThreadCount() {
    let x = randomArray(100_003, seed: 13)
    assertSameWithOneAndTwoThreads {
      [vectorSum(x, count: x.count), vectorSumOfSquares(x, count: x.count)]
    }
  }

  func testMaxOfNegativeValuesAndTail() {
    var x = [Float](repeating: -5, count: 33)
    x[32] = -1
    XCTAssertEqual(vectorMax(x, count: 33), -1)
    XCTAssertEqual(vectorMax(x, count: 32), -5)
  }

  func testColumnSumsMatchReferenceAndAccumulate() {
    for (rows, columns) in [(0, 5), (1, 1), (3, 15), (5, 16), (4, 17), (9, 33), (3_000, 40)] {
      let x = randomArray(rows * columns, seed: 14)
      let start = randomArray(columns, seed: 15)
      for accumulate in [false, true] {
        let expected = start.mutated {
          columnSumsReference(x, rows: rows, columns: columns, into: $0, accumulate: accumulate)
        }
        let run = {
          start.mutated {
            columnSums(x, rows: rows, columns: columns, into: $0, accumulate: accumulate)
          }
        }
        assertClose(run(), expected, absolute: 1e-5 * Double(max(rows, 1)), relative: 1e-5)
        assertSameWithOneAndTwoThreads(run)
      }
    }
  }

  func testTensorReductions() {
    let t = Tensor(shape: [2, 2, 3], scalars: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
    XCTAssertEqual(t.sum(), 78)
    XCTAssertEqual(t.mean(), 6.5)
    XCTAssertEqual(t.sumOfSquares(), 650)
    XCTAssertEqual(t.max(), 12)
    XCTAssertEqual(t.columnSums().scalars, [22, 26, 30])
    var g = Tensor(shape: [3], scalars: [1, 1, 1])
    columnSums(of: t, into: &g, accumulate: true)
    XCTAssertEqual(g.scalars, [23, 27, 31])
  }
}
