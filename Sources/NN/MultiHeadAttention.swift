import Autograd
import Tensors

/// Multi-head scaled dot-product attention (Vaswani et al. §3.2.2):
/// `MultiHead(Q, K, V) = Concat(head₁, …, head_H)·W_O` with
/// `headᵢ = Attention(Q·W_Qᵢ, K·W_Kᵢ, V·W_Vᵢ)`.
///
/// The H per-head projections of width K = D/H are stored side by side as one `[D, D]` matrix
/// per role (query, key, value), split into heads after the product. Self-attention takes its
/// queries, keys and values from one sequence; cross-attention (the decoder's second sub-layer,
/// §3.2.3) takes keys and values from the encoder output `memory`.
///
/// Beyond the paper: with G < H key/value heads (grouped-query attention, Ainslie et al. 2023;
/// G = 1 is multi-query attention, Shazeer 2019) W_K and W_V are `[D, G·K]` and query head h
/// reads key/value head h / (H/G). A self-attention may rotate its queries and keys by position
/// (`rotary`, RoPE) or bias its scores by distance (`alibiSlopes`, ALiBi).
///
/// Shapes: B batch, T query positions, S key positions, D width, H heads, G key/value heads,
/// K = D/H.
public struct MultiHeadAttention {
  /// W_Q with bias: `[D, D]`, named `<name>.query`.
  public let query: Linear
  /// W_K with bias: `[D, G·K]`, named `<name>.key`.
  public let key: Linear
  /// W_V with bias: `[D, G·K]`, named `<name>.value`.
  public let value: Linear
  /// W_O with bias: `[D, D]`, named `<name>.output`.
  public let output: Linear
  /// H.
  public let headCount: Int
  /// G, dividing H: the key/value heads.
  public let keyValueHeadCount: Int
  /// Whether queries and keys are rotated by position (RoPE, Su et al. 2021) before the scores.
  public let rotary: Bool
  /// `[H]`: the ALiBi slopes (Press et al. 2022) whose −m_h·|i − j| is added to the scores;
  /// nil for none.
  public let alibiSlopes: [Float]?
  /// Dropout on the attention probabilities in training.
  public let attentionDropout: Float
  /// Which kernel computes the attention (`model.attention`); `auto` decides per call.
  public let implementation: AttentionImplementation
  /// W, for decoder self-attention: a query at position i sees keys i − W < j ≤ i
  /// (`model.attention_window`); nil for every key the mask allows.
  public let window: Int?

  /// Attention of width `modelWidth` with `headCount` heads, Xavier-uniform projections.
  ///
  /// - Parameters:
  ///   - name: the prefix of the parameters' checkpoint names, e.g.
  ///     `encoder.layers.0.self_attention`.
  ///   - modelWidth: D, divisible by `headCount`.
  ///   - headCount: H.
  ///   - attentionDropout: p of the dropout on the probabilities `[B, H, T, S]`.
  ///   - implementation: the attention kernel, standard by default.
  ///   - window: the sliding window of a causal self-attention, nil for none.
  ///   - keyValueHeadCount: G, dividing H; H when nil.
  ///   - rotary: rotate queries and keys by position (self-attention only).
  ///   - alibiSlopes: `[H]`, the ALiBi bias (self-attention only); nil for none.
  ///   - generator: draws the weights, in the order query, key, value, output.
  public init(
    name: String, modelWidth: Int, headCount: Int, attentionDropout: Float = 0,
    implementation: AttentionImplementation = .standard, window: Int? = nil,
    keyValueHeadCount: Int? = nil, rotary: Bool = false, alibiSlopes: [Float]? = nil,
    using generator: inout RandomGenerator
  ) {
    let keyValueHeadCount = keyValueHeadCount ?? headCount
    precondition(
      headCount > 0 && modelWidth % headCount == 0 && keyValueHeadCount > 0
        && headCount % keyValueHeadCount == 0,
      "MultiHeadAttention: width \(modelWidth) is not divisible by \(headCount) heads, or "
        + "\(keyValueHeadCount) key/value heads do not divide them")
    precondition(
      !rotary || (modelWidth / headCount) % 2 == 0,
      "MultiHeadAttention: rotary embedding needs an even head size")
    precondition(
      alibiSlopes == nil || alibiSlopes!.count == headCount,
      "MultiHeadAttention: \(alibiSlopes?.count ?? 0) ALiBi slopes for \(headCount) heads")
    let keyValueWidth = modelWidth / headCount * keyValueHeadCount  // G·K
    func projection(_ role: String, outputWidth: Int) -> Linear {
      Linear(
        name: "\(name).\(role)", inputWidth: modelWidth, outputWidth: outputWidth,
        using: &generator)
    }
    query = projection("query", outputWidth: modelWidth)
    key = projection("key", outputWidth: keyValueWidth)
    value = projection("value", outputWidth: keyValueWidth)
    output = projection("output", outputWidth: modelWidth)
    self.headCount = headCount
    self.keyValueHeadCount = keyValueHeadCount
    self.rotary = rotary
    self.alibiSlopes = alibiSlopes
    self.attentionDropout = attentionDropout
    self.implementation = implementation
    self.window = window
  }

