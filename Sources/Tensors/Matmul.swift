/// Matrix products on `Tensor`: `C = alpha · op(A) · op(B)`, optionally accumulated into C.
///
/// `transposeA` means A is stored K×M (so op(A) = Aᵀ is M×K); `transposeB` means B is stored N×K.
/// Rank rules:
/// - `[M, K] · [K, N] → [M, N]`
/// - `[…, M, K] · [K, N] → […, M, N]` (leading dimensions of A flattened into rows; needs
///   `transposeA == false`): the shape of a linear layer applied to `[B, T, D]`.
/// - `[…, M, K] · […, K, N] → […, M, N]` with equal leading dimensions: a batched product (the
///   attention heads, `[B, H, T, K] · [B, H, K, S]`).
public func matmul(
  _ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false, alpha: Float = 1
) -> Tensor {
  let plan = MatmulPlan(a.shape, b.shape, transposeA: transposeA, transposeB: transposeB)
  var c = Tensor(uninitializedShape: plan.outputShape)
  matmul(a, b, transposeA: transposeA, transposeB: transposeB, alpha: alpha, into: &c, accumulate: false)
  return c
}

/// A linear layer's forward: `A·B + bias`, clamped at 0 when `relu`, with the bias and the
/// clamp applied as the product stores C (the same numbers as `addRowVector` and
/// `biasReLUForward` after `matmul`, without their pass over C).
///
/// - Parameters:
///   - a: `[…, K]`.
///   - b: `[K, N]`.
///   - bias: `[N]`.
/// - Returns: `[…, N]`.
public func matmul(_ a: Tensor, _ b: Tensor, bias: Tensor, relu: Bool = false) -> Tensor {
  let plan = MatmulPlan(a.shape, b.shape, transposeA: false, transposeB: false)
  kernelPrecondition(
    plan.batch == 1 && bias.shape == [plan.n],
    "matmul: bias \(bias.shape) must be [\(plan.n)] for A \(a.shape) and B \(b.shape)")
  var c = Tensor(uninitializedShape: plan.outputShape)
  c.withUnsafeMutableBufferPointer { cBuffer in
    guard let pc = cBuffer.baseAddress else { return }
    gemm(
      m: plan.m, n: plan.n, k: plan.k, a: a.storage.pointer, lda: plan.k, transposeA: false,
      b: b.storage.pointer, ldb: plan.n, transposeB: false, c: pc, ldc: plan.n,
      bias: bias.storage.pointer, relu: relu)
  }
  return c
}

/// Writes (or, with `accumulate`, adds) `alpha · op(A) · op(B)` into `c`, whose shape must be the
/// product's shape.
public func matmul(
  _ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false, alpha: Float = 1,
  into c: inout Tensor, accumulate: Bool
) {
  let plan = MatmulPlan(a.shape, b.shape, transposeA: transposeA, transposeB: transposeB)
  kernelPrecondition(
    c.shape == plan.outputShape,
    "matmul: output shape \(c.shape) differs from the product's shape \(plan.outputShape) "
      + "(A \(a.shape), B \(b.shape))")
  let pa = a.storage.pointer
  let pb = b.storage.pointer
  c.withUnsafeMutableBufferPointer { cBuffer in
    guard let pc = cBuffer.baseAddress else { return }
    gemmBatched(
      batch: plan.batch, m: plan.m, n: plan.n, k: plan.k,
      a: pa, strideA: plan.strideA, lda: transposeA ? plan.m : plan.k, transposeA: transposeA,
      b: pb, strideB: plan.strideB, ldb: transposeB ? plan.k : plan.n, transposeB: transposeB,
      c: pc, strideC: plan.m * plan.n, ldc: plan.n,
      alpha: alpha, accumulate: accumulate)
  }
}

/// The sizes of a `matmul` call, checked.
struct MatmulPlan {
  var batch = 1, m = 0, n = 0, k = 0
  var strideA = 0, strideB = 0
  var outputShape: [Int] = []

