import XCTest

@testable import Tensors

/// A product with B packed beforehand is the same product: the same panels meet the same
/// micro-kernel in the same order, so the result equals `gemm`'s bit for bit, on every edge of
/// the blocking and for any thread count.
final class PackedMatrixTests: XCTestCase {
  private var generator = TestRandom(seed: 11)

  private func check(
    m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, accumulate: Bool,
    alpha: Float = 1, threads: Int = 2, file: StaticString = #filePath, line: UInt = #line
  ) {
    let operands = ProductOperands(
      m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB, padding: 3,
      using: &generator)
    let (lda, ldb, ldc) = (operands.lda, operands.ldb, operands.ldc)
    let (a, b, initial) = (operands.a, operands.b, operands.c)
    var packedResult = initial
    var plainResult = initial
    let previousThreads = Parallel.threadCount
    Parallel.threadCount = threads
    defer { Parallel.threadCount = previousThreads }
    a.withUnsafeBufferPointer { pa in
      b.withUnsafeBufferPointer { pb in
        let packed = PackedMatrix(pb.baseAddress!, k: k, n: n, ldb: ldb, transposeB: transposeB)
        XCTAssertEqual(packed.k, k, file: file, line: line)
        XCTAssertEqual(packed.n, n, file: file, line: line)
        packedResult.withUnsafeMutableBufferPointer { pc in
          gemm(
            m: m, a: pa.baseAddress!, lda: lda, transposeA: transposeA, b: packed,
            c: pc.baseAddress!, ldc: ldc, alpha: alpha, accumulate: accumulate)
        }
        plainResult.withUnsafeMutableBufferPointer { pc in
          gemm(
            m: m, n: n, k: k, a: pa.baseAddress!, lda: lda, transposeA: transposeA,
            b: pb.baseAddress!, ldb: ldb, transposeB: transposeB, c: pc.baseAddress!, ldc: ldc,
            alpha: alpha, accumulate: accumulate)
        }
      }
    }
    // Also checks that the padding columns of C were left alone.
    XCTAssertEqual(
      packedResult, plainResult,
      "m \(m) n \(n) k \(k) transA \(transposeA) transB \(transposeB) threads \(threads)",
      file: file, line: line)
  }

  func testEqualsUnpackedProductOnAwkwardShapes() {
    let shapes = [
      (1, 1, 1), (5, 15, 3), (6, 16, 4), (7, 17, 5), (13, 33, 255), (12, 32, 257),
      (100, 3, 513), (3, 100, 1), (61, 47, 29), (100, 24, 256),
    ]
    for (m, n, k) in shapes {
      for transposeA in [false, true] {
        for transposeB in [false, true] {
          check(
            m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB,
            accumulate: transposeA)
        }
      }
    }
  }

  func testAcrossBlocksAndThreads() {
    // Past one depth block (256) and one column block (3072); slabs by columns and by rows.
    for threads in [1, 2, 3] {
      check(
        m: 100, n: 3100, k: 600, transposeA: false, transposeB: true, accumulate: false,
        alpha: 0.5, threads: threads)
      check(
        m: 250, n: 70, k: 300, transposeA: false, transposeB: false, accumulate: true,
        threads: threads)
    }
  }

  func testAgainstReference() {
    // The packed panels themselves, not only agreement with `gemm`: [K, N] against the naive
    // triple loop.
    let (m, n, k) = (37, 45, 270)
    let a = generator.floats(m * k)
    let b = generator.floats(k * n)
    var fast = [Float](repeating: 0, count: m * n)
    var reference = fast
    a.withUnsafeBufferPointer { pa in
      b.withUnsafeBufferPointer { pb in
        let packed = PackedMatrix(pb.baseAddress!, k: k, n: n, ldb: n, transposeB: false)
        fast.withUnsafeMutableBufferPointer { pc in
          gemm(
            m: m, a: pa.baseAddress!, lda: k, transposeA: false, b: packed,
            c: pc.baseAddress!, ldc: n)
        }
        reference.withUnsafeMutableBufferPointer { pc in
          gemmReference(
            m: m, n: n, k: k, a: pa.baseAddress!, lda: k, transposeA: false,
            b: pb.baseAddress!, ldb: n, transposeB: false, c: pc.baseAddress!, ldc: n)
        }
      }
    }
    let worst = zip(fast, reference).map { abs($0 - $1) }.max() ?? 0
    XCTAssertLessThan(worst, 2e-6 * Float(k) + 1e-6)
  }

  func testEmptyDepthWritesZeros() {
    let one: [Float] = [1]
    var c: [Float] = [1, 2, 3, 4, 5, 6]
    one.withUnsafeBufferPointer { p in
      let packed = PackedMatrix(p.baseAddress!, k: 0, n: 3, ldb: 3, transposeB: false)
      c.withUnsafeMutableBufferPointer { pc in
        gemm(
          m: 2, a: p.baseAddress!, lda: 1, transposeA: false, b: packed, c: pc.baseAddress!, ldc: 3)
      }
    }
    XCTAssertEqual(c, [0, 0, 0, 0, 0, 0])
  }
}
