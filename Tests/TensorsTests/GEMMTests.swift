import XCTest

@testable import Tensors

/// The fast GEMM against `gemmReference` on shapes chosen to hit every edge of the blocking:
/// sizes below, at and just past the 6×16 tile (and the 6×32 one of AVX-512 builds), the 256-deep
/// blocks and the 3072-wide blocks.
final class GEMMTests: XCTestCase {
  private var generator = TestRandom(seed: 7)

  private func check(
    m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, accumulate: Bool,
    alpha: Float = 1, padding: Int = 0, threads: Int? = nil, file: StaticString = #filePath,
    line: UInt = #line
  ) {
    // Leading dimensions wider than the rows check that no kernel assumes packed operands.
    let operands = ProductOperands(
      m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB, padding: padding,
      using: &generator)
    let (lda, ldb, ldc) = (operands.lda, operands.ldb, operands.ldc)
    let (a, b, initial) = (operands.a, operands.b, operands.c)
    var fast = initial
    var reference = initial
    let previousThreads = Parallel.threadCount
    if let threads { Parallel.threadCount = threads }
    defer { Parallel.threadCount = previousThreads }
    a.withUnsafeBufferPointer { pa in
      b.withUnsafeBufferPointer { pb in
        fast.withUnsafeMutableBufferPointer { pc in
          gemm(
            m: m, n: n, k: k, a: pa.baseAddress!, lda: lda, transposeA: transposeA,
            b: pb.baseAddress!, ldb: ldb, transposeB: transposeB, c: pc.baseAddress!, ldc: ldc,
            alpha: alpha, accumulate: accumulate)
        }
        reference.withUnsafeMutableBufferPointer { pc in
          gemmReference(
            m: m, n: n, k: k, a: pa.baseAddress!, lda: lda, transposeA: transposeA,
            b: pb.baseAddress!, ldb: ldb, transposeB: transposeB, c: pc.baseAddress!, ldc: ldc,
            alpha: alpha, accumulate: accumulate)
        }
      }
    }
    // Float32 rounding grows with the number of terms; operands are in [-1, 1].
    let tolerance = 2e-6 * Float(k) + 1e-6
    for i in 0..<m {
      for j in 0..<ldc {
        let index = i * ldc + j
        if j >= n {
          XCTAssertEqual(
            fast[index], initial[index], "wrote outside C at (\(i), \(j)) for m \(m) n \(n) k \(k)",
            file: file, line: line)
          continue
        }
        if abs(fast[index] - reference[index]) > tolerance {
          XCTFail(
            "m \(m) n \(n) k \(k) transA \(transposeA) transB \(transposeB) accumulate \(accumulate): "
              + "C[\(i), \(j)] = \(fast[index]), reference \(reference[index])",
            file: file, line: line)
          return
        }
      }
    }
  }

  func testEveryTransposeFormOnAwkwardShapes() {
    let shapes = [
      (1, 1, 1), (5, 15, 3), (6, 16, 4), (7, 17, 5), (13, 33, 255), (12, 32, 257),
      (100, 3, 513), (3, 100, 1), (61, 47, 29), (24, 24, 32), (24, 32, 24),
      // The wide (6×32) tile's edges, when the build chose it: 16, 31, 32, 33, 40, 48, 65.
      (7, 31, 9), (6, 32, 5), (5, 40, 7), (13, 48, 20), (11, 65, 3), (2, 16, 300),
    ]
    for (m, n, k) in shapes {
      for transposeA in [false, true] {
        for transposeB in [false, true] {
          for accumulate in [false, true] {
            check(
              m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB,
              accumulate: accumulate, padding: 3)
          }
        }
      }
    }
  }

  func testAlphaScalesTheProduct() {
    check(m: 9, n: 20, k: 11, transposeA: false, transposeB: true, accumulate: true, alpha: 0.125)
    check(m: 9, n: 20, k: 11, transposeA: true, transposeB: false, accumulate: false, alpha: -3)
  }

  func testLargeShapesAcrossBlocksAndThreads() {
    // Past one row block (120), one depth block (256) and one column block (3072).
    for threads in [1, 2, 3] {
      check(m: 250, n: 70, k: 600, transposeA: false, transposeB: false, accumulate: false, threads: threads)
      check(m: 131, n: 3100, k: 40, transposeA: true, transposeB: true, accumulate: true, threads: threads)
    }
    // Short and wide (decoding one token against a vocabulary): threads split the columns.
    check(m: 2, n: 5000, k: 64, transposeA: false, transposeB: true, accumulate: false, threads: 2)
  }

  func testZeroSizedDimensions() {
    // K = 0: the empty sum is 0, or C unchanged when accumulating.
    var c: [Float] = [1, 2, 3, 4, 5, 6]
    let one: [Float] = [1]
    one.withUnsafeBufferPointer { p in
      c.withUnsafeMutableBufferPointer { pc in
        gemm(
          m: 2, n: 3, k: 0, a: p.baseAddress!, lda: 1, transposeA: false, b: p.baseAddress!,
          ldb: 3, transposeB: false, c: pc.baseAddress!, ldc: 3, accumulate: true)
      }
      XCTAssertEqual(c, [1, 2, 3, 4, 5, 6])
      c.withUnsafeMutableBufferPointer { pc in
        gemm(
          m: 2, n: 3, k: 0, a: p.baseAddress!, lda: 1, transposeA: false, b: p.baseAddress!,
          ldb: 3, transposeB: false, c: pc.baseAddress!, ldc: 3, accumulate: false)
      }
      XCTAssertEqual(c, [0, 0, 0, 0, 0, 0])
    }
    // M = 0 or N = 0: nothing to write, nothing read.
    XCTAssertEqual(matmul(Tensor(shape: [0, 4]), Tensor(shape: [4, 3])).shape, [0, 3])
    XCTAssertEqual(matmul(Tensor(shape: [2, 4]), Tensor(shape: [4, 0])).shape, [2, 0])
    let empty = matmul(Tensor(shape: [2, 0]), Tensor(shape: [0, 3]))
    XCTAssertEqual(empty.scalars, [0, 0, 0, 0, 0, 0])
  }

