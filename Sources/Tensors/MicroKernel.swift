/// The register-tiled inner kernel of `GEMM`: a 6×NR (or, at a narrow right edge, 6×NR/2) block
/// of C from packed panels of A and B.
///
/// Each step of the depth loop loads one NR-wide row of the B panel, broadcasts six elements of
/// the A panel and issues six vector multiply-adds, into six accumulators that hold the tile.
/// A core with two FMA pipes of latency 4 needs at least eight independent FMAs in flight, so the
/// tile must span at least eight vector registers. The width is chosen when the package is built
/// (Package.swift), for the machine `-target-cpu native` compiles for (a build for a named
/// processor, `TRANSFORMER_TARGET_CPU`, takes the 6×16 tile unless told otherwise):
///
/// - AVX2 (the default): NR = 16. A `SIMD16<Float>` is two 256-bit registers, so the six
///   accumulators are twelve registers; with two B halves and a broadcast that is 15 of the 16
///   vector registers, and nothing spills.
/// - AVX-512 with full-width FMA units (`-D GEMM_WIDE_TILE`, defined when the build machine's
///   /proc/cpuinfo lists `avx512f` and it is not a Zen 4, which splits each 512-bit FMA in two
///   and takes the 6×16 tile; see Package.swift): NR = 32, each row held as two
///   `SIMD16<Float>` halves, each one 512-bit register: twelve accumulators of the 32
///   registers, twelve FMAs in flight per step, twice the arithmetic per load of A. (A 6×16 tile there would be six 512-bit accumulators, fewer
///   than the eight in flight two pipes need.) The row is not one `SIMD32<Float>`: Swift 6.3
///   builds that type's multiply-add lane by lane through the stack (0.4 GFLOPS measured on a
///   Zen 4), while a `SIMD16<Float>` multiply-add is one `vfmadd231ps`.
///
/// The narrow form serves panels at most NR/2 wide, so a width of 24 (attention over 24 tokens)
/// wastes no lanes with NR = 16. The choice changes only the tile's shape, never the
/// instructions: those come from `-target-cpu`, so forcing the wide tile on an AVX2 machine
/// (`TRANSFORMER_GEMM_TILE=wide swift build …`) is slower but computes the same products, which
/// is how its packing and edge handling are tested there.
enum MicroKernel {
  #if GEMM_WIDE_TILE
    /// One row of a narrow edge tile, and half a row of the tile.
    typealias Narrow = SIMD16<Float>
  #else
    /// One row of the tile.
    typealias Wide = SIMD16<Float>
    /// One row of a narrow edge tile.
    typealias Narrow = SIMD8<Float>
  #endif
  static let rows = 6
  static let columns = 2 * Narrow.scalarCount
  static let narrowColumns = Narrow.scalarCount

  /// `C[0..<height, 0..<width] (+)= alpha · Apanel · Bpanel`.
  ///
  /// - Parameters:
  ///   - a: packed A panel, `depth × 6` (column `q` of the 6 rows stored at `a + 6q`).
  ///   - b: packed B panel, `depth × columns`, or `depth × narrowColumns` when
  ///     `width <= narrowColumns`.
  ///   - c: the tile's top-left element in C, rows `ldc` apart.
  ///   - epilogue: the bias (from the tile's first column) and clamp applied as C is stored.
  @inline(__always)
  static func run(
    depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
    c: UnsafeMutablePointer<Float>, ldc: Int, height: Int, width: Int,
    alpha: Float, accumulate: Bool, epilogue: Epilogue = Epilogue()
  ) {
    if width > narrowColumns {
      #if GEMM_WIDE_TILE
        pairedTile(
          depth: depth, a: a, b: b, c: c, ldc: ldc, height: height, width: width,
          alpha: alpha, accumulate: accumulate, epilogue)
      #else
        tile(
          Wide.self, depth: depth, a: a, b: b, c: c, ldc: ldc, height: height,
          width: width, alpha: alpha, accumulate: accumulate, epilogue)
      #endif
    } else {
      tile(
        Narrow.self, depth: depth, a: a, b: b, c: c, ldc: ldc, height: height,
        width: width, alpha: alpha, accumulate: accumulate, epilogue)
    }
  }

