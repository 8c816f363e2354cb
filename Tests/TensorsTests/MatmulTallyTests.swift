import XCTest

@testable import Tensors

final class MatmulTallyTests: XCTestCase {
  /// `gemmCount` plain 5×7·7×3 products (105 multiply–adds each; A transposed when
  /// `transposeA`), a batch of two (210, B transposed when `transposeB`), and the two row
  /// products of 2 rows (42 each), all of ones.
  private func products(gemmCount: Int = 1, transposeA: Bool = false, transposeB: Bool = false) {
    let a = [Float](repeating: 1, count: 2 * 5 * 7)
    let b = [Float](repeating: 1, count: 2 * 7 * 3)
    var c = [Float](repeating: 0, count: 2 * 5 * 3)
    a.withUnsafeBufferPointer { a in
      b.withUnsafeBufferPointer { b in
        c.withUnsafeMutableBufferPointer { c in
          let (a, b, c) = (a.baseAddress!, b.baseAddress!, c.baseAddress!)
          for _ in 0..<gemmCount {
            gemm(
              m: 5, n: 3, k: 7, a: a, lda: transposeA ? 5 : 7, transposeA: transposeA, b: b,
              ldb: 3, transposeB: false, c: c, ldc: 3)
          }
          gemmBatched(
            batch: 2, m: 5, n: 3, k: 7, a: a, strideA: 35, lda: 7, transposeA: false,
            b: b, strideB: 21, ldb: transposeB ? 7 : 3, transposeB: transposeB, c: c,
            strideC: 15, ldc: 3)
          rowProduct(a, b, into: c, rows: 2, inner: 7, columns: 3)
          rowProductTransposed(a, b, into: c, rows: 2, inner: 7, columns: 3)
        }
      }
    }
  }

  /// Each form adds M·N·K per product while counting, and nothing outside a count.
  func testCountsEveryFormOnlyWhileCounting() {
    products()  // not counted
    let counted = MatmulTally.count { products() }.multiplyAdds
    XCTAssertEqual(counted, 105 + 210 + 42 + 42)
    products()
    XCTAssertEqual(MatmulTally.count {}.multiplyAdds, 0)
  }

  /// A profile times each shape of product it runs, and only those: every form, with its
  /// sizes, batch, transposes and kernel, its calls counted and its time positive.
  func testProfileTimesEachShapeWhileProfiling() {
    func run() { products(gemmCount: 3, transposeA: true, transposeB: true) }
    run()  // not profiled
    let (_, profile) = MatmulTally.profile { run() }
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
    run()
    XCTAssertTrue(MatmulTally.profile {}.products.isEmpty)
    // Profiling does not stop counting, nor counting profiling.
    let both = MatmulTally.count { MatmulTally.profile { run() } }
    XCTAssertEqual(both.multiplyAdds, 3 * 105 + 210 + 42 + 42)
    XCTAssertEqual(both.result.products.mapValues(\.calls), expected)
  }
}
