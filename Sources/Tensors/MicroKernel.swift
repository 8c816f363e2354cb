/// The register-tiled inner kernel of `GEMM`: a 6×16 (or, at a narrow right edge, 6×8) block of C
/// from packed panels of A and B.
///
/// Six `SIMD16<Float>` accumulators (twelve 256-bit registers on AVX2) hold the tile; each step
/// of the depth loop loads one 16-wide row of the B panel, broadcasts six elements of the A
/// panel and issues twelve fused multiply-adds. With the accumulators, two B halves and a
/// broadcast that is 15 of the 16 vector registers, so nothing spills. The 6×8 form serves
/// panels at most 8 wide, so a width of 24 (attention over 24 tokens) wastes no lanes.
enum MicroKernel {
  static let rows = 6
  static let columns = 16
  static let narrowColumns = 8

  /// `C[0..<height, 0..<width] (+)= alpha · Apanel · Bpanel`.
  ///
  /// - Parameters:
  ///   - a: packed A panel, `depth × 6` (column `q` of the 6 rows stored at `a + 6q`).
  ///   - b: packed B panel, `depth × 16`, or `depth × 8` when `width <= 8`.
  ///   - c: the tile's top-left element in C, rows `ldc` apart.
  @inline(__always)
  static func run(
    depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
    c: UnsafeMutablePointer<Float>, ldc: Int, height: Int, width: Int,
    alpha: Float, accumulate: Bool
  ) {
    if width > narrowColumns {
      tile(
        SIMD16<Float>.self, depth: depth, a: a, b: b, c: c, ldc: ldc, height: height,
        width: width, alpha: alpha, accumulate: accumulate)
    } else {
      tile(
        SIMD8<Float>.self, depth: depth, a: a, b: b, c: c, ldc: ldc, height: height,
        width: width, alpha: alpha, accumulate: accumulate)
    }
  }

  /// The panel width `packB` must use for a panel whose real width is `width`.
  @inline(__always)
  static func panelWidth(_ width: Int) -> Int { width > narrowColumns ? columns : narrowColumns }

  @inline(__always)
  private static func tile<Vector: SIMD>(
    _: Vector.Type, depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
    c: UnsafeMutablePointer<Float>, ldc: Int, height: Int, width: Int,
    alpha: Float, accumulate: Bool
  ) where Vector.Scalar == Float {
    var c0 = Vector(), c1 = Vector(), c2 = Vector()
    var c3 = Vector(), c4 = Vector(), c5 = Vector()
    var ap = a
    var bp = UnsafeRawPointer(b)
    for _ in 0..<depth {
      let bv = bp.load(as: Vector.self)
      c0.addProduct(Vector(repeating: ap[0]), bv)
      c1.addProduct(Vector(repeating: ap[1]), bv)
      c2.addProduct(Vector(repeating: ap[2]), bv)
      c3.addProduct(Vector(repeating: ap[3]), bv)
      c4.addProduct(Vector(repeating: ap[4]), bv)
      c5.addProduct(Vector(repeating: ap[5]), bv)
      ap += 6
      bp += MemoryLayout<Vector>.stride
    }
    if height == rows && width == Vector.scalarCount {
      store(c0, c, alpha, accumulate)
      store(c1, c + ldc, alpha, accumulate)
      store(c2, c + 2 * ldc, alpha, accumulate)
      store(c3, c + 3 * ldc, alpha, accumulate)
      store(c4, c + 4 * ldc, alpha, accumulate)
      store(c5, c + 5 * ldc, alpha, accumulate)
      return
    }
    // An edge tile: the padded lanes hold products with packed zeros; write only the real ones.
    withUnsafeTemporaryAllocation(of: Vector.self, capacity: rows) { tile in
      tile[0] = c0 * alpha
      tile[1] = c1 * alpha
      tile[2] = c2 * alpha
      tile[3] = c3 * alpha
      tile[4] = c4 * alpha
      tile[5] = c5 * alpha
      for r in 0..<height {
        let row = c + r * ldc
        let values = tile[r]
        if accumulate {
          for j in 0..<width { row[j] += values[j] }
        } else {
          for j in 0..<width { row[j] = values[j] }
        }
      }
    }
  }

  @inline(__always)
  private static func store<Vector: SIMD>(
    _ value: Vector, _ destination: UnsafeMutablePointer<Float>, _ alpha: Float,
    _ accumulate: Bool
  ) where Vector.Scalar == Float {
    let raw = UnsafeMutableRawPointer(destination)
    var result = value * alpha
    if accumulate { result += raw.loadUnaligned(as: Vector.self) }
    raw.storeBytes(of: result, as: Vector.self)
  }
}
