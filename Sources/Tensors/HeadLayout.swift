// Moving attention heads between the model's layout [B, T, H·K] and the per-head layout
// [B, H, T, K] that the batched attention products use (Vaswani et al. §3.2.2).
//
// Pointer level:
//   splitHeads(x, into: y, batch:, length:, heads:, headSize:, capacity:, accumulate:)
//                                                                       [B, T, H·K] → [B, H, T, K]
//   mergeHeads(x, into: y, batch:, length:, heads:, headSize:, accumulate:)   [B, H, T, K] → [B, T, H·K]
//   transposeLastTwo(x, into: y, batch:, rows:, columns:, accumulate:)       [B, R, C] → [B, C, R]
// Tensor level: splitHeads(x, heads:) / mergeHeads(x), their `into:accumulate:` forms, transposedLastTwo(x).
// Each of split and merge is the other's backward (call it with `accumulate` to add into the
// input gradient); transposeLastTwo is its own. The references are the index formulas in the
// docs, checked in the tests.
//
// T is `length` (the source length S when splitting encoder states). With `capacity`, split
// writes one or more positions into a longer per-head buffer: a key–value cache [B, H, C, K].

/// `y[b, h, t, k] (+)= x[b, t, h·K + k]`: `[B, T, H·K] → [B, H, T, K]`.
///
/// - Parameters:
///   - x: `[B, T, H·K]`.
///   - y: `[B, H, C, K]` with C = `capacity`, of which positions `0..<T` are added to when
///     `accumulate`, else overwritten.
///   - capacity: C ≥ T, the positions between two heads of `y`: a key–value cache's capacity,
///     with `y` pointing at the position written. T when nil.
public func splitHeads(
  _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, batch: Int, length: Int,
  heads: Int,
  headSize: Int, capacity: Int? = nil, accumulate: Bool = false
) {
  let width = heads * headSize
  let capacity = capacity ?? length
  parallelFor(
    batch * length,
    minimumPerThread: Swift.max(1, VectorMath.elementwiseGrain / Swift.max(1, width))
  ) { row in
    let (b, t) = row.quotientAndRemainder(dividingBy: length)
    for h in 0..<heads {
      copyChunk(
        from: x + row * width + h * headSize, to: y + ((b * heads + h) * capacity + t) * headSize,
        count: headSize,
        accumulate: accumulate)
    }
  }
}

/// `y[b, t, h·K + k] (+)= x[b, h, t, k]`: `[B, H, T, K] → [B, T, H·K]`.
///
/// - Parameters:
///   - x: `[B, H, T, K]`.
///   - y: `[B, T, H·K]`, added to when `accumulate`, else overwritten.
public func mergeHeads(
  _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, batch: Int, length: Int,
  heads: Int,
  headSize: Int, accumulate: Bool = false
) {
  let width = heads * headSize
  parallelFor(
    batch * length,
    minimumPerThread: Swift.max(1, VectorMath.elementwiseGrain / Swift.max(1, width))
  ) { row in
    let (b, t) = row.quotientAndRemainder(dividingBy: length)
    for h in 0..<heads {
      copyChunk(
        from: x + ((b * heads + h) * length + t) * headSize, to: y + row * width + h * headSize,
        count: headSize,
        accumulate: accumulate)
    }
  }
}

/// `y[b, c, r] (+)= x[b, r, c]`: the transpose of each of `batch` row-major `[R, C]` matrices.
///
/// - Parameters:
///   - x: `[B, R, C]`.
///   - y: `[B, C, R]`, added to when `accumulate`, else overwritten.
public func transposeLastTwo(
  _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, batch: Int, rows: Int,
  columns: Int,
  accumulate: Bool = false
) {
  // Each task owns one output row y[b, c, :] and reads a column of x.
  parallelFor(
    batch * columns,
    minimumPerThread: Swift.max(1, VectorMath.elementwiseGrain / Swift.max(1, rows))
  ) { task in
    let (b, c) = task.quotientAndRemainder(dividingBy: columns)
    let source = x + b * rows * columns + c
    let target = y + task * rows
    if accumulate {
      for r in 0..<rows { target[r] += source[r * columns] }
    } else {
      for r in 0..<rows { target[r] = source[r * columns] }
    }
  }
}

