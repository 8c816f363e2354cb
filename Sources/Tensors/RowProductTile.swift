/// The register-blocked inner loop of `rowProduct`: 1, 2 or 4 rows of `y = x·W` over a range of
/// output columns, the outputs held in four 16-lane accumulators while the rows of W stream
/// past.
///
/// The old loop added each row of W into the output rows in memory: a load and a store of the
/// output per 16 weights besides the weights' own load. Holding 64 columns of one row (32 of
/// two, 16 of four) in registers across the whole depth leaves one load of W and one multiply–
/// add per 16 weights, with four independent sums in flight. The sums are written
/// `acc + x·w` (a rounded product, then a rounded sum), as the old loop did: every output is
/// bit-identical to it.
enum RowProductTile {
  /// Columns `from..<to` of `rows` (1, 2 or 4) rows: `y[r, j] = Σ_p x[r, p]·w[p, j]`.
  ///
  /// - Parameters:
  ///   - x: the first row, `[rows, inner]`.
  ///   - w: `[inner, columns]`.
  ///   - y: the first row, `[rows, columns]`.
  @inline(__always)
  static func run(
    _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
    rows: Int, inner: Int, columns: Int, from start: Int, to end: Int
  ) {
    // Each step of `j` covers 64/rows columns with the four accumulators.
    let width = 64 / rows
    var j = start
    while j + width <= end {
      switch rows {
      case 4: four(x, w, y, inner: inner, columns: columns, at: j)
      case 2: two(x, w, y, inner: inner, columns: columns, at: j)
      default: one(x, w, y, inner: inner, columns: columns, at: j)
      }
      j += width
    }
    // What is left (fewer than `width` columns): 16 columns of one row at a time, then lanes.
    for r in 0..<rows {
      let (a, out) = (x + r * inner, y + r * columns)
      var k = j
      while k + 16 <= end {
        var sum = SIMD16<Float>()
        for p in 0..<inner { sum += a[p] * VectorMath.load(w, p * columns + k) }
        VectorMath.store(sum, out, k)
        k += 16
      }
      while k < end {
        var sum: Float = 0
        for p in 0..<inner { sum += a[p] * w[p * columns + k] }
        out[k] = sum
        k += 1
      }
    }
  }

  /// One row, 64 columns at `j`.
  @inline(__always)
  private static func one(
    _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
    inner: Int, columns: Int, at j: Int
  ) {
    var (c0, c1, c2, c3) = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
    var row = w + j
    for p in 0..<inner {
      let a = x[p]
      c0 += a * VectorMath.load(row, 0)
      c1 += a * VectorMath.load(row, 16)
      c2 += a * VectorMath.load(row, 32)
      c3 += a * VectorMath.load(row, 48)
      row += columns
    }
    VectorMath.store(c0, y, j)
    VectorMath.store(c1, y, j + 16)
    VectorMath.store(c2, y, j + 32)
    VectorMath.store(c3, y, j + 48)
  }

  /// Two rows, 32 columns at `j`.
  @inline(__always)
  private static func two(
    _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
    inner: Int, columns: Int, at j: Int
  ) {
    var (c00, c01, c10, c11) = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
    var row = w + j
    for p in 0..<inner {
      let (w0, w1) = (VectorMath.load(row, 0), VectorMath.load(row, 16))
      let (a0, a1) = (x[p], x[inner + p])
      c00 += a0 * w0
      c01 += a0 * w1
      c10 += a1 * w0
      c11 += a1 * w1
      row += columns
    }
    VectorMath.store(c00, y, j)
    VectorMath.store(c01, y, j + 16)
    VectorMath.store(c10, y, columns + j)
    VectorMath.store(c11, y, columns + j + 16)
  }

  /// Four rows, 16 columns at `j`.
  @inline(__always)
  private static func four(
    _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
    inner: Int, columns: Int, at j: Int
  ) {
    var (c0, c1, c2, c3) = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
    var row = w + j
    for p in 0..<inner {
      let v = VectorMath.load(row, 0)
      c0 += x[p] * v
      c1 += x[inner + p] * v
      c2 += x[2 * inner + p] * v
      c3 += x[3 * inner + p] * v
      row += columns
    }
    VectorMath.store(c0, y, j)
    VectorMath.store(c1, y, columns + j)
    VectorMath.store(c2, y, 2 * columns + j)
    VectorMath.store(c3, y, 3 * columns + j)
  }
}
