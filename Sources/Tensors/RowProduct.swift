// Matrix products with a handful of rows (M ≤ `rowProductMaxRows`: one sentence, or one
// sentence's beam), as a decoding step of a small batch makes them, and the choice between them
// and the blocked GEMM for an inference step.
//
// Pointer level:
//   rowProduct(x, w, into: y, rows:, inner:, columns:)             y[M, N] = x[M, K]·W[K, N]
//   rowProductTransposed(x, e, into: y, rows:, inner:, columns:)   y[M, N] = x[M, K]·E[N, K]ᵀ
//   stepProduct(x, rows:, weight:, transposeWeight:, packed:, inner:, columns:, bias:, relu:,
//               into: y)                                        y[M, N] = x·W (+ b) (max 0)
// Tensor level: stepProduct(x, weight:, transposeWeight:, packed:, rowPanels:, bias:, relu:)
//   -> [M, N]
// Weights laid out for few rows beforehand: RowPanelMatrix.swift.
// Reference: gemmReference (Matmul.swift), checked on odd sizes in RowProductTests.
//
// With M this small a product reads every weight once and does M multiply–adds with it, so its
// speed is that of streaming the weights from memory. The blocked GEMM first packs the weights
// into panels, which doubles that traffic; these loops read each weight once, straight from its
// row, keeping the M output rows in L1. Threads split the output columns, so every element is
// summed in the same order whatever the thread count. Handing a share to the second thread costs
// about a microsecond (`WorkerPool`'s spinning workers), so even a [1, 256]·[256, 256] product
// is split, at one row, two cores stream the weights faster than one; but only while the
// workers answer at once (`WorkerResponsiveness`): on a machine busy with other work small
// products keep to one thread.

/// The most rows `stepProduct` sends to the row products; larger products go to the blocked
/// GEMM.
public let rowProductMaxRows = 8

/// `y[M, N] = x[M, K]·W[K, N]`, W row-major `[K, N]` (a `Linear` weight).
///
/// - Parameters:
///   - x: `[M, K]`.
///   - w: `[K, N]`.
///   - y: `[M, N]`, overwritten.
public func rowProduct(
  _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
  rows: Int, inner: Int, columns: Int
) {
  let started = MatmulTally.add(m: rows, n: columns, k: inner)
  defer { MatmulTally.finish(started, m: rows, n: columns, k: inner, kernel: .rowProduct) }
  // Threads own ranges of 64-column blocks; a thread walks its range in tiles of up to 512
  // columns, adding the rows of W into the tile's outputs in order, four rows of W at a time
  // with the outputs held in registers across the four. Every output is the same sum in the
  // same order as `y[r, j] += x[r, p]·W[p, j]` for p = 0, 1, …: the result does not depend on
  // the tiling or the thread count. A tile's outputs (≤ 8 rows × 512 columns, 16 KB) stay in
  // L1 while W streams through once, each row of the tile a contiguous run of up to 2 KB.
  let blocks = (columns + 63) / 64
  let minimumWork = rowProductMinimumWork(total: columns * inner * rows)
  parallelForRanges(
    blocks, minimumPerThread: Swift.max(1, minimumWork / Swift.max(1, 64 * inner * rows))
  ) { range in
    var tileStart = range.lowerBound * 64
    let rangeEnd = Swift.min(columns, range.upperBound * 64)
    while tileStart < rangeEnd {
      let tileEnd = Swift.min(rangeEnd, tileStart + 512)
      rowProductTile(x, w, into: y, rows: rows, inner: inner, columns: columns, tileStart..<tileEnd)
      tileStart = tileEnd
    }
  }
}

/// The fewest multiply–adds per thread for which a row product of `total` multiply–adds splits:
/// 8,192 (~32 KB of weights, a few microseconds against a hand-off of about one) while the
/// pool's workers answer at once; 262,144, the rule from before the spinning pool, while they
/// do not (see the file header). Work that splits under either rule does not ask, so that only
/// small products count towards the pool's probes.
func rowProductMinimumWork(total: Int, threads: Int = Parallel.threadCount) -> Int {
  let contended = 262_144
  guard threads > 1, total / threads < contended else { return 8192 }
  return WorkerPool.shared.responsiveness.splitsSmallWork() ? 8192 : contended
}

