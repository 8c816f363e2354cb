import XCTest

@testable import Tensors

/// Packing is a pure copy, so a transposed operand must give the very same bits as the plain one
/// it transposes: checks `packATransposed` (whole 6-row panels copied 4 + 2 wide, a zero-padded
/// last panel) and `packB` against the plain packers, on heights around the panel size.
final class GEMMPackingTests: XCTestCase {
  func testTransposedOperandsGiveIdenticalBits() {
    var generator = RandomGenerator(seed: 31)
    for (m, n, k) in [(1, 3, 5), (6, 16, 7), (11, 17, 40), (127, 33, 300), (250, 70, 600)] {
      let a = (0..<(m * k)).map { _ in generator.uniform(low: -1, high: 1) }  // [M, K]
      let b = (0..<(k * n)).map { _ in generator.uniform(low: -1, high: 1) }  // [K, N]
      let aTransposed = (0..<(k * m)).map { a[($0 % m) * k + $0 / m] }  // [K, M]
      let bTransposed = (0..<(n * k)).map { b[($0 % k) * n + $0 / k] }  // [N, K]
      func product(_ a: [Float], _ transposeA: Bool, _ b: [Float], _ transposeB: Bool) -> [UInt32] {
        [Float](repeating: 0, count: m * n).mutated { c in
          gemm(
            m: m, n: n, k: k, a: a, lda: transposeA ? m : k, transposeA: transposeA,
            b: b, ldb: transposeB ? k : n, transposeB: transposeB, c: c, ldc: n)
        }.map(\.bitPattern)
      }
      let plain = product(a, false, b, false)
      XCTAssertEqual(product(aTransposed, true, b, false), plain, "Aᵀ, m \(m) n \(n) k \(k)")
      XCTAssertEqual(product(a, false, bTransposed, true), plain, "Bᵀ, m \(m) n \(n) k \(k)")
      XCTAssertEqual(product(aTransposed, true, bTransposed, true), plain, "both, m \(m) n \(n)")
    }
  }
}
