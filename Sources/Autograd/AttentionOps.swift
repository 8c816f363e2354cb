import Tensors

/// Watches one attention op (for `transformer-cli trace` and `attention`): receives the scaled
/// scores `Q·Kᵀ/√K`, the same with the masked keys set to −∞, and the probabilities after the
/// softmax, all `[B, H, T, S]`. Called once per op, after the softmax; without an observer
/// nothing is copied.
public typealias AttentionObserver = (
  _ scores: Tensor, _ maskedScores: Tensor, _ probabilities: Tensor
) -> Void

/// Scaled dot-product attention (Vaswani et al. §3.2.1), fused into one recorded operation:
/// `softmax(q·kᵀ/√K, mask) · v` for every batch element and head.
///
/// Fusing keeps only the probabilities `[B, H, T, S]` for the backward (the scores are turned
/// into probabilities in place and never stored). A query whose keys are all masked attends to
/// nothing: its output row and its gradients are 0, never NaN.
///
/// - Parameters:
///   - query: `[B, H, T, K]`.
///   - key: `[B, G, S, K]`, G dividing H: query head h reads key/value head h / (H/G)
///     (grouped-query attention, Ainslie et al. 2023; G = H is the paper's).
///   - value: `[B, G, S, K]`.
///   - mask: which keys each query sees: source key lengths (padding) and/or causal.
///   - alibiSlopes: `[H]`: ALiBi (Press et al. 2022) adds −slope[h]·|i − s| to the scaled score
///     of query position i = t + (causalOffset ?? 0) and key s (see `addALiBiBias`).
///   - observer: receives the scores and probabilities (see `AttentionObserver`).
/// - Returns: `[B, H, T, K]`.
public func attention(
  query: Variable, key: Variable, value: Variable, mask: AttentionMask = .none,
  alibiSlopes: [Float]? = nil, observer: AttentionObserver? = nil
) -> Variable {
  scaledDotProductAttention(
    query, key, value, mask: mask, alibiSlopes: alibiSlopes, dropout: nil, observer: observer)
}

/// Scaled dot-product attention with inverted dropout on the attention probabilities (as
/// tensor2tensor's `attention_dropout`), drawn from `generator` in training.
///
/// The dropout mask is a pure function of one seed drawn here, so the backward regenerates it.
/// Outside training, or with p = 0, this is `attention(query:key:value:mask:)` and draws nothing.
///
/// - Parameters:
///   - query: `[B, H, T, K]`.
///   - key: `[B, G, S, K]`, G dividing H.
///   - value: `[B, G, S, K]`.
///   - mask: which keys each query sees.
///   - alibiSlopes: `[H]`, the ALiBi bias (see above).
///   - dropout: p in [0, 1), applied to the probabilities `[B, H, T, S]`.
///   - observer: receives the scores and the probabilities before dropout.
/// - Returns: `[B, H, T, K]`.
public func attention(
  query: Variable, key: Variable, value: Variable, mask: AttentionMask = .none,
  alibiSlopes: [Float]? = nil, dropout probability: Float,
  isTraining: Bool = true, using generator: inout RandomGenerator,
  observer: AttentionObserver? = nil
) -> Variable {
  guard isTraining && probability > 0 else {
    return scaledDotProductAttention(
      query, key, value, mask: mask, alibiSlopes: alibiSlopes, dropout: nil, observer: observer)
  }
  return scaledDotProductAttention(
    query, key, value, mask: mask, alibiSlopes: alibiSlopes,
    dropout: (probability, generator.next()), observer: observer)
}

/// Grouped-query inputs: the G key/value heads repeated to H (a recorded op whose backward
/// sums the copies), then the fused op.
private func scaledDotProductAttention(
  _ q: Variable, _ k: Variable, _ v: Variable, mask: AttentionMask, alibiSlopes: [Float]?,
  dropout: (probability: Float, seed: UInt64)?, observer: AttentionObserver?
) -> Variable {
  precondition(
    q.value.rank == 4 && k.value.rank == 4 && k.shape[1] >= 1 && q.shape[1] % k.shape[1] == 0,
    "attention: query \(q.shape) and key \(k.shape) must be [B, H, T, K], [B, G, S, K] with G "
      + "dividing H")
  let repeats = q.shape[1] / k.shape[1]
  return fusedAttention(
    q, repeatHeads(k, repeats: repeats), repeatHeads(v, repeats: repeats), mask: mask,
    alibiSlopes: alibiSlopes, dropout: dropout, observer: observer)
}

