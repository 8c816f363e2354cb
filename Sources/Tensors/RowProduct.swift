// Matrix products with a handful of rows (M ≤ `rowProductMaxRows`: one sentence, or one
// sentence's beam), as a decoding step of a small batch makes them, and the choice between them
// and the blocked GEMM for an inference step.
//
// Pointer level:
//   rowProduct(x, w, into: y, rows:, inner:, columns:)             y[M, N] = x[M, K]·W[K, N]
//   rowProductTransposed(x, e, into: y, rows:, inner:, columns:)   y[M, N] = x[M, K]·E[N, K]ᵀ
//   stepProduct(x, rows:, weight:, transposeWeight:, packed:, inner:, columns:, into: y)
// Tensor level: stepProduct(x, weight:, transposeWeight:, packed:) -> [M, N]
// Reference: gemmReference (Matmul.swift), checked on odd sizes in RowProductTests.
//
// With M this small a product reads every weight once and does M multiply–adds with it, so its
// speed is that of streaming the weights from memory. The blocked GEMM first packs the weights
// into panels, which doubles that traffic; these loops read each weight once, straight from its
// row, keeping the outputs in registers (`RowProductTile`) or, for x·Eᵀ, four dot products in
// flight. Threads split the output columns, so every element is summed in the same order
// whatever the thread count.

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
  // Each task owns 64 output columns of every row. Within them the outputs stay in registers
  // while the rows of W stream past (`RowProductTile`), four 16-lane accumulators per step:
  // 64 columns of one row, 32 of two or 16 of four. Every output is still summed as
  // `((0 + x₀w₀) + x₁w₁) + …` in order of the depth, so the result does not depend on the
  // grouping or the thread count.
  let blocks = (columns + 63) / 64
  parallelForRanges(
    blocks, threads: rowProductThreads(weights: inner * columns, tasks: blocks)
  ) { range in
    let start = range.lowerBound * 64
    let end = Swift.min(columns, range.upperBound * 64)
    var r = 0
    while r < rows {
      let group = rows - r >= 4 ? 4 : rows - r >= 2 ? 2 : 1
      RowProductTile.run(
        x + r * inner, w, into: y + r * columns, rows: group, inner: inner, columns: columns,
        from: start, to: end)
      r += group
    }
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
  // Each task owns a range of output columns: one dot product of K per (row, column), in
  // SIMD16 lanes and then the tail. Four columns are taken together so that four independent
  // sums are in flight (one sum alone waits on its own additions); each is summed in the same
  // order as alone.
  let vectorEnd = inner / 16 * 16
  parallelForRanges(
    columns, threads: rowProductThreads(weights: inner * columns, tasks: columns)
  ) { range in
    var n = range.lowerBound
    while n + 4 <= range.upperBound {
      let e0 = e + n * inner
      let (e1, e2, e3) = (e0 + inner, e0 + 2 * inner, e0 + 3 * inner)
      for r in 0..<rows {
        let a = x + r * inner
        var (l0, l1, l2, l3) = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
        var i = 0
        while i < vectorEnd {
          let v = VectorMath.load(a, i)
          l0 += v * VectorMath.load(e0, i)
          l1 += v * VectorMath.load(e1, i)
          l2 += v * VectorMath.load(e2, i)
          l3 += v * VectorMath.load(e3, i)
          i += 16
        }
        var (d0, d1, d2, d3) = (l0.sum(), l1.sum(), l2.sum(), l3.sum())
        while i < inner {
          d0 += a[i] * e0[i]
          d1 += a[i] * e1[i]
          d2 += a[i] * e2[i]
          d3 += a[i] * e3[i]
          i += 1
        }
        let out = y + r * columns + n
        (out[0], out[1], out[2], out[3]) = (d0, d1, d2, d3)
      }
      n += 4
    }
    while n < range.upperBound {
      let row = e + n * inner
      for r in 0..<rows {
        let a = x + r * inner
        var lanes = SIMD16<Float>()
        var i = 0
        while i < vectorEnd {
          lanes += VectorMath.load(a, i) * VectorMath.load(row, i)
          i += 16
        }
        var dot = lanes.sum()
        while i < inner {
          dot += a[i] * row[i]
          i += 1
        }
        y[r * columns + n] = dot
      }
      n += 1
    }
  }
}

