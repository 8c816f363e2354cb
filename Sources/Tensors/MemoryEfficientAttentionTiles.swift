// The building blocks of the memory-efficient attention kernels: a register-tiled product of
// small row-major tiles, copies into zero-padded tiles, per-thread scratch.
//
// Why not the GEMM: `gemm` packs both operands into panels and may split work among threads;
// for one 32×64 by 64×64 tile product the packing costs as much as the product, and the
// attention kernels already own one thread each. The 6×16 and 4×16 register tiles below need
// no packing: the A operand is read in place (rows or, transposed, columns of a tile) and B
// rows are contiguous.

/// The small dense products and copies the attention tiles are made of.
enum AttentionTile {
  /// Keys per tile in the forward and the query-gradient pass; queries per tile in the
  /// key/value-gradient pass. A multiple of 16.
  static let keys = 64
  /// Queries per tile in the forward and the query-gradient pass. A multiple of 4.
  static let queries = 32

  /// `c[rows, columns] (+)= a[rows, depth] · b[depth, columns]`, all row-major with the given
  /// row strides; `rows` a multiple of 4, `columns` of 16.
  ///
  /// Six rows × 16 columns of C live in six SIMD16 registers (twelve of the sixteen on AVX2,
  /// as `MicroKernel`), leaving room for the B row and a broadcast; each depth step loads one B
  /// row and issues twelve FMAs, enough independent chains to hide the FMA latency. Rows are
  /// taken six at a time while the rest stays a multiple of 4, then four at a time. Each
  /// element of C is one FMA chain over the depth in order, starting from 0 or from C.
  @inline(__always)
  static func product(
    _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, rows: Int, depth: Int, columns: Int,
    accumulate: Bool
  ) {
    let sixes = rows / 12 * 12
    var r = 0
    while r < sixes {
      block6(
        a + r * lda, rowStride: lda, depthStride: 1, b, ldb, c + r * ldc, ldc, depth: depth,
        columns: columns, accumulate: accumulate)
      r += 6
    }
    while r < rows {
      block4(
        a + r * lda, rowStride: lda, depthStride: 1, b, ldb, c + r * ldc, ldc, depth: depth,
        columns: columns, accumulate: accumulate)
      r += 4
    }
  }

  /// `c[rows, columns] += aᵀ[rows, depth] · b[depth, columns]` where `a` is stored
  /// `[depth, rows]` row-major (stride `lda`): the product of a transposed tile without
  /// transposing it, with the register tiles of `product`. `rows` a multiple of 4, `columns`
  /// of 16. Each element of C is one FMA chain over the depth in order, starting from C.
  @inline(__always)
  static func productTransposedA(
    _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, rows: Int, depth: Int, columns: Int
  ) {
    let sixes = rows / 12 * 12
    var r = 0
    while r < sixes {
      block6(
        a + r, rowStride: 1, depthStride: lda, b, ldb, c + r * ldc, ldc, depth: depth,
        columns: columns, accumulate: true)
      r += 6
    }
    while r < rows {
      block4(
        a + r, rowStride: 1, depthStride: lda, b, ldb, c + r * ldc, ldc, depth: depth,
        columns: columns, accumulate: true)
      r += 4
    }
  }

  /// Six rows of C: element (i, d) of A is at `a + i·rowStride + d·depthStride`.
  @inline(__always)
  private static func block6(
    _ a: UnsafePointer<Float>, rowStride: Int, depthStride: Int, _ b: UnsafePointer<Float>,
    _ ldb: Int, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, depth: Int, columns: Int,
    accumulate: Bool
  ) {
    var j = 0
    while j < columns {
      var s0 = SIMD16<Float>()
      var s1 = SIMD16<Float>()
      var s2 = SIMD16<Float>()
      var s3 = SIMD16<Float>()
      var s4 = SIMD16<Float>()
      var s5 = SIMD16<Float>()
      if accumulate {
        s0 = VectorMath.load(c, j)
        s1 = VectorMath.load(c + ldc, j)
        s2 = VectorMath.load(c + 2 * ldc, j)
        s3 = VectorMath.load(c + 3 * ldc, j)
        s4 = VectorMath.load(c + 4 * ldc, j)
        s5 = VectorMath.load(c + 5 * ldc, j)
      }
      var row = b + j
      var column = a
      for _ in 0..<depth {
        let bv = VectorMath.load(row, 0)
        s0 = s0.addingProduct(SIMD16(repeating: column[0]), bv)
        s1 = s1.addingProduct(SIMD16(repeating: column[rowStride]), bv)
        s2 = s2.addingProduct(SIMD16(repeating: column[2 * rowStride]), bv)
        s3 = s3.addingProduct(SIMD16(repeating: column[3 * rowStride]), bv)
        s4 = s4.addingProduct(SIMD16(repeating: column[4 * rowStride]), bv)
        s5 = s5.addingProduct(SIMD16(repeating: column[5 * rowStride]), bv)
        row += ldb
        column += depthStride
      }
      VectorMath.store(s0, c, j)
      VectorMath.store(s1, c + ldc, j)
      VectorMath.store(s2, c + 2 * ldc, j)
      VectorMath.store(s3, c + 3 * ldc, j)
      VectorMath.store(s4, c + 4 * ldc, j)
      VectorMath.store(s5, c + 5 * ldc, j)
      j += 16
    }
  }

