// Row-wise log-softmax over the last dimension: the log-probabilities that beam search and
// greedy decoding rank tokens by ([N, V] logits → [N, V]).
//
// Pointer level:
//   logSoftmaxForward(x, into: y, rows:, columns:)                         y = x − max − log Σ exp(x − max)
//   logSoftmaxBackward(output:, outputGradient:, into: dx, rows:, columns:, accumulate:)
//       dx (+)= dy − exp(y) · Σ dy, from the forward's output y.
//   logSoftmaxArgMax(x, rows:, columns:, firstColumn:)                      greedy search's pick
//       and its log-probability per row, without writing y (the pick alone: argMax, in
//       Reductions.swift).
//   logSoftmaxTopCandidates(x, rows:, columns:, groupSize:, offsets:, firstColumn:, count:)
//       beam search's pick: per group of rows, the `count` best offset + log-probability,
//       without writing y.
// Tensor level: logSoftmax(x), logSoftmaxBackward(output:, outputGradient:, into: &dx, accumulate:).
// Reference: logSoftmaxForwardReference, in Double.
// Stable for any finite logits (the row maximum is subtracted first). For training, the fused
// crossEntropyForward is cheaper: it never writes [N, V] log-probabilities.

import Foundation

/// `y[r, :] = x[r, :] − logsumexp(x[r, :])` for each row of `[rows, columns]`; `y` may be `x`.
public func logSoftmaxForward(
  _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, rows: Int, columns: Int
) {
  parallelForRanges(rows, minimumPerThread: Parallel.minimumRows(width: columns)) { range in
    for r in range {
      let xr = x + r * columns
      let (m, logSum) = maxAndLogSumExp(xr, columns)
      VectorMath.map(xr, y + r * columns, 0..<columns) { ($0 - m) - logSum }
    }
  }
}

/// Greedy decoding's pick from each row of `[rows, columns]` logits: the column of the largest
/// logit among `firstColumn(r)..<columns` (ties go to the lower column) and its
/// log-probability over the whole row, as `logSoftmaxForward` computes it, bit for bit.
///
/// Two reading passes (the maximum, the sum of exponentials) and a scan that stops at the pick,
/// instead of the log-softmax's three passes and a write of every log-probability: greedy
/// search needs one value per row.
public func logSoftmaxArgMax(
  _ x: UnsafePointer<Float>, rows: Int, columns: Int, firstColumn: (Int) -> Int
) -> [(column: Int, logProbability: Float)] {
  let firsts = firstCandidates(rows: rows, columns: columns, firstColumn, "logSoftmaxArgMax")
  var result = [(column: Int, logProbability: Float)](
    repeating: (0, -.infinity), count: rows)
  result.withUnsafeMutableBufferPointer { picks in
    let picks = picks.baseAddress!
    parallelForRanges(rows, minimumPerThread: Parallel.minimumRows(width: columns)) { range in
      for r in range {
        let xr = x + r * columns
        let first = firsts[r]
        let (column, best) = rowArgMax(xr, first..<columns)
        // The row's maximum from the candidates' and the few columns before `first` (a
        // maximum is exact, so it is the row maximum `logSoftmaxForward` finds).
        let m = first > 0 ? Swift.max(best, rowMax(xr, 0..<first)) : best
        let logSum = logSumExp(xr, columns, maximum: m)
        picks[r] = (column, (xr[column] - m) - logSum)
      }
    }
  }
  return result
}

/// One extension beam search may keep: a row, a column of it, and its score.
public struct ScoredCandidate: Equatable, Sendable {
  public var row: Int
  public var column: Int
  public var score: Float

  public init(row: Int, column: Int, score: Float) {
    self.row = row
    self.column = column
    self.score = score
  }
}

