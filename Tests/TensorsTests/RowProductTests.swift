import XCTest

@testable import Tensors

/// The few-row products and `stepProduct`'s three routes against `gemmReference`.
final class RowProductTests: XCTestCase {
  /// Rows 1…8 (every count the row products take), inner sizes around one and two SIMD widths,
  /// column counts around the 64-column task blocks and the 16-lane tail.
  let shapes: [(rows: Int, inner: Int, columns: Int)] = [
    (1, 1, 1), (1, 17, 15), (2, 16, 64), (3, 33, 65), (5, 15, 130), (7, 40, 17), (8, 31, 129),
  ]

  func reference(_ x: [Float], _ w: [Float], rows: Int, inner: Int, columns: Int, transposed: Bool)
    -> [Float]
  {
    [Float](repeating: .nan, count: rows * columns).mutated {
      gemmReference(
        m: rows, n: columns, k: inner, a: x, lda: inner, transposeA: false, b: w,
        ldb: transposed ? inner : columns, transposeB: transposed, c: $0, ldc: columns)
    }
  }

  func testRowProductsMatchReference() {
    for (rows, inner, columns) in shapes {
      let x = randomArray(rows * inner, seed: 1)
      let w = randomArray(inner * columns, seed: 2)
      let product = [Float](repeating: .nan, count: rows * columns).mutated {
        rowProduct(x, w, into: $0, rows: rows, inner: inner, columns: columns)
      }
      assertClose(
        product, reference(x, w, rows: rows, inner: inner, columns: columns, transposed: false),
        absolute: 1e-5, "x·W \(rows)×\(inner)×\(columns)")
      let transposed = [Float](repeating: .nan, count: rows * columns).mutated {
        rowProductTransposed(x, w, into: $0, rows: rows, inner: inner, columns: columns)
      }
      assertClose(
        transposed, reference(x, w, rows: rows, inner: inner, columns: columns, transposed: true),
        absolute: 1e-5, "x·Eᵀ \(rows)×\(inner)×\(columns)")
    }
  }

  /// The tiles, the four-row steps and their tails change no rounding: every output is the
  /// in-order Float sum `((x₀w₀ + x₁w₁) + x₂w₂) + …`, bit for bit.
  func testRowProductIsTheInOrderSum() {
    for (rows, inner, columns) in [(1, 258, 1100), (2, 6, 600), (3, 3, 40), (1, 256, 256)] {
      let x = randomArray(rows * inner, seed: 8)
      let w = randomArray(inner * columns, seed: 9)
      let product = [Float](repeating: .nan, count: rows * columns).mutated {
        rowProduct(x, w, into: $0, rows: rows, inner: inner, columns: columns)
      }
      var differing = 0
      for r in 0..<rows {
        for j in 0..<columns {
          var sum: Float = 0
          for p in 0..<inner { sum = sum + x[r * inner + p] * w[p * columns + j] }
          if product[r * columns + j].bitPattern != sum.bitPattern { differing += 1 }
        }
      }
      XCTAssertEqual(differing, 0, "\(rows)×\(inner)×\(columns): outputs not the in-order sum")
    }
  }

  /// Four columns side by side sum each column exactly as one column alone is summed.
  func testTransposedColumnsAsIfAlone() {
    for (rows, inner, columns) in [(1, 256, 11), (3, 37, 9), (2, 16, 4)] {
      let x = randomArray(rows * inner, seed: 10)
      let e = randomArray(columns * inner, seed: 11)
      let together = [Float](repeating: .nan, count: rows * columns).mutated {
        rowProductTransposed(x, e, into: $0, rows: rows, inner: inner, columns: columns)
      }
      var differing = 0
      for n in 0..<columns {
        let alone = [Float](repeating: .nan, count: rows).mutated { y in
          e.withUnsafeBufferPointer {
            rowProductTransposed(
              x, $0.baseAddress! + n * inner, into: y, rows: rows, inner: inner, columns: 1)
          }
        }
        for r in 0..<rows where together[r * columns + n].bitPattern != alone[r].bitPattern {
          differing += 1
        }
      }
      XCTAssertEqual(differing, 0, "\(rows)×\(inner)×\(columns): columns differ from alone")
    }
  }

  func testSameWithOneAndTwoThreads() {
    // 1000 columns of depth 70: enough tasks to split over two threads.
    let (rows, inner, columns) = (3, 70, 1000)
    let x = randomArray(rows * inner, seed: 3)
    let w = randomArray(inner * columns, seed: 4)
    assertSameWithOneAndTwoThreads {
      [Float](repeating: .nan, count: rows * columns).mutated {
        rowProduct(x, w, into: $0, rows: rows, inner: inner, columns: columns)
      }
        + [Float](repeating: .nan, count: rows * columns).mutated {
          rowProductTransposed(x, w, into: $0, rows: rows, inner: inner, columns: columns)
        }
    }
  }

  /// Few rows, many rows unpacked, many rows packed: the same product within rounding.
  func testStepProductRoutes() {
    let (inner, columns) = (37, 75)
    let weight = Tensor(shape: [inner, columns], scalars: randomArray(inner * columns, seed: 5))
    let table = Tensor(shape: [columns, inner], scalars: randomArray(inner * columns, seed: 6))
    let packed = weight.withUnsafeBufferPointer {
      PackedMatrix($0.baseAddress!, k: inner, n: columns, ldb: columns, transposeB: false)
    }
    let packedTable = table.withUnsafeBufferPointer {
      PackedMatrix($0.baseAddress!, k: inner, n: columns, ldb: inner, transposeB: true)
    }
    for rows in [0, 1, rowProductMaxRows, rowProductMaxRows + 1, 23] {
      let x = Tensor(shape: [rows, inner], scalars: randomArray(rows * inner, seed: 7))
      let expected = reference(
        x.scalars, weight.scalars, rows: rows, inner: inner, columns: columns, transposed: false)
      let expectedTransposed = reference(
        x.scalars, table.scalars, rows: rows, inner: inner, columns: columns, transposed: true)
      for candidate in [
        stepProduct(x, weight: weight), stepProduct(x, weight: weight, packed: packed),
      ] {
        XCTAssertEqual(candidate.shape, [rows, columns])
        assertClose(candidate.scalars, expected, absolute: 1e-5, "\(rows) rows")
      }
      for candidate in [
        stepProduct(x, weight: table, transposeWeight: true),
        stepProduct(x, weight: table, transposeWeight: true, packed: packedTable),
      ] {
        assertClose(candidate.scalars, expectedTransposed, absolute: 1e-5, "\(rows) rows, Eᵀ")
      }
    }
  }
}