/// `to[0..<count] (+)= from[0..<count]`.
@inline(__always)
private func copyChunk(
  from: UnsafePointer<Float>, to: UnsafeMutablePointer<Float>, count: Int, accumulate: Bool
) {
  if accumulate {
    VectorMath.map(from, to, to, 0..<count) { $1 + $0 }
  } else {
    to.update(from: from, count: count)
  }
}

/// `[B, T, H·K] → [B, H, T, K]` with K = D / `heads`.
public func splitHeads(_ x: Tensor, heads: Int) -> Tensor {
  let (b, t, k) = headSizes(x, heads: heads)
  var y = Tensor(uninitializedShape: [b, heads, t, k])
  splitHeads(x, heads: heads, into: &y, accumulate: false)
  return y
}

/// `y (+)=` the split of `x` (`[B, T, H·K]`) into `y` (`[B, H, T, K]`).
public func splitHeads(_ x: Tensor, heads: Int, into y: inout Tensor, accumulate: Bool) {
  let (b, t, k) = headSizes(x, heads: heads)
  kernelPrecondition(
    y.shape == [b, heads, t, k],
    "splitHeads: output \(y.shape) must be \([b, heads, t, k]) for \(x.shape)")
  y.withUnsafeMutableBufferPointer { out in
    splitHeads(
      x.storage.pointer, into: out.baseAddress!, batch: b, length: t, heads: heads, headSize: k,
      accumulate: accumulate)
  }
}

/// `[B, H, T, K] → [B, T, H·K]`.
public func mergeHeads(_ x: Tensor) -> Tensor {
  kernelPrecondition(x.rank == 4, "mergeHeads: input must be [B, H, T, K], got \(x.shape)")
  var y = Tensor(uninitializedShape: [x.shape[0], x.shape[2], x.shape[1] * x.shape[3]])
  mergeHeads(x, into: &y, accumulate: false)
  return y
}

/// `y (+)=` the merge of `x` (`[B, H, T, K]`) into `y` (`[B, T, H·K]`).
public func mergeHeads(_ x: Tensor, into y: inout Tensor, accumulate: Bool) {
  kernelPrecondition(x.rank == 4, "mergeHeads: input must be [B, H, T, K], got \(x.shape)")
  let (b, h, t, k) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
  kernelPrecondition(
    y.shape == [b, t, h * k],
    "mergeHeads: output \(y.shape) must be \([b, t, h * k]) for \(x.shape)")
  y.withUnsafeMutableBufferPointer { out in
    mergeHeads(
      x.storage.pointer, into: out.baseAddress!, batch: b, length: t, heads: h, headSize: k,
      accumulate: accumulate)
  }
}

/// The transpose of the last two dimensions: `[…, R, C] → […, C, R]`.
public func transposedLastTwo(_ x: Tensor) -> Tensor {
  kernelPrecondition(x.rank >= 2, "transposedLastTwo: needs rank ≥ 2, got \(x.shape)")
  let rows = x.shape[x.rank - 2]
  let columns = x.shape[x.rank - 1]
  var y = Tensor(uninitializedShape: Array(x.shape.dropLast(2)) + [columns, rows])
  let batch = rows * columns == 0 ? 0 : x.count / (rows * columns)
  y.withUnsafeMutableBufferPointer { out in
    transposeLastTwo(
      x.storage.pointer, into: out.baseAddress!, batch: batch, rows: rows, columns: columns)
  }
  return y
}

private func headSizes(_ x: Tensor, heads: Int) -> (batch: Int, length: Int, headSize: Int) {
  kernelPrecondition(
    x.rank == 3 && heads > 0 && x.shape[2] % heads == 0,
    "splitHeads: input must be [B, T, H·K] with D divisible by \(heads) heads, got \(x.shape)")
  return (x.shape[0], x.shape[1], x.shape[2] / heads)
}