/// Beam search's pick from `[rows, columns]` logits cut into groups of `groupSize` consecutive
/// rows (one sentence's hypotheses): per group, the `count` best scores `offsets[r] + y[r, c]`
/// over its rows r and the columns `firstColumn..<columns`, best first, with y the log-softmax
/// `logSoftmaxForward` writes, bit for bit. Ties go to the lower (row, column); rows whose
/// offset is −∞, and −∞ (or NaN) scores, are left out, so a group may get fewer than `count`.
///
/// y is never written. Per row, two reading passes find its maximum and sum of exponentials
/// (rows spread over threads: at batch 1 one group is all the work); then, per group (groups
/// spread over threads), a row whose best score cannot beat the worst one kept is skipped, and
/// the others are read 16 scores at a time, a vector's columns taken one by one only when one
/// of them beats the worst kept, which after the first few vectors is almost never.
///
/// - Parameters:
///   - x: `[rows, columns]` logits.
///   - offsets: `[rows]`, each row's hypothesis score so far.
///   - firstColumn: the first column that may extend a hypothesis (the ones before never do).
/// - Returns: `[rows / groupSize]` lists of at most `count` candidates, best first.
public func logSoftmaxTopCandidates(
  _ x: UnsafePointer<Float>, rows: Int, columns: Int, groupSize: Int, offsets: [Float],
  firstColumn: Int, count: Int
) -> [[ScoredCandidate]] {
  kernelPrecondition(
    groupSize > 0 && rows % groupSize == 0 && offsets.count == rows && count > 0
      && (0...columns).contains(firstColumn),
    "logSoftmaxTopCandidates: \(rows) rows in groups of \(groupSize), \(offsets.count) offsets, "
      + "first column \(firstColumn) of \(columns), count \(count)")
  let rowsPerThread = Parallel.minimumRows(width: columns)
  // Per row, its maximum m and log Σ exp(x − m): its log-softmax is (x − m) − logSum.
  var statistics = [(maximum: Float, logSum: Float)](repeating: (0, 0), count: rows)
  statistics.withUnsafeMutableBufferPointer { statistics in
    let statistics = statistics.baseAddress!
    parallelForRanges(rows, minimumPerThread: rowsPerThread) { range in
      for r in range where offsets[r] > -.infinity {
        statistics[r] = maxAndLogSumExp(x + r * columns, columns)
      }
    }
  }
  let groups = rows / groupSize
  var result = [[ScoredCandidate]](repeating: [], count: groups)
  result.withUnsafeMutableBufferPointer { result in
    let result = result.baseAddress!
    parallelForRanges(groups, minimumPerThread: Swift.max(1, rowsPerThread / groupSize)) {
      range in
      for group in range {
        var best: [ScoredCandidate] = []
        best.reserveCapacity(count + 1)
        for r in (group * groupSize)..<((group + 1) * groupSize) {
          let offset = offsets[r]
          guard offset > -.infinity else { continue }
          let xr = x + r * columns
          let (m, logSum) = statistics[r]
          // The row's best score is its maximum's, offset + ((m − m) − logSum), exactly: every
          // other (x − m) is at most 0 and rounding keeps the order.
          if best.count == count && !(offset + (0 - logSum) > best[count - 1].score) { continue }
          var c = firstColumn
          while c < columns {
            let width = Swift.min(16, columns - c)
            if best.count == count {
              // The same operations, lane by lane, as the scalar score below. (A lane-wise `.>`
              // and `any` compile lane by lane here; the maximum is vector code.)
              let scores =
                SIMD16(repeating: offset)
                + ((VectorMath.load(xr, c, count: width, fill: -.infinity) - m) - logSum)
              if !(VectorMath.horizontalMax(scores) > best[count - 1].score) {
                c += 16
                continue
              }
            }
            for column in c..<(c + width) {
              let score = offset + ((xr[column] - m) - logSum)
              // Strictly better than the worst kept: an equal later candidate never displaces.
              if best.count == count {
                guard score > best[count - 1].score else { continue }
                best.removeLast()
              }
              guard score > -.infinity else { continue }
              var position = best.count
              while position > 0 && best[position - 1].score < score { position -= 1 }
              best.insert(ScoredCandidate(row: r, column: column, score: score), at: position)
            }
            c += 16
          }
        }
        result[group] = best
      }
    }
  }
  return result
}

/// A row's maximum m and `log Σ exp(x − m)`: its log-softmax is `(x − m) − logSum`.
@inline(__always)
private func maxAndLogSumExp(_ xr: UnsafePointer<Float>, _ columns: Int) -> (Float, Float) {
  let m = rowMax(xr, 0..<columns)
  return (m, logSumExp(xr, columns, maximum: m))
}

