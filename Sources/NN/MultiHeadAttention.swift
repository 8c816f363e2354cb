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
/// Shapes: B batch, T query positions, S key positions, D width, H heads, K = D/H.
public struct MultiHeadAttention {
  /// W_Q with bias: `[D, D]`, named `<name>.query`.
  public let query: Linear
  /// W_K with bias: `[D, D]`, named `<name>.key`.
  public let key: Linear
  /// W_V with bias: `[D, D]`, named `<name>.value`.
  public let value: Linear
  /// W_O with bias: `[D, D]`, named `<name>.output`.
  public let output: Linear
  /// H.
  public let headCount: Int
  /// Dropout on the attention probabilities in training.
  public let attentionDropout: Float
  /// Which kernel computes the attention (`model.attention`); `auto` decides per call.
  public let implementation: AttentionImplementation
  /// W, for decoder self-attention: a query at position i sees keys i − W < j ≤ i
  /// (`model.attention_window`); nil for every key the mask allows.
  public let window: Int?
  /// Whether the window reaches both ways, |i − j| < W: encoder self-attention
  /// (`model.encoder_attention_window`).
  public let bidirectionalWindow: Bool

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
  ///   - bidirectionalWindow: the window is |i − j| < W instead (encoder self-attention).
  ///   - generator: draws the weights, in the order query, key, value, output.
  public init(
    name: String, modelWidth: Int, headCount: Int, attentionDropout: Float = 0,
    implementation: AttentionImplementation = .standard, window: Int? = nil,
    bidirectionalWindow: Bool = false, using generator: inout RandomGenerator
  ) {
    precondition(
      headCount > 0 && modelWidth % headCount == 0,
      "MultiHeadAttention: width \(modelWidth) is not divisible by \(headCount) heads")
    func projection(_ role: String) -> Linear {
      Linear(
        name: "\(name).\(role)", inputWidth: modelWidth, outputWidth: modelWidth,
        using: &generator)
    }
    query = projection("query")
    key = projection("key")
    value = projection("value")
    output = projection("output")
    self.headCount = headCount
    self.attentionDropout = attentionDropout
    self.implementation = implementation
    self.window = window
    self.bidirectionalWindow = bidirectionalWindow
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
    let projectedKey = key(source)  // [B, S, D]
    context.record("K = X·W_K + b_K", "[B, \(s), D]", projectedKey.value)
    let projectedValue = value(source)  // [B, S, D]
    context.record("V = X·W_V + b_V", "[B, \(s), D]", projectedValue.value)
    let q = splitHeads(projectedQuery, heads: headCount)  // [B, H, T, K]
    context.record("split heads Q", "[B, \(t), D] → [B, H, \(t), K]", q.value)
    let k = splitHeads(projectedKey, heads: headCount)  // [B, H, S, K]
    context.record("split heads K", "[B, \(s), D] → [B, H, \(s), K]", k.value)
    let v = splitHeads(projectedValue, heads: headCount)  // [B, H, S, K]
    context.record("split heads V", "[B, \(s), D] → [B, H, \(s), K]", v.value)
    let observer: AttentionObserver? =
      context.trace == nil
      ? nil
      : { [context] scores, maskedScores, probabilities in
        let shape = "[B, H, \(t), \(s)]"
        context.record("scores Q·Kᵀ/√K (§3.2.1)", shape, scores)
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
          query: q, key: k, value: v, mask: mask, window: window,
          bidirectionalWindow: bidirectionalWindow, dropout: attentionDropout,
          using: &context.generator)
      } else {
        heads = memoryEfficientAttention(
          query: q, key: k, value: v, mask: mask, window: window,
          bidirectionalWindow: bidirectionalWindow)
      }
    } else if attentionDropout > 0 && context.isTraining {
      heads = attention(
        query: q, key: k, value: v, mask: mask, dropout: attentionDropout,
        using: &context.generator, observer: observer)
    } else {
      heads = attention(query: q, key: k, value: v, mask: mask, observer: observer)
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
  ///   - cache: this layer's keys and values `[R, H, C, K]`, one position longer afterwards.
  ///   - mask: `.causal(offset: cache.length)` as the cache was before the call: the new
  ///     position sees every earlier one and itself, as the causal mask of training lets it.
  ///   - packed: where the projections' packed copies are looked up.
  /// - Returns: `[R, D]`.
  public func callAsFunction(
    step x: Tensor, cache: inout KeyValueCache.Layer, mask: AttentionMask,
    packed: PackedWeights? = nil
  ) -> Tensor {
    // With one position, [R, 1, H·K] and [R, H, 1, K] are the same memory: the query needs no
    // split, and the cache splits the keys and values into its [R, H, C, K] layout.
    let q = query(step: x, packed: packed)  // [R, H, K]
    cache.append(keys: key(step: x, packed: packed), values: value(step: x, packed: packed))
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
  ///   - memory: the keys and values of the B sentences, `[B, H, S, K]`.
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
  /// - Returns: a full cache layer `[B, H, S, K]`.
  public func cachedKeysAndValues(of memory: Tensor) -> KeyValueCache.Layer {
    Tape.withoutRecording {
      let source = Variable(memory)  // [B, S, D]
      return KeyValueCache.Layer(
        keys: splitHeads(key(source).value, heads: headCount),  // [B, H, S, K]
        values: splitHeads(value(source).value, heads: headCount))  // [B, H, S, K]
    }
  }

  /// `softmax(q·Kᵀ/√K)·V` of each row's query `[R, H, K]` over the written positions of
  /// `cache` (row r reading group r / (R/G)), then the output projection.
  private func attend(
    _ q: Tensor, over cache: KeyValueCache.Layer, mask: AttentionMask, packed: PackedWeights?
  ) -> Tensor {
    let rows = q.shape[0]
    precondition(
      q.shape == [rows, headCount * cache.headSize] && cache.headCount == headCount
        && cache.rowCount > 0 && rows % cache.rowCount == 0,
      "MultiHeadAttention: queries \(q.shape) do not fit a cache of \(cache.rowCount) rows, "
        + "\(cache.headCount)×\(cache.headSize)")
    var context = Tensor(uninitializedShape: q.shape)  // [R, H, K]
    context.withUnsafeMutableBufferPointer { context in
      singleQueryAttention(
        query: q.storage.pointer, keys: cache.keys.pointer, values: cache.values.pointer,
        into: context.baseAddress!, rows: rows, groups: cache.rowCount, heads: headCount,
        headSize: cache.headSize, capacity: cache.capacity, keyCount: cache.length, mask: mask)
    }
    // [R, H, K] is [R, D]: merging the heads of one position is the same memory.
    return output(step: context, packed: packed)  // [R, D]
  }
}
