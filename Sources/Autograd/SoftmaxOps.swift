import Tensors

/// Softmax over the last dimension of `scores`, after multiplying them by `scale`, with the keys
/// that `mask` hides given probability exactly 0.
///
/// A row in which every key is hidden (a query of a batch element whose key length is 0)
/// becomes all zeros, and its gradient is all zeros: never NaN. Scores of any magnitude are safe
/// (the row maximum is subtracted before exponentiating).
///
/// - Parameters:
///   - scores: `[B, H, T, S]` (or `[B, T, S]`, `[T, S]`, `[S]`), one row of S keys per query.
///   - scale: 1/√K in attention.
///   - mask: key lengths or a key-padding matrix per batch element, and/or a causal offset.
/// - Returns: the probabilities, `scores`' shape.
public func softmax(_ scores: Variable, scale: Float = 1, mask: AttentionMask = .none) -> Variable {
  let probabilities = softmax(scores.value, scale: scale, mask: mask)
  guard let tape = Tape.active(scores), let dScores = scores.cell else {
    return Variable(probabilities)
  }
  // dScores = scale · y ⊙ (dy − Σ y·dy): only the probabilities are needed, and they are 0
  // wherever the mask hid a key, so the mask is not kept.
  return tape.append("softmax", probabilities) { g in
    dScores.update(from: "softmax") { dScores, accumulate in
      softmaxBackward(
        probabilities: probabilities, outputGradient: g, scale: scale, into: &dScores,
        accumulate: accumulate)
    }
  }
}

/// Log-softmax over the last dimension: `x − logsumexp(x)` per row, stable for any finite
/// logits. (For the training loss use the fused `crossEntropy`, which never writes `[N, V]`.)
///
/// - Parameter x: `[…, V]`.
/// - Returns: `[…, V]` log-probabilities.
public func logSoftmax(_ x: Variable) -> Variable {
  let output = logSoftmax(x.value)
  guard let tape = Tape.active(x), let dx = x.cell else { return Variable(output) }
  // dx = dy − softmax(x)·Σ dy, from the output alone.
  return tape.append("logSoftmax", output) { g in
    dx.update(from: "logSoftmax") { dx, accumulate in
      logSoftmaxBackward(output: output, outputGradient: g, into: &dx, accumulate: accumulate)
    }
  }
}