  /// The panel width `packB` must use for a panel whose real width is `width`.
  @inline(__always)
  static func panelWidth(_ width: Int) -> Int { width > narrowColumns ? columns : narrowColumns }

  /// Copies one depth step of a full-width panel (`columns` floats) from `source` (any
  /// alignment) into a packed panel.
  @inline(__always)
  static func copyPanelRow(from source: UnsafeRawPointer, to target: UnsafeMutableRawPointer) {
    let half = MemoryLayout<Narrow>.stride
    target.storeBytes(of: source.loadUnaligned(as: Narrow.self), as: Narrow.self)
    target.storeBytes(
      of: source.loadUnaligned(fromByteOffset: half, as: Narrow.self), toByteOffset: half,
      as: Narrow.self)
  }

  #if GEMM_WIDE_TILE
    /// The 6×32 tile as twelve 512-bit accumulators: row r's columns 0–15 in `cr0`, 16–31 in
    /// `cr1`.
    @inline(__always)
    private static func pairedTile(
      depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
      c: UnsafeMutablePointer<Float>, ldc: Int, height: Int, width: Int,
      alpha: Float, accumulate: Bool, _ e: Epilogue
    ) {
      typealias V = Narrow
      let half = MemoryLayout<V>.stride
      var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V()
      var c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V()
      var ap = a
      var bp = UnsafeRawPointer(b)
      for _ in 0..<depth {
        let b0 = bp.load(as: V.self)
        let b1 = bp.load(fromByteOffset: half, as: V.self)
        let a0 = V(repeating: ap[0]), a1 = V(repeating: ap[1]), a2 = V(repeating: ap[2])
        c00.addProduct(a0, b0); c01.addProduct(a0, b1)
        c10.addProduct(a1, b0); c11.addProduct(a1, b1)
        c20.addProduct(a2, b0); c21.addProduct(a2, b1)
        let a3 = V(repeating: ap[3]), a4 = V(repeating: ap[4]), a5 = V(repeating: ap[5])
        c30.addProduct(a3, b0); c31.addProduct(a3, b1)
        c40.addProduct(a4, b0); c41.addProduct(a4, b1)
        c50.addProduct(a5, b0); c51.addProduct(a5, b1)
        ap += 6
        bp += 2 * half
      }
      let n = V.scalarCount
      if height == rows && width == columns {
        store(c00, c, alpha, accumulate, e, 0); store(c01, c + n, alpha, accumulate, e, n)
        store(c10, c + ldc, alpha, accumulate, e, 0)
        store(c11, c + ldc + n, alpha, accumulate, e, n)
        store(c20, c + 2 * ldc, alpha, accumulate, e, 0)
        store(c21, c + 2 * ldc + n, alpha, accumulate, e, n)
        store(c30, c + 3 * ldc, alpha, accumulate, e, 0)
        store(c31, c + 3 * ldc + n, alpha, accumulate, e, n)
        store(c40, c + 4 * ldc, alpha, accumulate, e, 0)
        store(c41, c + 4 * ldc + n, alpha, accumulate, e, n)
        store(c50, c + 5 * ldc, alpha, accumulate, e, 0)
        store(c51, c + 5 * ldc + n, alpha, accumulate, e, n)
        return
      }
      // An edge tile: the padded lanes hold products with packed zeros; write only the real
      // ones.
      if height > 0 { storeEdge(c00, c01, c, width, alpha, accumulate, e) }
      if height > 1 { storeEdge(c10, c11, c + ldc, width, alpha, accumulate, e) }
      if height > 2 { storeEdge(c20, c21, c + 2 * ldc, width, alpha, accumulate, e) }
      if height > 3 { storeEdge(c30, c31, c + 3 * ldc, width, alpha, accumulate, e) }
      if height > 4 { storeEdge(c40, c41, c + 4 * ldc, width, alpha, accumulate, e) }
      if height > 5 { storeEdge(c50, c51, c + 5 * ldc, width, alpha, accumulate, e) }
    }