/// The fewest weights a row product gives each thread: below it a second thread costs more to
/// wake (several µs, and on a busy machine a wait for a free core) than its share of the product
/// saves. With 2²⁰ (4 MB) only the vocabulary projection of one token (2 million weights in the
/// small model) is split; splitting the `[D, F]` products too (2¹⁶) was slower on the shared
/// development machine (batch-1 decoding 7.9–9.7 against 10.9–14.7 sentences/s).
let rowProductWeightsPerThread = 1 << 20

/// The threads a row product over `weights` weights, split into `tasks` tasks, uses.
@inline(__always)
func rowProductThreads(weights: Int, tasks: Int) -> Int {
  Swift.max(1, Swift.min(Parallel.threadCount, tasks, weights / rowProductWeightsPerThread))
}

/// The product of one inference step with a fixed weight: `y = x·W`, or `x·Wᵀ` when
/// `transposeWeight`. Up to `rowProductMaxRows` rows take the row products; more take the
/// blocked GEMM, on `packed` when the weight was packed beforehand.
///
/// - Parameters:
///   - x: `[M, K]`.
///   - weight: `[K, N]`, or `[N, K]` when `transposeWeight`.
///   - packed: op(W) packed (`PackedMatrix`, K×N), or nil.
///   - y: `[M, N]`, overwritten.
public func stepProduct(
  _ x: UnsafePointer<Float>, rows: Int, weight: UnsafePointer<Float>, transposeWeight: Bool,
  packed: PackedMatrix?, inner: Int, columns: Int, into y: UnsafeMutablePointer<Float>
) {
  if rows <= rowProductMaxRows {
    if transposeWeight {
      rowProductTransposed(x, weight, into: y, rows: rows, inner: inner, columns: columns)
    } else {
      rowProduct(x, weight, into: y, rows: rows, inner: inner, columns: columns)
    }
  } else if let packed {
    kernelPrecondition(
      packed.k == inner && packed.n == columns,
      "stepProduct: packed \(packed.k)×\(packed.n) for a \(inner)×\(columns) product")
    gemm(m: rows, a: x, lda: inner, transposeA: false, b: packed, c: y, ldc: columns)
  } else {
    gemm(
      m: rows, n: columns, k: inner, a: x, lda: inner, transposeA: false, b: weight,
      ldb: transposeWeight ? inner : columns, transposeB: transposeWeight, c: y, ldc: columns)
  }
}

/// `x·W` (or `x·Wᵀ`) for the rows of an inference step; see the pointer form.
///
/// - Parameters:
///   - x: `[M, K]`.
///   - weight: `[K, N]`, or `[N, K]` when `transposeWeight`.
/// - Returns: `[M, N]`.
public func stepProduct(
  _ x: Tensor, weight: Tensor, transposeWeight: Bool = false, packed: PackedMatrix? = nil
) -> Tensor {
  kernelPrecondition(
    x.rank == 2 && weight.rank == 2
      && x.shape[1] == weight.shape[transposeWeight ? 1 : 0],
    "stepProduct: x \(x.shape) does not fit weight \(weight.shape)"
      + (transposeWeight ? " transposed" : ""))
  let (rows, inner) = (x.shape[0], x.shape[1])
  let columns = weight.shape[transposeWeight ? 0 : 1]
  var y = Tensor(uninitializedShape: [rows, columns])
  guard rows > 0 else { return y }
  y.withUnsafeMutableBufferPointer { y in
    stepProduct(
      x.storage.pointer, rows: rows, weight: weight.storage.pointer,
      transposeWeight: transposeWeight, packed: packed, inner: inner, columns: columns,
      into: y.baseAddress!)
  }
  return y
}