  func testTensorMatmulForms() {
    // [M, K] · [K, N]
    let a = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
    let b = Tensor(shape: [3, 2], scalars: [7, 8, 9, 10, 11, 12])
    XCTAssertEqual(matmul(a, b).scalars, [58, 64, 139, 154])
    XCTAssertEqual(matmul(b, a, transposeA: true, transposeB: true).scalars, [58, 139, 64, 154])
    // [B, T, D] · [D, N]: the leading dimensions become rows.
    let x = Tensor(shape: [2, 1, 3], scalars: [1, 2, 3, 4, 5, 6])
    let y = matmul(x, b)
    XCTAssertEqual(y.shape, [2, 1, 2])
    XCTAssertEqual(y.scalars, [58, 64, 139, 154])
    // Batched: [2, 1, 3] · [2, 3, 1], a batch of two dot products.
    let z = Tensor(shape: [2, 3, 1], scalars: [1, 1, 1, 2, 2, 2])
    XCTAssertEqual(matmul(x, z).scalars, [6, 30])
    XCTAssertEqual(matmul(x, z.reshaped([2, 1, 3]), transposeB: true).scalars, [6, 30])
    // Accumulating into an existing C.
    var c = Tensor(shape: [2, 2], repeating: 1)
    matmul(a, b, into: &c, accumulate: true)
    XCTAssertEqual(c.scalars, [59, 65, 140, 155])
  }

  func testBatchedMatchesPerItemReference() {
    for (batch, m, n, k) in [(1, 5, 7, 3), (7, 24, 24, 32), (9, 24, 32, 24), (3, 130, 40, 300)] {
      for transposeB in [false, true] {
        let a = Tensor(shape: [batch, m, k], scalars: generator.floats(batch * m * k))
        let b = Tensor(
          shape: transposeB ? [batch, n, k] : [batch, k, n], scalars: generator.floats(batch * k * n))
        let c = matmul(a, b, transposeB: transposeB, alpha: 0.5)
        XCTAssertEqual(c.shape, [batch, m, n])
        var expected = [Float](repeating: 0, count: batch * m * n)
        a.withUnsafeBufferPointer { pa in
          b.withUnsafeBufferPointer { pb in
            expected.withUnsafeMutableBufferPointer { pc in
              for i in 0..<batch {
                gemmReference(
                  m: m, n: n, k: k, a: pa.baseAddress! + i * m * k, lda: k, transposeA: false,
                  b: pb.baseAddress! + i * k * n, ldb: transposeB ? k : n, transposeB: transposeB,
                  c: pc.baseAddress! + i * m * n, ldc: n, alpha: 0.5)
              }
            }
          }
        }
        let worst = zip(c.scalars, expected).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThan(worst, 2e-6 * Float(k) + 1e-6, "batch \(batch) m \(m) n \(n) k \(k)")
      }
    }
  }

  func testResultsDoNotDependOnThreadCount() {
    let a = Tensor(shape: [300, 200], scalars: generator.floats(300 * 200))
    let b = Tensor(shape: [200, 500], scalars: generator.floats(200 * 500))
    let previous = Parallel.threadCount
    defer { Parallel.threadCount = previous }
    Parallel.threadCount = 1
    let one = matmul(a, b).scalars
    Parallel.threadCount = 2
    let two = matmul(a, b).scalars
    Parallel.threadCount = 5
    let five = matmul(a, b).scalars
    XCTAssertEqual(one, two)
    XCTAssertEqual(one, five)
  }
}

/// Random operands of one product `C (+)= op(A)·op(B)` in [-1, 1), each row `padding` floats
/// longer than the matrix is wide, so that a kernel assuming packed operands shows.
struct ProductOperands {
  let lda: Int, ldb: Int, ldc: Int
  /// op(A) is M×K: stored M×K, or K×M when transposed.
  let a: [Float]
  /// op(B) is K×N: stored K×N, or N×K when transposed.
  let b: [Float]
  /// C's starting values, M×N with leading dimension `ldc`.
  let c: [Float]

  init(
    m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, padding: Int,
    using generator: inout TestRandom
  ) {
    lda = (transposeA ? m : k) + padding
    ldb = (transposeB ? k : n) + padding
    ldc = n + padding
    a = generator.floats((transposeA ? k : m) * lda)
    b = generator.floats((transposeB ? n : k) * ldb)
    c = generator.floats(m * ldc)
  }
}

/// A small deterministic generator for test operands (independent of the library's RNG).
struct TestRandom {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  /// Uniform in [-1, 1).
  mutating func floats(_ count: Int) -> [Float] {
    (0..<count).map { _ in Float(next() >> 40) / Float(1 << 23) - 1 }
  }
}
