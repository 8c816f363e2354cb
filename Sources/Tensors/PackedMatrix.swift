/// A right-hand operand op(B) copied once into the panel layout `GEMM`'s micro-kernel streams,
/// for a matrix that many products reuse: the weights of an inference step.
///
/// `gemm` packs op(B) afresh on every call, a full copy of B per product. A decoding step of
/// ~100 sentences multiplies only ~100 rows by each weight matrix, so that copy is about a tenth
/// of the step; packed once (the model keeps its packed step weights while they do not change),
/// a product packs only its small A.
///
/// Layout: for each depth block of `GEMM.kc` rows of op(B), the panels of NR = `GEMM.nr` columns
/// (16, or 32 with the wide tile; the last one NR/2 wide when at most NR/2 columns are left),
/// each `kcBlock × NR` floats apart.
public struct PackedMatrix {
  /// Rows of op(B), the products' inner size.
  public let k: Int
  /// Columns of op(B), the products' output width.
  public let n: Int
  /// NR-column panels across N.
  let panelCount: Int
  let storage: TensorStorage

  /// Packs op(B): `b` is K×N row-major with leading dimension `ldb`, or N×K when `transposeB`
  /// (a `[V, D]` embedding table used as `x·Eᵀ`, for instance).
  public init(_ b: UnsafePointer<Float>, k: Int, n: Int, ldb: Int, transposeB: Bool) {
    kernelPrecondition(
      k >= 0 && n >= 0 && ldb >= (transposeB ? k : n),
      "PackedMatrix: \(k)×\(n) with leading dimension \(ldb)")
    let nr = GEMM.nr
    self.k = k
    self.n = n
    panelCount = (n + nr - 1) / nr
    storage = TensorStorage(count: max(1, k * panelCount * nr), zeroed: false)
    var pc = 0
    while pc < k {
      let depth = min(GEMM.kc, k - pc)
      for panel in 0..<panelCount {
        let column = panel * nr
        Packing.packB(
          b, ldb: ldb, transposeB: transposeB, row: pc, depth: depth, column: column,
          width: min(nr, n - column),
          into: storage.pointer + pc * panelCount * nr + panel * depth * nr)
      }
      pc += depth
    }
  }

  /// The operand as `GEMM` reads it.
  /// The identity of the packed copy: equal for copies of one `PackedMatrix`, different for
  /// every packing (what a cache of packed weights is checked by).
  public var storageIdentity: ObjectIdentifier { ObjectIdentifier(storage) }

  var panels: PackedPanels {
    PackedPanels(base: storage.pointer, panelCount: panelCount, firstPanel: 0)
  }
}

/// `C = alpha · op(A) · B` (+ C when `accumulate`) (+ bias) (clamped at 0 when `relu`) with B
/// packed beforehand.
///
/// - Parameters:
///   - a: M×K row-major with leading dimension `lda`, or K×M when `transposeA`; K is `b.k`.
///   - b: op(B), K×N.
///   - c: M×N row-major with leading dimension `ldc`.
///   - bias: N values added to every row of C after the product, or nil.
///   - relu: whether C is then clamped at 0.
public func gemm(
  m: Int, a: UnsafePointer<Float>, lda: Int, transposeA: Bool, b: PackedMatrix,
  c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float = 1, accumulate: Bool = false,
  bias: UnsafePointer<Float>? = nil, relu: Bool = false
) {
  kernelPrecondition(m >= 0, "gemm: negative size")
  guard m > 0, b.n > 0 else { return }
  // b and ldb are never read: the panels stand in for them.
  withExtendedLifetime(b.storage) {
    let problem = GEMMProblem(
      m: m, n: b.n, k: b.k, a: a, lda: lda, transposeA: transposeA,
      b: UnsafePointer(b.storage.pointer), ldb: b.n, transposeB: false, c: c, ldc: ldc,
      alpha: alpha, accumulate: accumulate, packedB: b.panels, bias: bias, relu: relu)
    GEMM.run(problem, batch: 1, strideA: 0, strideB: 0, strideC: 0)
  }
}
