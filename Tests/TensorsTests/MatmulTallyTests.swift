import XCTest

@testable import Tensors

final class MatmulTallyTests: XCTestCase {
  /// Each form adds M·N·K per product while counting, and nothing outside a count.
  func testCountsEveryFormOnlyWhileCounting() {
    let a = [Float](repeating: 1, count: 2 * 5 * 7)
    let b = [Float](repeating: 1, count: 2 * 7 * 3)
    var c = [Float](repeating: 0, count: 2 * 5 * 3)
    func products() {
      a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
          c.withUnsafeMutableBufferPointer { c in
            let (a, b, c) = (a.baseAddress!, b.baseAddress!, c.baseAddress!)
            gemm(
              m: 5, n: 3, k: 7, a: a, lda: 7, transposeA: false, b: b, ldb: 3,
              transposeB: false, c: c, ldc: 3)  // 105
            gemmBatched(
              batch: 2, m: 5, n: 3, k: 7, a: a, strideA: 35, lda: 7, transposeA: false,
              b: b, strideB: 21, ldb: 3, transposeB: false, c: c, strideC: 15, ldc: 3)  // 210
            rowProduct(a, b, into: c, rows: 2, inner: 7, columns: 3)  // 42
            rowProductTransposed(a, b, into: c, rows: 2, inner: 7, columns: 3)  // 42
          }
        }
      }
    }
    products()  // not counted
    let counted = MatmulTally.count { products() }.multiplyAdds
    XCTAssertEqual(counted, 105 + 210 + 42 + 42)
    products()
    XCTAssertEqual(MatmulTally.count {}.multiplyAdds, 0)
  }

  /// A profile times each shape of product it runs, and only those: every form, with its
  /// sizes, batch and transposes, its calls counted and its time positive.
  func testProfileTimesEachShapeWhileProfiling() {
    let a = [Float](repeating: 1, count: 2 * 5 * 7)
    let b = [Float](repeating: 1, count: 2 * 7 * 3)
    var c = [Float](repeating: 0, count: 2 * 5 * 3)
    func products() {
      a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
          c.withUnsafeMutableBufferPointer { c in
            let (a, b, c) = (a.baseAddress!, b.baseAddress!, c.baseAddress!)
            for _ in 0..<3 {
              gemm(
                m: 5, n: 3, k: 7, a: a, lda: 5, transposeA: true, b: b, ldb: 3,
                transposeB: false, c: c, ldc: 3)
            }
            gemmBatched(
              batch: 2, m: 5, n: 3, k: 7, a: a, strideA: 35, lda: 7, transposeA: false,
              b: b, strideB: 21, ldb: 7, transposeB: true, c: c, strideC: 15, ldc: 3)
            rowProduct(a, b, into: c, rows: 2, inner: 7, columns: 3)
            rowProductTransposed(a, b, into: c, rows: 2, inner: 7, columns: 3)
          }
        }
      }
    }
    products()  // not profiled
    let (_, profile) = MatmulTally.profile { products() }
    typealias Shape = MatmulTally.ProductShape
    let expected: [Shape: Int] = [
      Shape(m: 5, k: 7, n: 3, batch: 1, transposeA: true, transposeB: false, kernel: .gemm): 3,
      Shape(m: 5, k: 7, n: 3, batch: 2, transposeA: false, transposeB: true, kernel: .gemm): 1,
      Shape(
        m: 2, k: 7, n: 3, batch: 1, transposeA: false, transposeB: false, kernel: .rowProduct): 1,
      Shape(
        m: 2, k: 7, n: 3, batch: 1, transposeA: false, transposeB: true, kernel: .rowProduct): 1,
    ]
    XCTAssertEqual(profile.mapValues(\.calls), expected)
    XCTAssertTrue(profile.values.allSatisfy { $0.seconds > 0 })
    products()
    XCTAssertTrue(MatmulTally.profile {}.products.isEmpty)
    // Profiling does not stop counting, nor counting profiling.
    let both = MatmulTally.count { MatmulTally.profile { products() } }
    XCTAssertEqual(both.multiplyAdds, 3 * 105 + 210 + 42 + 42)
    XCTAssertEqual(both.result.products.mapValues(\.calls), expected)
  }
}