/// Columns `tile` of `rowProduct`.
@inline(__always)
private func rowProductTile(
  _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
  rows: Int, inner: Int, columns: Int, _ tile: Range<Int>
) {
  let (start, end) = (tile.lowerBound, tile.upperBound)
  let vectorEnd = start + (end - start) / 16 * 16
  for r in 0..<rows { (y + r * columns + start).update(repeating: 0, count: end - start) }
  var p = 0
  while p + 4 <= inner {
    let w0 = w + p * columns
    let (w1, w2, w3) = (w0 + columns, w0 + 2 * columns, w0 + 3 * columns)
    for r in 0..<rows {
      let a = x + r * inner + p
      let (a0, a1, a2, a3) = (a[0], a[1], a[2], a[3])
      let out = y + r * columns
      var j = start
      while j < vectorEnd {
        var sum = VectorMath.load(out, j)
        sum = sum + a0 * VectorMath.load(w0, j)
        sum = sum + a1 * VectorMath.load(w1, j)
        sum = sum + a2 * VectorMath.load(w2, j)
        sum = sum + a3 * VectorMath.load(w3, j)
        VectorMath.store(sum, out, j)
        j += 16
      }
      while j < end {
        var sum = out[j]
        sum = sum + a0 * w0[j]
        sum = sum + a1 * w1[j]
        sum = sum + a2 * w2[j]
        sum = sum + a3 * w3[j]
        out[j] = sum
        j += 1
      }
    }
    p += 4
  }
  while p < inner {
    let weights = w + p * columns
    for r in 0..<rows {
      let a = x[r * inner + p]
      let out = y + r * columns
      var j = start
      while j < vectorEnd {
        VectorMath.store(VectorMath.load(out, j) + a * VectorMath.load(weights, j), out, j)
        j += 16
      }
      while j < end {
        out[j] += a * weights[j]
        j += 1
      }
    }
    p += 1
  }
}

/// `y[M, N] = x[M, K]·E[N, K]ᵀ`, E row-major `[N, K]` (the tied embedding as the output
/// projection).
///
/// - Parameters:
///   - x: `[M, K]`.
///   - e: `[N, K]`.
///   - y: `[M, N]`, overwritten.
public func rowProductTransposed(
  _ x: UnsafePointer<Float>, _ e: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
  rows: Int, inner: Int, columns: Int
) {
  let started = MatmulTally.add(m: rows, n: columns, k: inner)
  defer {
    MatmulTally.finish(
      started, m: rows, n: columns, k: inner, transposeB: true, kernel: .rowProduct)
  }
  // Each task owns a range of output columns: one dot product of K per (row, column), in
  // SIMD16 lanes and then the tail. Eight columns go side by side, eight rows of E streaming
  // at once and eight independent sums hiding the latency of the additions; each is summed as
  // it would be alone, and the last few columns one at a time.
  let minimumWork = rowProductMinimumWork(total: columns * inner * rows)
  parallelForRanges(
    columns, minimumPerThread: Swift.max(1, minimumWork / Swift.max(1, inner * rows))
  ) { range in
    var n = range.lowerBound
    while n + 8 <= range.upperBound {
      let e0 = e + n * inner
      for r in 0..<rows {
        dotProducts(x + r * inner, e0, inner, into: y + r * columns + n)
      }
      n += 8
    }
    while n < range.upperBound {
      for r in 0..<rows { y[r * columns + n] = dotProduct(x + r * inner, e + n * inner, inner) }
      n += 1
    }
  }
}

/// `a·b` over `count` elements: SIMD16 lanes, their sum, then the tail. Cached decoding's
/// products and its one-query attention scores sum in this order.
@inline(__always)
func dotProduct(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int)
  -> Float
{
  let vectorEnd = count / 16 * 16
  var lanes = SIMD16<Float>()
  var i = 0
  while i < vectorEnd {
    lanes += VectorMath.load(a, i) * VectorMath.load(b, i)
    i += 16
  }
  var dot = lanes.sum()
  while i < count {
    dot += a[i] * b[i]
    i += 1
  }
  return dot
}

/// `a·b[0] … a·b[7]` for eight consecutive rows `b[i] = b + i·count`, into `out[0..<8]`, each
/// summed exactly as `dotProduct` sums it.
@inline(__always)
private func dotProducts(
  _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int,
  into out: UnsafeMutablePointer<Float>
) {
  let vectorEnd = count / 16 * 16
  var (l0, l1, l2, l3) = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
  var (l4, l5, l6, l7) = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
  let (b0, b1, b2, b3) = (b, b + count, b + 2 * count, b + 3 * count)
  let (b4, b5, b6, b7) = (b + 4 * count, b + 5 * count, b + 6 * count, b + 7 * count)
  var i = 0
  while i < vectorEnd {
    let v = VectorMath.load(a, i)
    l0 += v * VectorMath.load(b0, i)
    l1 += v * VectorMath.load(b1, i)
    l2 += v * VectorMath.load(b2, i)
    l3 += v * VectorMath.load(b3, i)
    l4 += v * VectorMath.load(b4, i)
    l5 += v * VectorMath.load(b5, i)
    l6 += v * VectorMath.load(b6, i)
    l7 += v * VectorMath.load(b7, i)
    i += 16
  }
  var (d0, d1, d2, d3) = (l0.sum(), l1.sum(), l2.sum(), l3.sum())
  var (d4, d5, d6, d7) = (l4.sum(), l5.sum(), l6.sum(), l7.sum())
  while i < count {
    d0 += a[i] * b0[i]
    d1 += a[i] * b1[i]
    d2 += a[i] * b2[i]
    d3 += a[i] * b3[i]
    d4 += a[i] * b4[i]
    d5 += a[i] * b5[i]
    d6 += a[i] * b6[i]
    d7 += a[i] * b7[i]
    i += 1
  }
  (out[0], out[1], out[2], out[3]) = (d0, d1, d2, d3)
  (out[4], out[5], out[6], out[7]) = (d4, d5, d6, d7)
}

