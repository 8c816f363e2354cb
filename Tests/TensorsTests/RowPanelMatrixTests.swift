import XCTest

@testable import Tensors

/// `RowPanelMatrix` and `rowPanelProduct` against `gemmReference`, and their sums' order.
final class RowPanelMatrixTests: XCTestCase {
  /// Rows 1…8 (odd counts leave a single row after the pairs), inner sizes from 1, column
  /// counts on and around the 64-column panels.
  let shapes: [(rows: Int, inner: Int, columns: Int)] = [
    (1, 1, 1), (1, 17, 15), (2, 16, 64), (3, 33, 65), (5, 15, 130), (7, 40, 17), (8, 31, 129),
    (4, 256, 200),
  ]

  func product(_ x: [Float], _ w: [Float], rows: Int, inner: Int, columns: Int, transposed: Bool)
    -> [Float]
  {
    let panels = RowPanelMatrix(
      w, k: inner, n: columns, ldb: transposed ? inner : columns, transposeB: transposed)
    return [Float](repeating: .nan, count: rows * columns).mutated {
      rowPanelProduct(x, rows: rows, panels, into: $0)
    }
  }

  func testMatchesReferenceBothLayouts() {
    for (rows, inner, columns) in shapes {
      let x = randomArray(rows * inner, seed: 1)
      let w = randomArray(inner * columns, seed: 2)
      for transposed in [false, true] {
        let expected = [Float](repeating: .nan, count: rows * columns).mutated {
          gemmReference(
            m: rows, n: columns, k: inner, a: x, lda: inner, transposeA: false, b: w,
            ldb: transposed ? inner : columns, transposeB: transposed, c: $0, ldc: columns)
        }
        assertClose(
          product(x, w, rows: rows, inner: inner, columns: columns, transposed: transposed),
          expected, absolute: 1e-5, "\(rows)×\(inner)×\(columns) transposed \(transposed)")
      }
    }
  }

  /// Each output is the in-order fused sum `fma(x₂, w₂, fma(x₁, w₁, x₀w₀))…`, bit for bit,
  /// whether its row went in a pair or alone.
  func testEachOutputIsTheInOrderFusedSum() {
    let (rows, inner, columns) = (3, 70, 131)
    let x = randomArray(rows * inner, seed: 3)
    let w = randomArray(inner * columns, seed: 4)
    let y = product(x, w, rows: rows, inner: inner, columns: columns, transposed: false)
    var differing = 0
    for r in 0..<rows {
      for j in 0..<columns {
        var sum: Float = 0
        for q in 0..<inner { sum.addProduct(x[r * inner + q], w[q * columns + j]) }
        if y[r * columns + j].bitPattern != sum.bitPattern { differing += 1 }
      }
    }
    XCTAssertEqual(differing, 0, "outputs not the in-order fused sum")
  }

  func testSameWithOneAndTwoThreads() {
    let (rows, inner, columns) = (5, 64, 1000)
    let x = randomArray(rows * inner, seed: 5)
    let w = randomArray(inner * columns, seed: 6)
    let saved = Parallel.threadCount
    defer { Parallel.threadCount = saved }
    Parallel.threadCount = 1
    let one = product(x, w, rows: rows, inner: inner, columns: columns, transposed: true)
    Parallel.threadCount = 2
    let two = product(x, w, rows: rows, inner: inner, columns: columns, transposed: true)
    XCTAssertEqual(one.map(\.bitPattern), two.map(\.bitPattern))
  }

  /// `stepProduct` takes the panels for a few rows and checks they fit.
  func testStepProductUsesThePanels() {
    let (rows, inner, columns) = (2, 24, 70)
    let x = Tensor(shape: [rows, inner], scalars: randomArray(rows * inner, seed: 7))
    let w = Tensor(shape: [inner, columns], scalars: randomArray(inner * columns, seed: 8))
    // Panels of a different matrix: the product must come from them, not from `weight`.
    let other = randomArray(inner * columns, seed: 9)
    let panels = RowPanelMatrix(other, k: inner, n: columns, ldb: columns, transposeB: false)
    let y = stepProduct(x, weight: w, rowPanels: panels)
    let expected = product(x.scalars, other, rows: rows, inner: inner, columns: columns, transposed: false)
    XCTAssertEqual(y.scalars.map(\.bitPattern), expected.map(\.bitPattern))
  }
}
