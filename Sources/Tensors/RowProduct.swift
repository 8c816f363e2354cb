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
// row, keeping the M output rows in L1. Threads split the output columns, so every element is
// summed in the same order whatever the thread count.

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
  // Each task owns 64 output columns of every row and adds the rows of W into them in order.
  let blocks = (columns + 63) / 64
  parallelForRanges(blocks, minimumPerThread: Swift.max(1, 4096 / Swift.max(1, inner))) {
    range in
    let start = range.lowerBound * 64
    let end = Swift.min(columns, range.upperBound * 64)
    for r in 0..<rows { (y + r * columns + start).update(repeating: 0, count: end - start) }
    let vectorEnd = start + (end - start) / 16 * 16
    for p in 0..<inner {
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
  // SIMD16 lanes and then the tail.
  let vectorEnd = inner / 16 * 16
  parallelForRanges(columns, minimumPerThread: Swift.max(1, 4096 / Swift.max(1, inner))) {
    range in
    for n in range {
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
    }
  }
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