/// The product of one inference step with a fixed weight: `y = x·W`, or `x·Wᵀ` when
/// `transposeWeight`, plus `bias` and clamped at 0 when `relu`. Up to `rowProductMaxRows` rows
/// take the row products, on `rowPanels` when the weight was laid out for them beforehand, and
/// the bias and clamp follow as one pass over the few rows; more take the blocked GEMM, on
/// `packed` when the weight was packed beforehand, which applies them as it stores y.
///
/// - Parameters:
///   - x: `[M, K]`.
///   - weight: `[K, N]`, or `[N, K]` when `transposeWeight`.
///   - packed: op(W) packed (`PackedMatrix`, K×N), or nil.
///   - rowPanels: op(W) in row panels (`RowPanelMatrix`, K×N), or nil.
///   - bias: `[N]`, or nil.
///   - y: `[M, N]`, overwritten.
public func stepProduct(
  _ x: UnsafePointer<Float>, rows: Int, weight: UnsafePointer<Float>, transposeWeight: Bool,
  packed: PackedMatrix?, rowPanels: RowPanelMatrix? = nil, inner: Int, columns: Int,
  bias: UnsafePointer<Float>? = nil, relu: Bool = false, into y: UnsafeMutablePointer<Float>
) {
  if rows <= rowProductMaxRows {
    if let rowPanels {
      kernelPrecondition(
        rowPanels.k == inner && rowPanels.n == columns,
        "stepProduct: row panels \(rowPanels.k)×\(rowPanels.n) for a \(inner)×\(columns) product")
      rowPanelProduct(x, rows: rows, rowPanels, into: y)
    } else if transposeWeight {
      rowProductTransposed(x, weight, into: y, rows: rows, inner: inner, columns: columns)
    } else {
      rowProduct(x, weight, into: y, rows: rows, inner: inner, columns: columns)
    }
    if let bias, relu {
      biasReLUForward(y, bias: bias, into: y, rows: rows, columns: columns)
    } else if let bias {
      vectorAddRowVector(y, bias, into: y, rows: rows, columns: columns)
    } else if relu {
      reluForward(y, into: y, count: rows * columns)
    }
  } else if let packed {
    kernelPrecondition(
      packed.k == inner && packed.n == columns,
      "stepProduct: packed \(packed.k)×\(packed.n) for a \(inner)×\(columns) product")
    gemm(
      m: rows, a: x, lda: inner, transposeA: false, b: packed, c: y, ldc: columns, bias: bias,
      relu: relu)
  } else {
    gemm(
      m: rows, n: columns, k: inner, a: x, lda: inner, transposeA: false, b: weight,
      ldb: transposeWeight ? inner : columns, transposeB: transposeWeight, c: y, ldc: columns,
      bias: bias, relu: relu)
  }
}

/// `x·W` (or `x·Wᵀ`) (+ bias) (clamped at 0 when `relu`) for the rows of an inference step; see
/// the pointer form.
///
/// - Parameters:
///   - x: `[M, K]`.
///   - weight: `[K, N]`, or `[N, K]` when `transposeWeight`.
///   - bias: `[N]`, or nil.
/// - Returns: `[M, N]`.
public func stepProduct(
  _ x: Tensor, weight: Tensor, transposeWeight: Bool = false, packed: PackedMatrix? = nil,
  rowPanels: RowPanelMatrix? = nil, bias: Tensor? = nil, relu: Bool = false
) -> Tensor {
  kernelPrecondition(
    x.rank == 2 && weight.rank == 2
      && x.shape[1] == weight.shape[transposeWeight ? 1 : 0],
    "stepProduct: x \(x.shape) does not fit weight \(weight.shape)"
      + (transposeWeight ? " transposed" : ""))
  let (rows, inner) = (x.shape[0], x.shape[1])
  let columns = weight.shape[transposeWeight ? 0 : 1]
  kernelPrecondition(
    bias == nil || bias!.shape == [columns],
    "stepProduct: bias \(bias?.shape ?? []) must be [\(columns)]")
  var y = Tensor(uninitializedShape: [rows, columns])
  guard rows > 0 else { return y }
  y.withUnsafeMutableBufferPointer { y in
    stepProduct(
      x.storage.pointer, rows: rows, weight: weight.storage.pointer,
      transposeWeight: transposeWeight, packed: packed, rowPanels: rowPanels, inner: inner,
      columns: columns, bias: bias?.storage.pointer, relu: relu, into: y.baseAddress!)
  }
  return y
}
