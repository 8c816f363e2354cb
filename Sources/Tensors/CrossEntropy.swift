// The training loss: log-softmax fused with label-smoothed cross-entropy over logits [N, V]
// (N = B·T target positions) with integer targets, skipping padding positions.
//
// Pointer level:
//   crossEntropyForward(logits:, targets:, rows:, vocabularySize:, labelSmoothing:, ignoreIndex:,
//                       statistics:, gradient:, gradientScale:) -> CrossEntropyTotals
//       (with `gradient`, also writes the backward's result for the given scale: see below)
//   crossEntropyBackward(logits:, targets:, statistics:, rows:, vocabularySize:, labelSmoothing:,
//                        ignoreIndex:, scale:, into: dLogits, accumulate:)
// Tensor level: crossEntropy(logits:, targets:, labelSmoothing:, ignoreIndex:) -> CrossEntropyOutput
//   (totals + statistics), crossEntropyBackward(logits:, targets:, statistics:, …, into: &dLogits, accumulate:),
//   crossEntropyWithGradient(logits:, targets:, …, gradientScale:) -> (totals, gradient).
// Reference: crossEntropyForwardReference, in Double.
//
// Smoothing convention (PyTorch `nn.CrossEntropyLoss(label_smoothing: ε)`, Szegedy et al. 2016):
// the target distribution is q = (1 − ε)·onehot(target) + ε/V, the ε mass spread over all V
// classes including the target (fairseq's `label_smoothed_cross_entropy` instead gives the
// non-targets ε/(V−1)). A counted row's loss is
//   −Σ_v q_v·log p_v = (1 − ε)·(−log p_target) + ε·(−(1/V)·Σ_v log p_v).
// Rows whose target equals `ignoreIndex` add nothing to the loss, to the count, or to the gradient.
// The forward returns sums, not means: the mean loss is `loss / count`, and its backward passes
// `scale = upstream / count`.
//
// Stability: every row is shifted by its maximum, so logits of ±1e4 (or any finite values) give
// finite losses and gradients. The cache is two floats per row, (max, log Σ_v exp(x_v − max)),
// rather than one log-sum-exp, so that p_v = exp((x_v − max) − logSum) keeps full precision when
// the logits are large.
//
// Why the forward can write the gradient: training always differentiates the loss, and the
// gradient scale·(p − q) needs only the row's own statistics. Written while the row (V floats,
// 32 KB at V = 8000) is still in the cache, from the exp(x − max) the sum has just computed,
// it saves the backward's second pass over the [N, V] logits (49 MB for the small model's
// batch) and its second exp per element. The result equals `crossEntropyBackward`'s up to
// rounding (p_v = e_v · (1/Σe) here, exp(x_v − max − logSum) there).

import Foundation

/// The sums produced by a cross-entropy forward over the counted (non-ignored) rows.
public struct CrossEntropyTotals: Equatable, Sendable {
  /// Σ over counted rows of the label-smoothed loss −Σ_v q_v·log p_v.
  public var loss: Double
  /// Σ over counted rows of −log p_target, without smoothing: exp(nll / count) is the perplexity.
  public var negativeLogLikelihood: Double
  /// The number of rows whose target is not `ignoreIndex`.
  public var count: Int

  /// Totals from their parts.
  public init(loss: Double, negativeLogLikelihood: Double, count: Int) {
    self.loss = loss
    self.negativeLogLikelihood = negativeLogLikelihood
    self.count = count
  }
}