  init(_ aShape: [Int], _ bShape: [Int], transposeA: Bool, transposeB: Bool) {
    kernelPrecondition(
      aShape.count >= 2 && bShape.count >= 2,
      "matmul: operands need rank ≥ 2, got A \(aShape) and B \(bShape)")
    let aRows = aShape[aShape.count - 2], aCols = aShape[aShape.count - 1]
    let bRows = bShape[bShape.count - 2], bCols = bShape[bShape.count - 1]
    m = transposeA ? aCols : aRows
    k = transposeA ? aRows : aCols
    let kB = transposeB ? bCols : bRows
    n = transposeB ? bRows : bCols
    kernelPrecondition(
      k == kB,
      "matmul: inner sizes differ: A \(aShape)\(transposeA ? "ᵀ" : "") has K = \(k), "
        + "B \(bShape)\(transposeB ? "ᵀ" : "") has K = \(kB)")
    let aLeading = Array(aShape.dropLast(2))
    let bLeading = Array(bShape.dropLast(2))
    if bLeading.isEmpty {
      // A linear layer: every leading dimension of A becomes rows of one big product.
      kernelPrecondition(
        !transposeA || aLeading.isEmpty,
        "matmul: a transposed A of rank \(aShape.count) needs a B of the same rank, got B \(bShape)")
      let rows = aLeading.reduce(1, *)
      m *= rows
      outputShape = aLeading + [transposeA ? aCols : aRows, n]
      strideA = 0
      strideB = 0
    } else {
      kernelPrecondition(
        aLeading == bLeading,
        "matmul: batch dimensions differ: A \(aShape), B \(bShape)")
      batch = aLeading.reduce(1, *)
      outputShape = aLeading + [m, n]
      strideA = m * k
      strideB = k * n
    }
  }
}

/// `C = alpha · op(A) · op(B)` (+ C when `accumulate`) (+ bias) (clamped at 0 when `relu`) on
/// raw row-major matrices.
///
/// - Parameters:
///   - a: M×K row-major with leading dimension `lda`, or K×M when `transposeA`.
///   - b: K×N row-major with leading dimension `ldb`, or N×K when `transposeB`.
///   - c: M×N row-major with leading dimension `ldc`.
///   - bias: N values added to every row of C after the product, or nil.
///   - relu: whether C is then clamped at 0.
public func gemm(
  m: Int, n: Int, k: Int,
  a: UnsafePointer<Float>, lda: Int, transposeA: Bool,
  b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
  c: UnsafeMutablePointer<Float>, ldc: Int,
  alpha: Float = 1, accumulate: Bool = false, bias: UnsafePointer<Float>? = nil,
  relu: Bool = false
) {
  gemmBatched(
    batch: 1, m: m, n: n, k: k,
    a: a, strideA: 0, lda: lda, transposeA: transposeA,
    b: b, strideB: 0, ldb: ldb, transposeB: transposeB,
    c: c, strideC: 0, ldc: ldc, alpha: alpha, accumulate: accumulate, bias: bias, relu: relu)
}

/// `batch` independent products `C[i] = alpha · op(A[i]) · op(B[i])` (+ C[i]) (+ bias) (clamped
/// at 0 when `relu`), the i-th operands starting `i · stride` elements after the first. A
/// stride of 0 reuses one operand for all; the bias (N values, or nil) is the same for all.
public func gemmBatched(
  batch: Int, m: Int, n: Int, k: Int,
  a: UnsafePointer<Float>, strideA: Int, lda: Int, transposeA: Bool,
  b: UnsafePointer<Float>, strideB: Int, ldb: Int, transposeB: Bool,
  c: UnsafeMutablePointer<Float>, strideC: Int, ldc: Int,
  alpha: Float = 1, accumulate: Bool = false, bias: UnsafePointer<Float>? = nil,
  relu: Bool = false
) {
  kernelPrecondition(batch >= 0 && m >= 0 && n >= 0 && k >= 0, "gemm: negative size")
  guard batch > 0, m > 0, n > 0 else { return }
  let problem = GEMMProblem(
    m: m, n: n, k: k, a: a, lda: lda, transposeA: transposeA, b: b, ldb: ldb,
    transposeB: transposeB, c: c, ldc: ldc, alpha: alpha, accumulate: accumulate, bias: bias,
    relu: relu)
  GEMM.run(problem, batch: batch, strideA: strideA, strideB: strideB, strideC: strideC)
}

/// The naive triple loop, accumulating in Double: the reference every fast form is tested against.
public func gemmReference(
  m: Int, n: Int, k: Int,
  a: UnsafePointer<Float>, lda: Int, transposeA: Bool,
  b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
  c: UnsafeMutablePointer<Float>, ldc: Int,
  alpha: Float = 1, accumulate: Bool = false
) {
  for i in 0..<m {
    for j in 0..<n {
      var sum = 0.0
      for p in 0..<k {
        let x = transposeA ? a[p * lda + i] : a[i * lda + p]
        let y = transposeB ? b[j * ldb + p] : b[p * ldb + j]
        sum += Double(x) * Double(y)
      }
      let value = Float(Double(alpha) * sum)
      c[i * ldc + j] = accumulate ? c[i * ldc + j] + value : value
    }
  }
}