  /// Four rows of C, as `block6`.
  @inline(__always)
  private static func block4(
    _ a: UnsafePointer<Float>, rowStride: Int, depthStride: Int, _ b: UnsafePointer<Float>,
    _ ldb: Int, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, depth: Int, columns: Int,
    accumulate: Bool
  ) {
    var j = 0
    while j < columns {
      var s0 = SIMD16<Float>()
      var s1 = SIMD16<Float>()
      var s2 = SIMD16<Float>()
      var s3 = SIMD16<Float>()
      if accumulate {
        s0 = VectorMath.load(c, j)
        s1 = VectorMath.load(c + ldc, j)
        s2 = VectorMath.load(c + 2 * ldc, j)
        s3 = VectorMath.load(c + 3 * ldc, j)
      }
      var row = b + j
      var column = a
      for _ in 0..<depth {
        let bv = VectorMath.load(row, 0)
        s0 = s0.addingProduct(SIMD16(repeating: column[0]), bv)
        s1 = s1.addingProduct(SIMD16(repeating: column[rowStride]), bv)
        s2 = s2.addingProduct(SIMD16(repeating: column[2 * rowStride]), bv)
        s3 = s3.addingProduct(SIMD16(repeating: column[3 * rowStride]), bv)
        row += ldb
        column += depthStride
      }
      VectorMath.store(s0, c, j)
      VectorMath.store(s1, c + ldc, j)
      VectorMath.store(s2, c + 2 * ldc, j)
      VectorMath.store(s3, c + 3 * ldc, j)
      j += 16
    }
  }

  /// Copies `rows` rows of `width` floats (stride `width` at the source) into `destination`
  /// with stride `ldd`, zero-filling columns `width..<ldd` and rows `rows..<paddedRows`.
  @inline(__always)
  static func copyRows(
    _ source: UnsafePointer<Float>, rows: Int, width: Int,
    into destination: UnsafeMutablePointer<Float>,
    ldd: Int, paddedRows: Int
  ) {
    for r in 0..<rows {
      (destination + r * ldd).update(from: source + r * width, count: width)
      if ldd > width { (destination + r * ldd + width).update(repeating: 0, count: ldd - width) }
    }
    if paddedRows > rows {
      (destination + rows * ldd).update(repeating: 0, count: (paddedRows - rows) * ldd)
    }
  }

  /// Writes the transpose of `rows` rows of `width` floats: `destination[k, r] = source[r, k]`
  /// with stride `ldd` (≥ rows), zero-filling columns `rows..<paddedRows` and rows
  /// `width..<paddedWidth`.
  @inline(__always)
  static func copyTransposed(
    _ source: UnsafePointer<Float>, rows: Int, width: Int,
    into destination: UnsafeMutablePointer<Float>,
    ldd: Int, paddedRows: Int, paddedWidth: Int
  ) {
    for k in 0..<width {
      let out = destination + k * ldd
      for r in 0..<rows { out[r] = source[r * width + k] }
      if paddedRows > rows { (out + rows).update(repeating: 0, count: paddedRows - rows) }
    }
    for k in width..<paddedWidth {
      (destination + k * ldd).update(repeating: 0, count: paddedRows)
    }
  }

  /// Rounds `x` up to a multiple of `multiple`.
  @inline(__always)
  static func roundUp(_ x: Int, _ multiple: Int) -> Int { (x + multiple - 1) / multiple * multiple }
}

/// Floats for a thread's tiles, zeroed, freed by `deallocate`.
struct AttentionScratch {
  let base: UnsafeMutablePointer<Float>
  private var used = 0
  private let capacity: Int

  init(capacity: Int) {
    self.capacity = capacity
    base = .allocate(capacity: capacity)
    base.initialize(repeating: 0, count: capacity)
  }

  /// The next `count` floats.
  mutating func take(_ count: Int) -> UnsafeMutablePointer<Float> {
    kernelPrecondition(used + count <= capacity, "AttentionScratch: out of space")
    defer { used += count }
    return base + used
  }

  func deallocate() { base.deallocate() }
}

/// Calls `body` with pointers to the elements of each optional array (nil for nil).
@inline(__always)
func withOptionalPointers<R>(
  _ a: [Float]?, _ b: [Float]?, _ body: (UnsafePointer<Float>?, UnsafePointer<Float>?) -> R
) -> R {
  (a ?? []).withUnsafeBufferPointer { pa in
    (b ?? []).withUnsafeBufferPointer { pb in
      body(a == nil ? nil : pa.baseAddress, b == nil ? nil : pb.baseAddress)
    }
  }
}
