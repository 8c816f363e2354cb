// Reductions: whole-tensor sums (loss totals, gradient norms) and column sums (the gradient of a
// bias broadcast over rows).
//
// Pointer level:
//   vectorSum(x, count:) -> Float            Σ x
//   vectorSumOfSquares(x, count:) -> Float   Σ x²        (gradient-norm clipping)
//   vectorDot(a, b, count:) -> Float         Σ a·b
//   vectorMax(x, count:) -> Float            max x, −∞ for count 0
//   argMax(x, rows:, columns:, firstColumn:) -> [Int]   each row's first largest column
//       among firstColumn(r)..<columns: greedy search's pick when no score is wanted
//   columnSums(x, rows:, columns:, into: y, accumulate:)   y[c] (+)= Σ_r x[r, c]   [N, D] → [D]
// Tensor level: t.sum(), t.mean(), t.sumOfSquares(), t.max(), t.columnSums() ([…, D] → [D]),
//   columnSums(of: x, into: &y, accumulate:).
// References (Double, one element at a time): vectorSumReference, columnSumsReference.
//
// Determinism: whole-tensor reductions cut `x` into blocks of a fixed size (not one per thread),
// sum each block in a fixed lane order and add the block results in order in Double, so the
// result does not depend on the thread count. Column sums give each thread whole columns and
// add the rows in order.

/// Elements per block of a whole-tensor reduction; fixed so that results do not depend on threads.
private let reductionBlock = 1 << 14

/// The partial results of `block` over consecutive blocks of `reductionBlock` elements,
/// computed in parallel, returned in block order.
private func blockPartials(_ count: Int, _ block: (Range<Int>) -> Float) -> [Float] {
  let blocks = (count + reductionBlock - 1) / reductionBlock
  return [Float](unsafeUninitializedCapacity: blocks) { partials, initialized in
    let out = partials.baseAddress!
    parallelFor(blocks, minimumPerThread: 2) { b in
      out[b] = block(b * reductionBlock..<min(count, (b + 1) * reductionBlock))
    }
    initialized = blocks
  }
}

/// Σ over `range` of `term(x)`, two 16-lane accumulators then a fixed-order horizontal sum.
@inline(__always)
private func laneSum(
  _ range: Range<Int>, _ term: (Int) -> SIMD16<Float>, tail: (Int, Int) -> SIMD16<Float>
) -> Float {
  var even = SIMD16<Float>()
  var odd = SIMD16<Float>()
  var i = range.lowerBound
  while i + 32 <= range.upperBound {
    even += term(i)
    odd += term(i + 16)
    i += 32
  }
  if i + 16 <= range.upperBound {
    even += term(i)
    i += 16
  }
  if i < range.upperBound { odd += tail(i, range.upperBound - i) }
  return VectorMath.horizontalSum(even + odd)
}

/// The sum of `count` elements.
public func vectorSum(_ x: UnsafePointer<Float>, count: Int) -> Float {
  let partials = blockPartials(count) { range in
    laneSum(range, { VectorMath.load(x, $0) }, tail: { VectorMath.loadPartial(x, $0, count: $1) })
  }
  return Float(partials.reduce(0.0) { $0 + Double($1) })
}

/// The sum of the squares of `count` elements: the squared L2 norm.
public func vectorSumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Float {
  let partials = blockPartials(count) { range in
    laneSum(
      range,
      {
        let v = VectorMath.load(x, $0)
        return v * v
      },
      tail: {
        let v = VectorMath.loadPartial(x, $0, count: $1)
        return v * v
      })
  }
  return Float(partials.reduce(0.0) { $0 + Double($1) })
}

/// The dot product Σ a·b of `count` elements.
public func vectorDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
  let partials = blockPartials(count) { range in
    laneSum(
      range,
      { VectorMath.load(a, $0) * VectorMath.load(b, $0) },
      tail: { VectorMath.loadPartial(a, $0, count: $1) * VectorMath.loadPartial(b, $0, count: $1) })
  }
  return Float(partials.reduce(0.0) { $0 + Double($1) })
}

/// The largest of `count` elements; `-infinity` when `count` is 0.
public func vectorMax(_ x: UnsafePointer<Float>, count: Int) -> Float {
  let partials = blockPartials(count) { range in rowMax(x, range) }
  return partials.reduce(-Float.infinity) { Swift.max($0, $1) }
}

/// The largest element of `x[range]`, −∞ for an empty range.
@inline(__always)
func rowMax(_ x: UnsafePointer<Float>, _ range: Range<Int>) -> Float {
  var best = SIMD16<Float>(repeating: -.infinity)
  var i = range.lowerBound
  while i + 16 <= range.upperBound {
    best = VectorMath.maximum(best, VectorMath.load(x, i))
    i += 16
  }
  if i < range.upperBound {
    best = VectorMath.maximum(
      best, VectorMath.loadPartial(x, i, count: range.upperBound - i, fill: -.infinity))
  }
  return VectorMath.horizontalMax(best)
}