/// Label-smoothed cross-entropy of `logits` against `targets`, summed over counted rows.
///
/// - Parameters:
///   - logits: `[N, V]`.
///   - targets: `[N]`, each in `0..<V` or equal to `ignoreIndex`.
///   - labelSmoothing: ε in [0, 1).
///   - ignoreIndex: the target value (padding) whose rows are skipped; nil to count every row.
///   - statistics: `[N, 2]`, overwritten with (max, log Σ exp(x − max)) per row, for the backward.
///   - gradient: `[N, V]`, or nil: overwritten with `gradientScale · (p − q)` on counted rows and
///     0 on ignored ones, what `crossEntropyBackward(…, scale: gradientScale, accumulate: false)`
///     writes.
///   - gradientScale: the gradient of the final loss with respect to the summed loss.
public func crossEntropyForward(
  logits: UnsafePointer<Float>, targets: UnsafePointer<Int>, rows: Int, vocabularySize: Int,
  labelSmoothing: Float = 0, ignoreIndex: Int? = nil, statistics: UnsafeMutablePointer<Float>,
  gradient: UnsafeMutablePointer<Float>? = nil, gradientScale: Float = 1
) -> CrossEntropyTotals {
  checkTargets(targets, rows: rows, vocabularySize: vocabularySize, ignoreIndex: ignoreIndex)
  let epsilon = Double(labelSmoothing)
  let vocabulary = vocabularySize
  let uniform = gradientScale * labelSmoothing / Float(vocabulary)
  let onTarget = gradientScale * (1 - labelSmoothing)
  // Per-row results, added in row order afterwards so the totals do not depend on threads.
  var rowLoss = [Double](repeating: 0, count: rows)
  var rowNLL = [Double](repeating: 0, count: rows)
  rowLoss.withUnsafeMutableBufferPointer { lossOut in
    rowNLL.withUnsafeMutableBufferPointer { nllOut in
      parallelForRanges(rows, minimumPerThread: Parallel.minimumRows(width: vocabulary)) {
        range in
        for r in range {
          let x = logits + r * vocabulary
          let m = rowMax(x, 0..<vocabulary)
          var expLanes = SIMD16<Float>()
          var shiftedLanes = SIMD16<Float>()
          // Whole vectors in the loop, the partial last one on its own (as `softmaxRow` does:
          // one loop body for both had the compiler split `exp` into lane-wise pieces).
          let whole = vocabulary / 16 * 16
          var v = 0
          while v < whole {
            let shifted = VectorMath.load(x, v) - m
            let e = VectorMath.exp(shifted)
            // Kept for the gradient: e/Σe is p, without a second exp.
            if let gradient { VectorMath.store(e, gradient + r * vocabulary, v) }
            expLanes += e
            shiftedLanes += shifted
            v += 16
          }
          if whole < vocabulary {
            // Lanes past the row load m: shifted 0, and their exp(0) = 1 is masked out.
            let lanes = vocabulary - whole
            let shifted = VectorMath.loadPartial(x, whole, count: lanes, fill: m) - m
            var e = VectorMath.exp(shifted)
            e.replace(with: 0, where: VectorMath.lanesPast(lanes))
            if let gradient {
              VectorMath.storePartial(e, gradient + r * vocabulary, whole, count: lanes)
            }
            expLanes += e
            shiftedLanes += shifted
          }
          let expSum = VectorMath.horizontalSum(expLanes)
          let logSum = Foundation.log(Double(expSum))
          statistics[2 * r] = m
          statistics[2 * r + 1] = Float(logSum)
          let target = targets[r]
          if let gradient {
            let dx = gradient + r * vocabulary
            if target == ignoreIndex {
              dx.update(repeating: 0, count: vocabulary)
            } else {
              let factor = gradientScale / expSum
              VectorMath.map(dx, dx, 0..<vocabulary) { e in e * factor - uniform }
              dx[target] -= onTarget
            }
          }
          if target == ignoreIndex { continue }
          // −log p_target = log Σ exp(x − m) − (x_target − m); the smoothing term
          // −(1/V) Σ_v log p_v = log Σ exp(x − m) − (1/V) Σ_v (x_v − m).
          let nll = logSum - Double(x[target] - m)
          let smooth = logSum - Double(VectorMath.horizontalSum(shiftedLanes)) / Double(vocabulary)
          nllOut[r] = nll
          lossOut[r] = (1 - epsilon) * nll + epsilon * smooth
        }
      }
    }
  }
  var totals = CrossEntropyTotals(loss: 0, negativeLogLikelihood: 0, count: 0)
  for r in 0..<rows where targets[r] != ignoreIndex {
    totals.loss += rowLoss[r]
    totals.negativeLogLikelihood += rowNLL[r]
    totals.count += 1
  }
  return totals
}