/// `log Σ exp(x − m)` over a row whose maximum is m.
@inline(__always)
private func logSumExp(_ xr: UnsafePointer<Float>, _ columns: Int, maximum m: Float) -> Float {
  var total = SIMD16<Float>()
  // Whole vectors in the loop, the partial last one on its own, as `softmaxRow` does.
  let whole = columns / 16 * 16
  var c = 0
  while c < whole {
    total += VectorMath.exp(VectorMath.load(xr, c) - m)
    c += 16
  }
  if whole < columns {
    // Lanes past the row load −∞, whose exp is exactly 0.
    total += VectorMath.exp(
      VectorMath.loadPartial(xr, whole, count: columns - whole, fill: -.infinity) - m)
  }
  return Float(Foundation.log(Double(VectorMath.horizontalSum(total))))
}

/// `dx (+)= dy − exp(y) · Σ_c dy` per row, with `y` the forward's log-probabilities.
public func logSoftmaxBackward(
  output y: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
  into dx: UnsafeMutablePointer<Float>,
  rows: Int, columns: Int, accumulate: Bool
) {
  parallelForRanges(rows, minimumPerThread: Parallel.minimumRows(width: columns)) { range in
    for r in range {
      let offset = r * columns
      let total = VectorMath.horizontalSum(rowLanes(dy + offset, columns))
      if accumulate {
        VectorMath.map(y + offset, dy + offset, dx + offset, dx + offset, 0..<columns) {
          yv, g, old in
          old + g - VectorMath.exp(yv) * total
        }
      } else {
        VectorMath.map(y + offset, dy + offset, dx + offset, 0..<columns) { yv, g in
          g - VectorMath.exp(yv) * total
        }
      }
    }
  }
}

/// The lane-wise partial sums of a row (zeros past its end).
@inline(__always)
private func rowLanes(_ x: UnsafePointer<Float>, _ count: Int) -> SIMD16<Float> {
  var total = SIMD16<Float>()
  var c = 0
  while c < count {
    total += VectorMath.load(x, c, count: Swift.min(16, count - c))
    c += 16
  }
  return total
}

/// The reference log-softmax, in `Double`, one element at a time.
public func logSoftmaxForwardReference(
  _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, rows: Int, columns: Int
) {
  for r in 0..<rows {
    let row = (0..<columns).map { Double(x[r * columns + $0]) }
    let m = row.max()!
    let logSumExp = m + Foundation.log(row.map { Foundation.exp($0 - m) }.reduce(0, +))
    for c in 0..<columns { y[r * columns + c] = Float(row[c] - logSumExp) }
  }
}

/// Log-softmax over the last dimension of `x` (`[…, V]`).
public func logSoftmax(_ x: Tensor) -> Tensor {
  kernelPrecondition(x.rank >= 1, "logSoftmax: needs rank ≥ 1, got \(x.shape)")
  let columns = x.shape[x.rank - 1]
  var y = Tensor(uninitializedShape: x.shape)
  y.withUnsafeMutableBufferPointer { out in
    logSoftmaxForward(
      x.storage.pointer, into: out.baseAddress!, rows: columns == 0 ? 0 : x.count / columns,
      columns: columns)
  }
  return y
}

/// `inputGradient (+)= dy − exp(y)·Σ dy` per row, all three of one shape.
public func logSoftmaxBackward(
  output: Tensor, outputGradient: Tensor, into inputGradient: inout Tensor, accumulate: Bool
) {
  kernelPrecondition(
    output.rank >= 1 && output.shape == outputGradient.shape && output.shape == inputGradient.shape,
    "logSoftmaxBackward: output \(output.shape), output gradient \(outputGradient.shape) and input gradient "
      + "\(inputGradient.shape) must match")
  let columns = output.shape[output.rank - 1]
  inputGradient.withUnsafeMutableBufferPointer { dx in
    logSoftmaxBackward(
      output: output.storage.pointer, outputGradient: outputGradient.storage.pointer,
      into: dx.baseAddress!,
      rows: columns == 0 ? 0 : output.count / columns, columns: columns, accumulate: accumulate)
  }
}