/// The fused forward and its pullback.
private func fusedAttention(
  _ q: Variable, _ k: Variable, _ v: Variable, mask: AttentionMask, alibiSlopes: [Float]?,
  dropout: (probability: Float, seed: UInt64)?, observer: AttentionObserver?
) -> Variable {
  precondition(
    q.value.rank == 4 && k.value.rank == 4 && v.value.rank == 4
      && q.shape[0..<2] == k.shape[0..<2] && k.shape[0..<3] == v.shape[0..<3]
      && q.shape[3] == k.shape[3],
    "attention: query \(q.shape), key \(k.shape) and value \(v.shape) must be [B, H, T, K], [B, H, S, K], "
      + "[B, H, S, K]")
  let (batch, heads, queries, keys) = (q.shape[0], q.shape[1], q.shape[2], k.shape[2])
  let scale = attentionScale(headSize: q.shape[3])  // 1/√K
  let count = batch * heads * queries * keys

  // Scores, then probabilities in the same buffer.
  var probabilities = matmul(q.value, k.value, transposeB: true)  // [B, H, T, S]
  // With ALiBi the scores are scaled and biased here and the softmax scales by 1. The bias is
  // a constant, so the backward (gradient of the raw q·kᵀ, times `scale`) is unchanged.
  var softmaxScale = scale
  if let alibiSlopes {
    probabilities.withUnsafeMutableBufferPointer { p in
      addALiBiBias(
        p.baseAddress!, batch: batch, heads: heads, queries: queries, keys: keys,
        slopes: alibiSlopes, queryOffset: mask.causalOffset ?? 0, scale: scale)
    }
    softmaxScale = 1
  }
  let observedScores = observer.map { _ in
    scaledScores(probabilities, scale: softmaxScale, mask: mask)  // [B, H, T, S] twice, copies
  }
  probabilities.withUnsafeMutableBufferPointer { p in
    softmaxForward(
      p.baseAddress!, into: p.baseAddress!, batch: batch, heads: heads, queries: queries,
      keys: keys, scale: softmaxScale, mask: mask)
  }
  if let observer, let (scores, masked) = observedScores {
    observer(scores, masked, probabilities)
  }
  var attended = probabilities  // [B, H, T, S], after dropout
  if let dropout {
    var keep = Tensor(uninitializedShape: probabilities.shape)  // 0 or 1/(1 − p), then dropped
    attended = Tensor(uninitializedShape: probabilities.shape)
    attended.withUnsafeMutableBufferPointer { a in
      keep.withUnsafeMutableBufferPointer { m in
        dropoutForward(
          probabilities.storage.pointer, into: a.baseAddress!, mask: m.baseAddress!, count: count,
          probability: dropout.probability, seed: dropout.seed)
      }
    }
  }
  let output = matmul(attended, v.value)  // [B, H, T, K]
  guard let tape = Tape.active(q, k, v) else { return Variable(output) }
  let (dq, dk, dv) = (q.cell, k.cell, v.cell)
  // Kept: P always; v when the scores need a gradient; q for dk and k for dq.
  let needsScores = dq != nil || dk != nil
  let (query, key, value) = (
    dk != nil ? q.value : nil, dq != nil ? k.value : nil, needsScores ? v.value : nil
  )

  return tape.append("attention", output) { g in
    // With A the (dropped-out) probabilities and P before dropout:
    //   dv = Aᵀ·G,  dA = G·vᵀ,  dP = dA ⊙ mask,  dScores = softmax backward of dP,
    //   dq = dScores·k,  dk = dScoresᵀ·q.
    var keep: Tensor? = nil  // [B, H, T, S], the forward's dropout mask, drawn again
    if let dropout {
      var mask = Tensor(uninitializedShape: probabilities.shape)
      mask.withUnsafeMutableBufferPointer { m in
        dropoutMask(
          into: m.baseAddress!, count: count, probability: dropout.probability, seed: dropout.seed)
      }
      keep = mask
    }
    if let dv {
      let attended = keep.map { probabilities * $0 } ?? probabilities  // [B, H, T, S]
      dv.update(from: "attention") { dv, accumulate in
        matmul(attended, g, transposeA: true, into: &dv, accumulate: accumulate)
      }
    }
    guard needsScores, let value else { return }
    var gradient = matmul(g, value, transposeB: true)  // [B, H, T, S]: dA, then dP, then dScores
    gradient.withUnsafeMutableBufferPointer { d in
      let d = d.baseAddress!
      if let keep { vectorMultiply(d, keep.storage.pointer, into: d, count: count) }
      // In place: each row's Σ P·dP is taken before the row is overwritten.
      softmaxBackward(
        probabilities: probabilities.storage.pointer, outputGradient: UnsafePointer(d), into: d,
        rows: batch * heads * queries, columns: keys, scale: scale, accumulate: false)
    }
    if let dq, let key {
      dq.update(from: "attention") { dq, accumulate in
        matmul(gradient, key, into: &dq, accumulate: accumulate)  // [B, H, T, S]·[B, H, S, K]
      }
    }
    if let dk, let query {
      dk.update(from: "attention") { dk, accumulate in
        // [B, H, S, T]·[B, H, T, K]
        matmul(gradient, query, transposeA: true, into: &dk, accumulate: accumulate)
      }
    }
  }
}

/// For an observer: `scale·scores`, and the same with the keys `mask` hides set to −∞, the keys
/// the softmax kernel hides (beyond a key length, after the causal offset, or marked padding).
private func scaledScores(_ scores: Tensor, scale: Float, mask: AttentionMask)
  -> (scaled: Tensor, masked: Tensor)
{
  let (batch, heads, queries, keys) = (
    scores.shape[0], scores.shape[1], scores.shape[2], scores.shape[3]
  )
  var scaled = scores  // [B, H, T, S]
  scaled.withUnsafeMutableBufferPointer { s in
    for index in s.indices { s[index] *= scale }
  }
  var masked = scaled  // [B, H, T, S]
  masked.withUnsafeMutableBufferPointer { m in
    for row in 0..<(batch * heads * queries) {
      let (b, t) = (row / (heads * queries), row % queries)
      var end = keys
      if let lengths = mask.keyLengths { end = min(end, lengths[b]) }
      if let offset = mask.causalOffset { end = min(end, max(0, t + offset + 1)) }
      for s in 0..<keys {
        let hidden = s >= end || mask.keyIsPadding?[b * keys + s] == true
        if hidden { m[row * keys + s] = -.infinity }
      }
    }
  }
  return (scaled, masked)
}
