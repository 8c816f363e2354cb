import Tensors

/// How a loss over many target positions is reduced to the scalar that backward starts from.
public enum LossReduction: Sendable {
  /// The mean over the counted (non-ignored) positions; 0, with gradient 0, when none is counted.
  case mean
  /// The sum over the counted positions.
  case sum
}

/// Log-softmax fused with label-smoothed cross-entropy (Szegedy et al., 2016, §7), positions
/// whose target is `ignoreIndex` (padding) skipped.
///
/// The target distribution is `q = (1 − ε)·onehot(target) + ε/V` (PyTorch's convention), so a
/// counted position's loss is `−Σ_v q_v·log softmax(logits)_v`. Ignored positions add nothing to
/// the loss or the count, and their logits get a gradient of exactly 0. Logits of any finite
/// magnitude (±1e4) give a finite loss and gradient.
///
/// - Parameters:
///   - logits: `[…, V]`, e.g. `[B, T, V]`; one row per target position.
///   - targets: one id per row (`B·T`), in `0..<V` or equal to `ignoreIndex`.
///   - labelSmoothing: ε in [0, 1).
///   - ignoreIndex: the padding id, or nil to count every position.
///   - reduction: mean (the training loss) or sum over the counted positions.
/// - Returns: the scalar loss (shape `[]`) and the totals (summed loss, summed unsmoothed
///   negative log-likelihood for perplexity, counted positions).
public func crossEntropy(
  logits: Variable, targets: [Int], labelSmoothing: Float = 0, ignoreIndex: Int? = nil,
  reduction: LossReduction = .mean
) -> (loss: Variable, totals: CrossEntropyTotals) {
  let output = crossEntropy(
    logits: logits.value, targets: targets, labelSmoothing: labelSmoothing, ignoreIndex: ignoreIndex
  )
  let totals = output.totals
  // The mean over no counted position is defined as 0 (a batch of padding), not 0/0.
  let divisor: Double = reduction == .sum ? 1 : Double(max(totals.count, 1))
  let value = Tensor(shape: [], scalars: [Float(totals.loss / divisor)])
  guard let tape = Tape.active(logits), let dLogits = logits.cell else {
    return (Variable(value), totals)
  }
  let (input, statistics) = (logits.value, output.statistics)  // [N, V], [N, 2]
  let loss = tape.append("crossEntropy", value) { g in
    // d(loss)/d(logits) = (softmax − q) on counted rows, times g / divisor.
    let scale = g[flat: 0] / Float(divisor)
    dLogits.update(from: "crossEntropy") { dLogits, accumulate in
      crossEntropyBackward(
        logits: input, targets: targets, statistics: statistics,
        labelSmoothing: labelSmoothing,
        ignoreIndex: ignoreIndex, scale: scale, into: &dLogits, accumulate: accumulate)
    }
  }
  return (loss, totals)
}
