import Tensors

/// The memory a training step holds at its peak for its activations: what the tape keeps
/// from the forward pass for the backward, plus what the backward allocates while it runs.
/// `train` refuses a `training.batch_tokens` whose largest batch would not fit, with a number,
/// instead of being killed by the system in its first steps.
///
/// Per token of a batch of N tokens, in floats (D model width, F feed-forward width, H heads,
/// V vocabulary, L the padded row length; f = 1 for ReLU, 2 for GELU, whose input and output
/// are both kept):
///
/// | where | floats per token |
/// |---|---|
/// | each source token | 5D (6D with pre-norm: the final layer norm): embedding, positions, encoder output |
/// | each encoder layer, per source token | 8D + f·F + H·L |
/// | each decoder layer, per target token | 13D + f·F + 2·H·L (self- and cross-attention) |
/// | each target token | V: the loss's gradient, written in the forward |
/// | decoder-only, each token of `source </s> <s> target` | D + per layer (8D + f·F + H·L) + V |
///
/// plus, once, the largest tensor the backward makes beside what is kept: N·max(V, F), the
/// logits' gradient or a feed-forward network's hidden one. The H·L terms are the attention
/// probabilities `[B, H, T, S]` of the standard kernel, kept for the backward; an op that runs
/// the memory-efficient kernel keeps its output and log-sum-exp instead, counted as D. Dropout
/// masks take nothing: the backward draws them again from their seeds.
///
/// These coefficients were measured, not derived: `TensorMemory`'s peak over a step, less what
/// was live before it, across random configurations of every kind. The peak is a maximum over
/// the step's moments, so no formula of this shape is exact; this one stays within −12 % and
/// +18 % of the measured peak for models of D ≥ 64 (`ActivationMemoryTests`; −10 % to +14 % over
/// 84 random models), and the allocator's overhead comes on top of it in the process.
public enum ActivationMemory {
  /// The floats of a training step's activations for a batch of `rows` rows of `length`
  /// tokens (the padded length of the source and of the target rows of an encoder–decoder
  /// model, or of a decoder-only model's joined rows). In `Double`, so no size overflows.
  public static func trainingFloats(
    _ configuration: TransformerConfiguration, rows: Int, length: Int
  ) -> Double {
    let c = configuration
    let width = Double(c.modelWidth)
    let heads = Double(c.headCount)
    let feedForward = Double(c.feedForwardWidth) * (c.activation == .gelu ? 2 : 1)
    let vocabulary = Double(c.vocabularySize)
    let tokens = Double(rows) * Double(length)
    // What an attention op keeps per query token: its probabilities [H, S] under the standard
    // kernel, its output and log-sum-exp (about D) under the memory-efficient one.
    func attention(causal: Bool, window: Int?) -> Double {
      let kernel = AttentionKernelChoice.resolve(
        c.attention, queries: length, keys: length, headSize: c.headWidth, causal: causal,
        window: window)
      return kernel == .standard ? heads * Double(length) : width
    }
    // The largest tensor the backward makes on top of what is kept: the logits' gradient
    // [N, V] at the top, or a feed-forward network's hidden gradient [N, F] further down.
    let transient = tokens * Swift.max(vocabulary, Double(c.feedForwardWidth))
    let decoderSelf = attention(causal: true, window: c.attentionWindow)
    if c.isDecoderOnly {
      let layer = 8 * width + feedForward + decoderSelf
      return tokens * (width + Double(c.decoderLayerCount) * layer + vocabulary) + transient
    }
    let encoderSelf = attention(causal: false, window: c.encoderAttentionWindow)
    let cross = attention(causal: false, window: nil)
    let source =
      (c.norm == .pre ? 6 : 5) * width
      + Double(c.encoderLayerCount) * (8 * width + feedForward + encoderSelf)
    let target = Double(c.decoderLayerCount) * (13 * width + feedForward + decoderSelf + cross)
    return tokens * (source + target + vocabulary) + transient
  }

  /// The largest batch a run can form and its activations' bytes: for each row length the
  /// corpus has, as many rows as `batchTokens` holds (at least one: a pair longer than the
  /// budget gets a batch of its own), but no more than the pairs that short and `maxRows` (the
  /// batcher sorts and cuts a chunk of that many pairs at a time); the largest estimate of them.
  ///
  /// - Parameter rowLengths: how many pairs have each padded row length.
  public static func largestBatch(
    _ configuration: TransformerConfiguration, batchTokens: Int, rowLengths: [Int: Int],
    maxRows: Int = .max
  ) -> (bytes: Double, rows: Int, length: Int)? {
    var largest: (bytes: Double, rows: Int, length: Int)? = nil
    var pairsSoFar = 0
    for (length, count) in rowLengths.sorted(by: { $0.key < $1.key }) where length > 0 {
      pairsSoFar += count
      let rows = Swift.max(1, Swift.min(batchTokens / length, pairsSoFar, maxRows))
      let bytes = 4 * trainingFloats(configuration, rows: rows, length: length)
      if largest == nil || bytes > largest!.bytes { largest = (bytes, rows, length) }
    }
    return largest
  }
}
