/// One product's operands, as `gemm` received them.
struct GEMMProblem {
  var m: Int, n: Int, k: Int
  var a: UnsafePointer<Float>, lda: Int, transposeA: Bool
  var b: UnsafePointer<Float>, ldb: Int, transposeB: Bool
  var c: UnsafeMutablePointer<Float>, ldc: Int
  var alpha: Float, accumulate: Bool
}

enum GEMM {
  static func run(_ p: GEMMProblem, batch: Int, strideA: Int, strideB: Int, strideC: Int) {
    for i in 0..<batch {
      gemmReference(
        m: p.m, n: p.n, k: p.k, a: p.a + i * strideA, lda: p.lda, transposeA: p.transposeA,
        b: p.b + i * strideB, ldb: p.ldb, transposeB: p.transposeB, c: p.c + i * strideC,
        ldc: p.ldc, alpha: p.alpha, accumulate: p.accumulate)
    }
  }
}
