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
/// Recorded, the forward also computes the gradient with respect to the logits (one pass over
/// them instead of two), which the backward then only scales by the upstream gradient.
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
  // The mean over no counted position is defined as 0 (a batch of padding), not 0/0.
  let counted =
    ignoreIndex.map { ignored in targets.count(where: { $0 != ignored }) } ?? targets.count
  let divisor: Double = reduction == .sum ? 1 : Double(max(counted, 1))
  guard Tape.isRecording && logits.requiresGradient else {
    let totals = crossEntropy(
      logits: logits.value, targets: targets, labelSmoothing: labelSmoothing,
      ignoreIndex: ignoreIndex
    ).totals
    return (Variable(Tensor(shape: [], scalars: [Float(totals.loss / divisor)])), totals)
  }
  // Recorded, so backward will need d(loss)/d(logits) = (softmax − q)/divisor on counted rows:
  // the forward writes it while each row is in the cache (see CrossEntropy.swift), and the
  // logits need not be kept.
  let (totals, gradient) = crossEntropyWithGradient(
    logits: logits.value, targets: targets, labelSmoothing: labelSmoothing,
    ignoreIndex: ignoreIndex, gradientScale: Float(1 / divisor))  // [N, V]
  let value = Tensor(shape: [], scalars: [Float(totals.loss / divisor)])
  guard let tape = Tape.active(logits), let dLogits = logits.cell else {
    return (Variable(value), totals)
  }
  let loss = tape.append("crossEntropy", value) { g in
    // The upstream gradient of the scalar loss: 1 from a plain backward.
    let upstream = g[flat: 0]
    if upstream == 1 {
      dLogits.accumulate(gradient, from: "crossEntropy")
    } else {
      dLogits.update(from: "crossEntropy") { dLogits, accumulate in
        if accumulate {
          dLogits.addScaled(gradient, scale: upstream)
        } else {
          dLogits = upstream * gradient
        }
      }
    }
  }
  return (loss, totals)
}