    /// The first `width` columns of one row of the paired tile. The first half is whole when
    /// the tile is at least 16 wide (attention over 24 tokens), so only the rest goes lane by
    /// lane.
    @inline(__always)
    private static func storeEdge(
      _ first: Narrow, _ second: Narrow, _ row: UnsafeMutablePointer<Float>, _ width: Int,
      _ alpha: Float, _ accumulate: Bool, _ e: Epilogue
    ) {
      let n = Narrow.scalarCount
      var values = first * alpha
      var start = 0
      if width >= n {
        store(first, row, alpha, accumulate, e, 0)
        values = second * alpha
        start = n
      }
      for j in start..<width {
        row[j] = e.apply(accumulate ? row[j] + values[j - start] : values[j - start], j)
      }
    }
  #endif

  @inline(__always)
  private static func tile<Vector: TileVector>(
    _: Vector.Type, depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
    c: UnsafeMutablePointer<Float>, ldc: Int, height: Int, width: Int,
    alpha: Float, accumulate: Bool, _ e: Epilogue
  ) {
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
      store(c0, c, alpha, accumulate, e, 0)
      store(c1, c + ldc, alpha, accumulate, e, 0)
      store(c2, c + 2 * ldc, alpha, accumulate, e, 0)
      store(c3, c + 3 * ldc, alpha, accumulate, e, 0)
      store(c4, c + 4 * ldc, alpha, accumulate, e, 0)
      store(c5, c + 5 * ldc, alpha, accumulate, e, 0)
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
        for j in 0..<width { row[j] = e.apply(accumulate ? row[j] + values[j] : values[j], j) }
      }
    }
  }

  /// Stores one row of a tile: `alpha·value` (+ what C holds), then the epilogue on columns
  /// `offset ..< offset + Vector.scalarCount` of the tile.
  @inline(__always)
  private static func store<Vector: TileVector>(
    _ value: Vector, _ destination: UnsafeMutablePointer<Float>, _ alpha: Float,
    _ accumulate: Bool, _ e: Epilogue, _ offset: Int
  ) {
    let raw = UnsafeMutableRawPointer(destination)
    var result = value * alpha
    if accumulate { result += raw.loadUnaligned(as: Vector.self) }
    if let bias = e.bias {
      result += UnsafeRawPointer(bias + offset).loadUnaligned(as: Vector.self)
    }
    if e.relu { result = result.clampedAtZero() }
    raw.storeBytes(of: result, as: Vector.self)
  }

  /// What is done to a tile's sums as they are stored: the bias added, then the clamp at 0
  /// (`biasReLUForward`'s order, so the same numbers as that pass after the product).
  struct Epilogue {
    /// The tile's first column of the bias, or nil.
    var bias: UnsafePointer<Float>? = nil
    var relu = false

    /// One stored value of column `column` of the tile.
    @inline(__always)
    func apply(_ value: Float, _ column: Int) -> Float {
      var result = value
      if let bias { result += bias[column] }
      return relu && result < 0 ? 0 : result
    }
  }
}

/// The vector types of the micro-kernel's rows, with the clamp at 0 written for each concrete
/// type: on a generic `SIMD` the mask operations compile lane by lane.
protocol TileVector: SIMD where Scalar == Float {
  /// `max(x, 0)` lane-wise as `reluForward` computes it (−0 and NaN kept).
  func clampedAtZero() -> Self
}

extension SIMD8: TileVector where Scalar == Float {
  @inline(__always)
  func clampedAtZero() -> Self { replacing(with: 0, where: self .< 0) }
}

extension SIMD16: TileVector where Scalar == Float {
  @inline(__always)
  func clampedAtZero() -> Self { replacing(with: 0, where: self .< 0) }
}
