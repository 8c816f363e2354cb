// The building blocks of the memory-efficient attention kernels: a register-tiled product of
// small row-major tiles, copies into zero-padded tiles, per-thread scratch.
//
// Why not the GEMM: `gemm` packs both operands into panels and may split work among threads;
// for one 32×64 by 64×64 tile product the packing costs as much as the product, and the
// attention kernels already own one thread each. The 4×16 register tile below runs at the
// same speed as the blocked GEMM on 256×256 matrices (about 27 GFLOPS on one AVX2 core,
// measured), with no packing: its A operand is read in place and B rows are contiguous.

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
  /// Four rows × 16 columns of C live in four SIMD16 registers (eight on AVX2, leaving room for
  /// the B row and a broadcast); each depth step loads one B row and issues four FMAs.
  @inline(__always)
  static func product(
    _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, rows: Int, depth: Int, columns: Int,
    accumulate: Bool
  ) {
    var r = 0
    while r < rows {
      let (a0, a1, a2, a3) = (a + r * lda, a + (r + 1) * lda, a + (r + 2) * lda, a + (r + 3) * lda)
      let (c0, c1, c2, c3) = (c + r * ldc, c + (r + 1) * ldc, c + (r + 2) * ldc, c + (r + 3) * ldc)
      var j = 0
      while j < columns {
        var s0 = SIMD16<Float>()
        var s1 = SIMD16<Float>()
        var s2 = SIMD16<Float>()
        var s3 = SIMD16<Float>()
        if accumulate {
          s0 = VectorMath.load(c0, j)
          s1 = VectorMath.load(c1, j)
          s2 = VectorMath.load(c2, j)
          s3 = VectorMath.load(c3, j)
        }
        var row = b + j
        for d in 0..<depth {
          let bv = VectorMath.load(row, 0)
          s0 = s0.addingProduct(SIMD16(repeating: a0[d]), bv)
          s1 = s1.addingProduct(SIMD16(repeating: a1[d]), bv)
          s2 = s2.addingProduct(SIMD16(repeating: a2[d]), bv)
          s3 = s3.addingProduct(SIMD16(repeating: a3[d]), bv)
          row += ldb
        }
        VectorMath.store(s0, c0, j)
        VectorMath.store(s1, c1, j)
        VectorMath.store(s2, c2, j)
        VectorMath.store(s3, c3, j)
        j += 16
      }
      r += 4
    }
  }

  /// `c[rows, columns] += aᵀ[rows, depth] · b[depth, columns]` where `a` is stored
  /// `[depth, rows]` row-major (stride `lda`): the product of a transposed tile without
  /// transposing it. `rows` a multiple of 4, `columns` of 16.
  ///
  /// The same 4×16 register tile as `product`; the four broadcasts of a depth step are now
  /// adjacent floats of one row of `a`. Each element of C is one FMA chain over the depth in
  /// order, starting from the value in C, exactly as `product` with `accumulate`.
  @inline(__always)
  static func productTransposedA(
    _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, rows: Int, depth: Int, columns: Int
  ) {
    var r = 0
    while r < rows {
      let (c0, c1, c2, c3) = (c + r * ldc, c + (r + 1) * ldc, c + (r + 2) * ldc, c + (r + 3) * ldc)
      var j = 0
      while j < columns {
        var s0 = VectorMath.load(c0, j)
        var s1 = VectorMath.load(c1, j)
        var s2 = VectorMath.load(c2, j)
        var s3 = VectorMath.load(c3, j)
        var row = b + j
        var column = a + r
        for _ in 0..<depth {
          let bv = VectorMath.load(row, 0)
          s0 = s0.addingProduct(SIMD16(repeating: column[0]), bv)
          s1 = s1.addingProduct(SIMD16(repeating: column[1]), bv)
          s2 = s2.addingProduct(SIMD16(repeating: column[2]), bv)
          s3 = s3.addingProduct(SIMD16(repeating: column[3]), bv)
          row += ldb
          column += lda
        }
        VectorMath.store(s0, c0, j)
        VectorMath.store(s1, c1, j)
        VectorMath.store(s2, c2, j)
        VectorMath.store(s3, c3, j)
        j += 16
      }
      r += 4
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