/// The gradient of `scale ×` the summed loss with respect to the logits:
/// `dLogits[r, v] (+)= scale · (p_v − q_v)` for counted rows, with p = softmax(logits[r]) and
/// q = (1 − ε)·onehot + ε/V; ignored rows get exactly 0 (nothing is added to them).
///
/// - Parameters:
///   - logits, dLogits: `[N, V]`; `dLogits` is added to when `accumulate`, else overwritten.
///   - targets: `[N]`.
///   - statistics: `[N, 2]`, as written by `crossEntropyForward`.
///   - scale: the gradient of the final loss with respect to the summed loss (1/count for a mean).
public func crossEntropyBackward(
  logits: UnsafePointer<Float>, targets: UnsafePointer<Int>, statistics: UnsafePointer<Float>,
  rows: Int, vocabularySize: Int, labelSmoothing: Float = 0, ignoreIndex: Int? = nil, scale: Float,
  into dLogits: UnsafeMutablePointer<Float>, accumulate: Bool
) {
  checkTargets(targets, rows: rows, vocabularySize: vocabularySize, ignoreIndex: ignoreIndex)
  let vocabulary = vocabularySize
  let uniform = scale * labelSmoothing / Float(vocabulary)
  let onTarget = scale * (1 - labelSmoothing)
  parallelForRanges(rows, minimumPerThread: Parallel.minimumRows(width: vocabulary)) {
    range in
    for r in range {
      let x = logits + r * vocabulary
      let dx = dLogits + r * vocabulary
      let target = targets[r]
      if target == ignoreIndex {
        if !accumulate { dx.update(repeating: 0, count: vocabulary) }
        continue
      }
      let m = statistics[2 * r]
      let logSum = statistics[2 * r + 1]
      if accumulate {
        VectorMath.map(x, dx, dx, 0..<vocabulary) { xv, old in
          old + (scale * VectorMath.exp(xv - m - logSum) - uniform)
        }
      } else {
        VectorMath.map(x, dx, 0..<vocabulary) { xv in
          scale * VectorMath.exp(xv - m - logSum) - uniform
        }
      }
      dx[target] -= onTarget
    }
  }
}

/// Traps unless every target is in `0..<vocabularySize` or is `ignoreIndex`: an out-of-range id
/// would read outside the logits.
private func checkTargets(
  _ targets: UnsafePointer<Int>, rows: Int, vocabularySize: Int, ignoreIndex: Int?
) {
  for r in 0..<rows {
    let target = targets[r]
    kernelPrecondition(
      target == ignoreIndex || (target >= 0 && target < vocabularySize),
      "crossEntropy: target \(target) at row \(r) is outside the vocabulary 0..<\(vocabularySize) "
        + "and is not the ignore index \(ignoreIndex.map(String.init) ?? "nil")")
  }
}

/// The reference label-smoothed cross-entropy, in `Double`, one element at a time; same contract
/// as `crossEntropyForward` without the cache.
public func crossEntropyForwardReference(
  logits: UnsafePointer<Float>, targets: UnsafePointer<Int>, rows: Int, vocabularySize: Int,
  labelSmoothing: Float = 0, ignoreIndex: Int? = nil
) -> CrossEntropyTotals {
  var totals = CrossEntropyTotals(loss: 0, negativeLogLikelihood: 0, count: 0)
  let epsilon = Double(labelSmoothing)
  for r in 0..<rows where targets[r] != ignoreIndex {
    let row = (0..<vocabularySize).map { Double(logits[r * vocabularySize + $0]) }
    let m = row.max()!
    let logSumExp = m + Foundation.log(row.map { Foundation.exp($0 - m) }.reduce(0, +))
    var loss = 0.0
    for v in 0..<vocabularySize {
      let q = (v == targets[r] ? 1 - epsilon : 0) + epsilon / Double(vocabularySize)
      loss -= q * (row[v] - logSumExp)
    }
    totals.loss += loss
    totals.negativeLogLikelihood += logSumExp - row[targets[r]]
    totals.count += 1
  }
  return totals
}

/// A cross-entropy forward's totals and the cache its backward reads.
public struct CrossEntropyOutput {
  /// The summed loss, summed NLL and counted rows.
  public var totals: CrossEntropyTotals
  /// `[N, 2]`: (max, log Σ exp(x − max)) of each row of the logits.
  public var statistics: Tensor
}