  /// The query, key, value and output projections' weights and biases.
  public var parameters: [Variable] {
    query.parameters + key.parameters + value.parameters + output.parameters
  }

  /// Attends from each position of `x` over `memory` (cross-attention) or over `x` itself
  /// (self-attention, when `memory` is nil).
  ///
  /// - Parameters:
  ///   - x: the queries' sequence, `[B, T, D]`.
  ///   - memory: the keys' and values' sequence, `[B, S, D]`; `x` when nil.
  ///   - mask: which keys each query sees: key lengths for padding, a causal offset in the
  ///     decoder's self-attention.
  ///   - context: training flag and dropout generator.
  /// - Returns: `[B, T, D]`.
  public func callAsFunction(
    _ x: Variable, memory: Variable? = nil, mask: AttentionMask, context: inout ForwardContext
  ) -> Variable {
    let source = memory ?? x  // [B, S, D]
    // The trace's letters for the query and key positions ("" when not tracing).
    let t = context.sequenceAxis
    let s = memory == nil ? t : (context.trace == nil ? "" : "S")
    let projectedQuery = query(x)  // [B, T, D]
    context.record("Q = X·W_Q + b_Q (§3.2.2)", "[B, \(t), D]", projectedQuery.value)
    // With G < H key/value heads the K and V widths are G·K ("D" in the paper's own case).
    let (kv, g) = keyValueHeadCount == headCount ? ("D", "H") : ("G·K", "G")
    let projectedKey = key(source)  // [B, S, G·K]
    context.record("K = X·W_K + b_K", "[B, \(s), \(kv)]", projectedKey.value)
    let projectedValue = value(source)  // [B, S, G·K]
    context.record("V = X·W_V + b_V", "[B, \(s), \(kv)]", projectedValue.value)
    var q = splitHeads(projectedQuery, heads: headCount)  // [B, H, T, K]
    context.record("split heads Q", "[B, \(t), D] → [B, H, \(t), K]", q.value)
    var k = splitHeads(projectedKey, heads: keyValueHeadCount)  // [B, G, S, K]
    context.record("split heads K", "[B, \(s), \(kv)] → [B, \(g), \(s), K]", k.value)
    let v = splitHeads(projectedValue, heads: keyValueHeadCount)  // [B, G, S, K]
    context.record("split heads V", "[B, \(s), \(kv)] → [B, \(g), \(s), K]", v.value)
    if rotary {
      q = rotaryEmbedding(q)  // [B, H, T, K]
      // Row t of Q and row j of K are at positions t and j: RoPE's angles (Su et al. eq. 34).
      context.record(
        "RoPE: rotate Q pairs (2i, 2i+1) by position·θ_i, θ_i = 10000^(−2i/K)",
        "[B, H, \(t), K]", q.value)
      k = rotaryEmbedding(k)  // [B, G, S, K]
      context.record("RoPE: rotate K pairs by position·θ_i", "[B, \(g), \(s), K]", k.value)
    }
    let observer: AttentionObserver? =
      context.trace == nil
      ? nil
      : { [context] scores, maskedScores, probabilities in
        let shape = "[B, H, \(t), \(s)]"
        context.record(
          alibiSlopes == nil
            ? "scores Q·Kᵀ/√K (§3.2.1)" : "scores Q·Kᵀ/√K − m_h·|i − j| (ALiBi)", shape, scores)
        context.record(
          mask.causalOffset == nil
            ? "mask: padding keys → −∞" : "mask: future and padding keys → −∞", shape, maskedScores)
        context.record(ForwardTrace.attentionProbabilities, shape, probabilities)
      }
    let kernel = AttentionKernelChoice.resolve(
      implementation, queries: q.shape[2], keys: k.shape[2], headSize: q.shape[3],
      causal: mask.causalOffset != nil, window: window)
    let heads: Variable  // [B, H, T, K]
    // A trace needs the probabilities, which only the standard kernel stores: `trace` and
    // `attention` run one sentence, so the [B, H, T, S] matrix is small there. The window has
    // no standard form, so a windowed layer stays memory-efficient and records no weights.
    if kernel == .memoryEfficient && (observer == nil || window != nil) {
      if attentionDropout > 0 && context.isTraining {
        heads = memoryEfficientAttention(
          query: q, key: k, value: v, mask: mask, alibiSlopes: alibiSlopes, window: window,
          dropout: attentionDropout, using: &context.generator)
      } else {
        heads = memoryEfficientAttention(
          query: q, key: k, value: v, mask: mask, alibiSlopes: alibiSlopes, window: window)
      }
    } else if attentionDropout > 0 && context.isTraining {
      heads = attention(
        query: q, key: k, value: v, mask: mask, alibiSlopes: alibiSlopes,
        dropout: attentionDropout, using: &context.generator, observer: observer)
    } else {
      heads = attention(
        query: q, key: k, value: v, mask: mask, alibiSlopes: alibiSlopes, observer: observer)
    }
    context.record("× V: softmax(·)·V per head", "[B, H, \(t), K]", heads.value)
    let merged = mergeHeads(heads)  // [B, T, D]
    context.record("merge heads (Concat)", "[B, H, \(t), K] → [B, \(t), D]", merged.value)
    let projected = output(merged)  // [B, T, D]
    context.record("output projection ·W_O + b_O", "[B, \(t), D]", projected.value)
    return projected
  }

