import XCTest

@testable import Tensors

/// The GEMM's epilogue (a bias added and a clamp at 0 as the micro-kernel stores C) gives the
/// numbers of the separate passes after the product, bit for bit: the bias goes onto the whole
/// sum, after the last depth block, on edge tiles and across thread slabs alike.
final class GEMMEpilogueTests: XCTestCase {
  private var generator = TestRandom(seed: 29)

  /// `gemm` with `bias`/`relu` (plain and with B packed beforehand) against `gemm`, then
  /// `vectorAddRowVector` and `reluForward` row by row; C's padding columns stay untouched.
  private func check(
    m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, relu: Bool, threads: Int,
    accumulate: Bool = false, file: StaticString = #filePath, line: UInt = #line
  ) {
    let operands = ProductOperands(
      m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB, padding: 3,
      using: &generator)
    let (lda, ldb, ldc) = (operands.lda, operands.ldb, operands.ldc)
    let (a, b, initial) = (operands.a, operands.b, operands.c)
    let bias = generator.floats(n)
    let previousThreads = Parallel.threadCount
    Parallel.threadCount = threads
    defer { Parallel.threadCount = previousThreads }
    var separate = initial
    var fused = initial
    var packedFused = initial
    a.withUnsafeBufferPointer { pa in
      b.withUnsafeBufferPointer { pb in
        separate.withUnsafeMutableBufferPointer { pc in
          let c = pc.baseAddress!
          gemm(
            m: m, n: n, k: k, a: pa.baseAddress!, lda: lda, transposeA: transposeA,
            b: pb.baseAddress!, ldb: ldb, transposeB: transposeB, c: c, ldc: ldc,
            accumulate: accumulate)
          for row in 0..<m {
            vectorAddRowVector(c + row * ldc, bias, into: c + row * ldc, rows: 1, columns: n)
            if relu { reluForward(c + row * ldc, into: c + row * ldc, count: n) }
          }
        }
        fused.withUnsafeMutableBufferPointer { pc in
          gemm(
            m: m, n: n, k: k, a: pa.baseAddress!, lda: lda, transposeA: transposeA,
            b: pb.baseAddress!, ldb: ldb, transposeB: transposeB, c: pc.baseAddress!,
            ldc: ldc, accumulate: accumulate, bias: bias, relu: relu)
        }
        let packed = PackedMatrix(pb.baseAddress!, k: k, n: n, ldb: ldb, transposeB: transposeB)
        packedFused.withUnsafeMutableBufferPointer { pc in
          gemm(
            m: m, a: pa.baseAddress!, lda: lda, transposeA: transposeA, b: packed,
            c: pc.baseAddress!, ldc: ldc, accumulate: accumulate, bias: bias, relu: relu)
        }
      }
    }
    let label =
      "m \(m) n \(n) k \(k) tA \(transposeA) tB \(transposeB) relu \(relu) t \(threads) "
      + "acc \(accumulate)"
    XCTAssertEqual(
      fused.map(\.bitPattern), separate.map(\.bitPattern), label, file: file, line: line)
    XCTAssertEqual(
      packedFused.map(\.bitPattern), separate.map(\.bitPattern), "packed " + label, file: file,
      line: line)
    if relu && m * n > 20 {
      // The clamp did something and left something.
      let values = (0..<m).flatMap { r in fused[(r * ldc)..<(r * ldc + n)] }
      XCTAssertTrue(
        values.contains(0) && values.contains { $0 > 0 }, label, file: file, line: line)
    }
  }

  func testEqualsSeparatePassesOnAwkwardShapes() {
    // Edge tiles in both directions, narrow panels (n ≤ 8, ≤ 16), several depth blocks
    // (k > 256), slabs by rows (m ≥ n) and by columns (m < n).
    let shapes = [
      (1, 1, 1), (5, 15, 3), (6, 16, 4), (7, 17, 5), (13, 33, 257), (100, 3, 513),
      (3, 100, 1), (61, 47, 29), (100, 256, 256), (100, 24, 1024), (130, 300, 40),
    ]
    for (m, n, k) in shapes {
      for (transposeA, transposeB) in [(false, false), (true, false), (false, true)] {
        for relu in [false, true] {
          for threads in [1, 2] {
            check(
              m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB, relu: relu,
              threads: threads)
          }
        }
      }
    }
  }

  /// C += A·B, then the bias: the sum C held before is part of what the bias is added to.
  func testAccumulatingAddsTheBiasOnce() {
    for (m, n, k) in [(7, 17, 5), (100, 256, 300)] {
      for relu in [false, true] {
        check(
          m: m, n: n, k: k, transposeA: false, transposeB: false, relu: relu, threads: 2,
          accumulate: true)
      }
    }
  }

  /// More columns than one column block (`GEMM.nc`) in a thread's slab, so the bias follows
  /// the block's offset too; large enough that two threads split it.
  func testColumnsPastOneColumnBlock() {
    let n = 2 * GEMM.nc + 37
    for threads in [1, 2] {
      check(
        m: 9, n: n, k: 20, transposeA: false, transposeB: false, relu: true, threads: threads)
      check(
        m: 9, n: n, k: 20, transposeA: false, transposeB: true, relu: false, threads: threads)
    }
  }

  func testEmptyDepthGivesTheBias() {
    var c: [Float] = [9, 9, 9, 9, 9, 9]
    let bias: [Float] = [-1, 0.5, 2]
    let a: [Float] = [0]
    let b: [Float] = [0]
    c.withUnsafeMutableBufferPointer { pc in
      gemm(
        m: 2, n: 3, k: 0, a: a, lda: 1, transposeA: false, b: b, ldb: 3, transposeB: false,
        c: pc.baseAddress!, ldc: 3, bias: bias, relu: true)
    }
    XCTAssertEqual(c, [0, 0.5, 2, 0, 0.5, 2])
  }

  /// The tensor forms: `matmul(x, w, bias:, relu:)` over `[B, T, K]`, and `stepProduct` with a
  /// bias on both of its paths (few rows: row products then one pass; more: the GEMM).
  func testTensorFormsEqualSeparatePasses() {
    let w = Tensor(shape: [24, 40], scalars: generator.floats(24 * 40))
    let bias = Tensor(shape: [40], scalars: generator.floats(40))
    for relu in [false, true] {
      let x = Tensor(shape: [3, 5, 24], scalars: generator.floats(3 * 5 * 24))
      var expected = matmul(x, w)
      expected.addRowVector(bias)
      if relu { expected = Tensors.relu(expected) }
      let fused = matmul(x, w, bias: bias, relu: relu)
      XCTAssertEqual(fused.shape, [3, 5, 40])
      XCTAssertEqual(fused.scalars.map(\.bitPattern), expected.scalars.map(\.bitPattern))
      for rows in [1, rowProductMaxRows, rowProductMaxRows + 1, 30] {
        let x = Tensor(shape: [rows, 24], scalars: generator.floats(rows * 24))
        var expected = stepProduct(x, weight: w)
        expected.addRowVector(bias)
        if relu { expected = Tensors.relu(expected) }
        let fused = stepProduct(x, weight: w, bias: bias, relu: relu)
        XCTAssertEqual(
          fused.scalars.map(\.bitPattern), expected.scalars.map(\.bitPattern),
          "rows \(rows) relu \(relu)")
      }
    }
  }
}