/// Label-smoothed cross-entropy of `logits` (`[…, V]`, rows N = product of the leading
/// dimensions) against `targets` (N ids); see `crossEntropyForward`.
public func crossEntropy(
  logits: Tensor, targets: [Int], labelSmoothing: Float = 0, ignoreIndex: Int? = nil
) -> CrossEntropyOutput {
  let (rows, vocabulary) = crossEntropySizes(logits, targets, "crossEntropy")
  var statistics = Tensor(uninitializedShape: [rows, 2])
  guard rows > 0 else {
    return CrossEntropyOutput(
      totals: CrossEntropyTotals(loss: 0, negativeLogLikelihood: 0, count: 0),
      statistics: statistics)
  }
  let totals = statistics.withUnsafeMutableBufferPointer { stats in
    targets.withUnsafeBufferPointer { ids in
      crossEntropyForward(
        logits: logits.storage.pointer, targets: ids.baseAddress!, rows: rows,
        vocabularySize: vocabulary,
        labelSmoothing: labelSmoothing, ignoreIndex: ignoreIndex, statistics: stats.baseAddress!)
    }
  }
  return CrossEntropyOutput(totals: totals, statistics: statistics)
}

/// Label-smoothed cross-entropy of `logits` (`[…, V]`) against `targets`, and at once its
/// gradient `gradientScale · (softmax − q)` with respect to the logits (0 on ignored rows), for a
/// loss that will certainly be differentiated; see `crossEntropyForward`.
///
/// - Returns: the totals and the gradient, of the logits' shape.
public func crossEntropyWithGradient(
  logits: Tensor, targets: [Int], labelSmoothing: Float = 0, ignoreIndex: Int? = nil,
  gradientScale: Float
) -> (totals: CrossEntropyTotals, gradient: Tensor) {
  let (rows, vocabulary) = crossEntropySizes(logits, targets, "crossEntropyWithGradient")
  var gradient = Tensor(uninitializedShape: logits.shape)
  var statistics = Tensor(uninitializedShape: [rows, 2])
  guard rows > 0 else {
    return (CrossEntropyTotals(loss: 0, negativeLogLikelihood: 0, count: 0), gradient)
  }
  let totals = statistics.withUnsafeMutableBufferPointer { stats in
    gradient.withUnsafeMutableBufferPointer { dx in
      targets.withUnsafeBufferPointer { ids in
        crossEntropyForward(
          logits: logits.storage.pointer, targets: ids.baseAddress!, rows: rows,
          vocabularySize: vocabulary, labelSmoothing: labelSmoothing, ignoreIndex: ignoreIndex,
          statistics: stats.baseAddress!, gradient: dx.baseAddress!, gradientScale: gradientScale)
      }
    }
  }
  return (totals, gradient)
}

/// `logitsGradient (+)= scale · (softmax − q)` on counted rows; see `crossEntropyBackward`.
public func crossEntropyBackward(
  logits: Tensor, targets: [Int], statistics: Tensor, labelSmoothing: Float = 0,
  ignoreIndex: Int? = nil,
  scale: Float, into logitsGradient: inout Tensor, accumulate: Bool
) {
  let (rows, vocabulary) = crossEntropySizes(logits, targets, "crossEntropyBackward")
  kernelPrecondition(
    statistics.shape == [rows, 2] && logitsGradient.shape == logits.shape,
    "crossEntropyBackward: statistics \(statistics.shape) must be [\(rows), 2] and the gradient "
      + "\(logitsGradient.shape) must equal the logits' \(logits.shape)")
  guard rows > 0 else { return }
  logitsGradient.withUnsafeMutableBufferPointer { dx in
    targets.withUnsafeBufferPointer { ids in
      crossEntropyBackward(
        logits: logits.storage.pointer, targets: ids.baseAddress!,
        statistics: statistics.storage.pointer,
        rows: rows, vocabularySize: vocabulary, labelSmoothing: labelSmoothing,
        ignoreIndex: ignoreIndex,
        scale: scale, into: dx.baseAddress!, accumulate: accumulate)
    }
  }
}

private func crossEntropySizes(_ logits: Tensor, _ targets: [Int], _ name: String) -> (
  rows: Int, vocabulary: Int
) {
  kernelPrecondition(logits.rank >= 1, "\(name): logits need rank ≥ 1, got \(logits.shape)")
  let vocabulary = logits.shape[logits.rank - 1]
  let rows = vocabulary == 0 ? 0 : logits.count / vocabulary
  kernelPrecondition(
    targets.count == rows && vocabulary > 0,
    "\(name): \(targets.count) targets for logits \(logits.shape) (\(rows) rows of V = \(vocabulary))"
  )
  return (rows, vocabulary)
}