  // MARK: Incremental decoding

  /// Self-attention of one new position per row over the cached positions and itself, without
  /// recording: appends the new position's keys and values to `cache`, then attends.
  ///
  /// - Parameters:
  ///   - x: the new position of every row, `[R, D]`.
  ///   - cache: this layer's keys and values `[R, G, C, K]`, one position longer afterwards.
  ///   - mask: `.causal(offset: cache.length)` as the cache was before the call: the new
  ///     position sees every earlier one and itself, as the causal mask of training lets it.
  ///   - packed: where the projections' packed copies are looked up.
  /// - Returns: `[R, D]`.
  public func callAsFunction(
    step x: Tensor, cache: inout KeyValueCache.Layer, mask: AttentionMask,
    packed: PackedWeights? = nil
  ) -> Tensor {
    // With one position, [R, 1, H·K] and [R, H, 1, K] are the same memory: the query needs no
    // split, and the cache splits the keys and values into its [R, G, C, K] layout.
    var q = query(step: x, packed: packed)  // [R, H, K]
    var k = key(step: x, packed: packed)  // [R, G, K]
    if rotary {
      // The new position is the cache's length, as row t of training is at position t.
      rotateInPlace(&q, position: cache.length)
      rotateInPlace(&k, position: cache.length)
    }
    cache.append(keys: k, values: value(step: x, packed: packed))
    guard let window, cache.length > window else {
      return attend(q, over: cache, mask: mask, packed: packed)  // [R, D]
    }
    // The new position i = length − 1 sees keys i − W < j ≤ i, as the windowed kernel of
    // training does: the older keys count as padding.
    let (rows, length) = (cache.rowCount, cache.length)
    var outside = [Bool](repeating: false, count: rows * length)
    for row in 0..<rows {
      for j in 0..<(length - window) { outside[row * length + j] = true }
    }
    let windowed = AttentionMask(
      keyLengths: mask.keyLengths, keyIsPadding: outside, causalOffset: mask.causalOffset)
    return attend(q, over: cache, mask: windowed, packed: packed)  // [R, D]
  }