/// Greedy decoding's pick from each row of `[rows, columns]` logits when its log-probability
/// is not wanted: the column of the largest logit among `firstColumn(r)..<columns`, ties to
/// the lower column. The same column `logSoftmaxArgMax` picks (that subtracts one constant per
/// row, so its order is the logits'), from one reading pass and no exponentials.
public func argMax(
  _ x: UnsafePointer<Float>, rows: Int, columns: Int, firstColumn: (Int) -> Int
) -> [Int] {
  let firsts = firstCandidates(rows: rows, columns: columns, firstColumn, "argMax")
  return [Int](unsafeUninitializedCapacity: rows) { picks, initialized in
    let picks = picks.baseAddress!
    parallelForRanges(rows, minimumPerThread: Parallel.minimumRows(width: columns)) { range in
      for r in range { picks[r] = rowArgMax(x + r * columns, firsts[r]..<columns).column }
    }
    initialized = rows
  }
}

/// Each row's first candidate column for greedy search's pick (`argMax`, `logSoftmaxArgMax`),
/// checked to lie in the row.
func firstCandidates(
  rows: Int, columns: Int, _ firstColumn: (Int) -> Int, _ name: String
) -> [Int] {
  let firsts = (0..<rows).map(firstColumn)
  kernelPrecondition(
    firsts.allSatisfy { (0..<columns).contains($0) },
    "\(name): first columns \(firsts) outside 0..<\(columns)")
  return firsts
}

/// The first column of `range` holding its largest element, and that element: one pass for
/// the maximum, then a scan, 16 columns at a time, that stops at the first match.
@inline(__always)
func rowArgMax(_ x: UnsafePointer<Float>, _ range: Range<Int>) -> (column: Int, value: Float) {
  let best = rowMax(x, range)
  var column = range.lowerBound
  while column + 16 <= range.upperBound
    && !any(VectorMath.load(x, column) .== SIMD16<Float>(repeating: best))
  {
    column += 16
  }
  while column < range.upperBound - 1 && x[column] != best { column += 1 }
  return (column, best)
}

/// Column sums of a row-major `[rows, columns]` matrix: `y[c] = Σ_r x[r, c]`, or
/// `y[c] += Σ_r x[r, c]` when `accumulate`. The gradient of a bias `[D]` added to `[N, D]`.
///
/// Threads own disjoint column blocks and add the rows in order: deterministic.
/// - Parameters:
///   - x: `[N, D]`.
///   - y: `[D]`.
public func columnSums(
  _ x: UnsafePointer<Float>, rows: Int, columns: Int, into y: UnsafeMutablePointer<Float>,
  accumulate: Bool
) {
  let columnBlocks = (columns + 15) / 16
  let grain = Swift.max(1, VectorMath.elementwiseGrain / Swift.max(1, rows * 16))
  parallelForRanges(columnBlocks, minimumPerThread: grain) { blockRange in
    for block in blockRange {
      let c = block * 16
      let lanes = Swift.min(16, columns - c)
      var total = SIMD16<Float>()
      if lanes == 16 {
        for r in 0..<rows { total += VectorMath.load(x, r * columns + c) }
      } else {
        for r in 0..<rows { total += VectorMath.loadPartial(x, r * columns + c, count: lanes) }
      }
      if accumulate { total += VectorMath.loadPartial(y, c, count: lanes) }
      VectorMath.storePartial(total, y, c, count: lanes)
    }
  }
}

/// The reference sum, in `Double`, one element at a time.
public func vectorSumReference(_ x: UnsafePointer<Float>, count: Int) -> Double {
  var total = 0.0
  for i in 0..<count { total += Double(x[i]) }
  return total
}

/// The reference column sums, in `Double`, one element at a time; same contract as `columnSums`.
public func columnSumsReference(
  _ x: UnsafePointer<Float>, rows: Int, columns: Int, into y: UnsafeMutablePointer<Float>,
  accumulate: Bool
) {
  for c in 0..<columns {
    var total = accumulate ? Double(y[c]) : 0
    for r in 0..<rows { total += Double(x[r * columns + c]) }
    y[c] = Float(total)
  }
}

extension Tensor {
  /// The sum of all elements.
  public func sum() -> Float { vectorSum(storage.pointer, count: count) }

  /// The mean of all elements (NaN for an empty tensor).
  public func mean() -> Float { sum() / Float(count) }

  /// The sum of the squares of all elements (the squared L2 norm).
  public func sumOfSquares() -> Float { vectorSumOfSquares(storage.pointer, count: count) }

  /// The largest element; `-infinity` for an empty tensor.
  public func max() -> Float { vectorMax(storage.pointer, count: count) }

  /// Sums over every dimension but the last: `[…, D] → [D]`.
  public func columnSums() -> Tensor {
    kernelPrecondition(rank >= 1, "columnSums: needs rank ≥ 1, got \(shape)")
    var result = Tensor(uninitializedShape: [shape[rank - 1]])
    Tensors.columnSums(of: self, into: &result, accumulate: false)
    return result
  }
}

/// `y (+)= x.columnSums()`: sums `x` (`[…, D]`) over every dimension but the last into `y` (`[D]`).
public func columnSums(of x: Tensor, into y: inout Tensor, accumulate: Bool) {
  kernelPrecondition(
    x.rank >= 1 && y.shape == [x.shape[x.rank - 1]],
    "columnSums: output shape \(y.shape) must be [last dimension] of \(x.shape)")
  let columns = x.shape[x.rank - 1]
  let px = x.storage.pointer
  y.withUnsafeMutableBufferPointer { out in
    Tensors.columnSums(
      px, rows: columns == 0 ? 0 : x.count / columns, columns: columns, into: out.baseAddress!,
      accumulate: accumulate)
  }
}