  /// Attention of one new position per row over the encoder output, whose keys and values
  /// `cachedKeysAndValues(of:)` projected once, without recording.
  ///
  /// - Parameters:
  ///   - x: the new position of every row, `[R, D]`, R = B·W rows grouped by sentence.
  ///   - memory: the keys and values of the B sentences, `[B, G, S, K]`.
  ///   - mask: the source key lengths `[B]`.
  ///   - packed: where the projections' packed copies are looked up.
  /// - Returns: `[R, D]`.
  public func callAsFunction(
    step x: Tensor, memory: KeyValueCache.Layer, mask: AttentionMask,
    packed: PackedWeights? = nil
  ) -> Tensor {
    attend(query(step: x, packed: packed), over: memory, mask: mask, packed: packed)  // [R, D]
  }

  /// The keys and values of `memory` split into heads, for `callAsFunction(step:memory:…)`:
  /// the projections of the training path, once per batch.
  ///
  /// - Parameter memory: the encoder output, `[B, S, D]`.
  /// - Returns: a full cache layer `[B, G, S, K]`.
  public func cachedKeysAndValues(of memory: Tensor) -> KeyValueCache.Layer {
    Tape.withoutRecording {
      let source = Variable(memory)  // [B, S, D]
      return KeyValueCache.Layer(
        keys: splitHeads(key(source).value, heads: keyValueHeadCount),  // [B, G, S, K]
        values: splitHeads(value(source).value, heads: keyValueHeadCount))  // [B, G, S, K]
    }
  }

  /// Rotates the heads of one position per row, `[R, H·K]` (or `[R, G·K]`), by `position`.
  private func rotateInPlace(_ x: inout Tensor, position: Int) {
    let headSize = query.outputWidth / headCount
    let sequences = x.count / headSize
    x.withUnsafeMutableBufferPointer { x in
      guard let base = x.baseAddress else { return }
      rotaryEmbedding(
        base, into: base, sequences: sequences, length: 1, headSize: headSize,
        positionOffset: position)
    }
  }

  /// `softmax(q·Kᵀ/√K)·V` of each row's query `[R, H, K]` over the written positions of
  /// `cache` (row r reading group r / (R/G), query head h key/value head h / (H/G)), then the
  /// output projection.
  private func attend(
    _ q: Tensor, over cache: KeyValueCache.Layer, mask: AttentionMask, packed: PackedWeights?
  ) -> Tensor {
    let rows = q.shape[0]
    precondition(
      q.shape == [rows, headCount * cache.headSize] && cache.headCount == keyValueHeadCount
        && cache.rowCount > 0 && rows % cache.rowCount == 0,
      "MultiHeadAttention: queries \(q.shape) do not fit a cache of \(cache.rowCount) rows, "
        + "\(cache.headCount)×\(cache.headSize)")
    var context = Tensor(uninitializedShape: q.shape)  // [R, H, K]
    context.withUnsafeMutableBufferPointer { context in
      singleQueryAttention(
        query: q.storage.pointer, keys: cache.keys.pointer, values: cache.values.pointer,
        into: context.baseAddress!, rows: rows, groups: cache.rowCount, heads: headCount,
        headSize: cache.headSize, capacity: cache.capacity, keyCount: cache.length, mask: mask,
        keyValueHeads: keyValueHeadCount, alibiSlopes: alibiSlopes)
    }
    // [R, H, K] is [R, D]: merging the heads of one position is the same memory.
    return output(step: context, packed: packed)  // [R, D]
  }
}
