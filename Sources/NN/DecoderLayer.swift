import Autograd
import Tensors

/// One decoder layer (Vaswani et al. §3.1): masked (causal) self-attention over the target
/// prefix, attention over the encoder output, then the feed-forward network, each inside a
/// residual connection with layer norm.
///
/// Parameter names under `<name>`: `self_attention.*`, `self_attention_norm.*`,
/// `cross_attention.*`, `cross_attention_norm.*`, `feed_forward.*`, `feed_forward_norm.*`.
///
/// In a decoder-only model (`architecture` decoder-only) there is no encoder output to attend
/// to: the layer is self-attention and feed-forward only (no `cross_attention*` tensors), the
/// layer of GPT (Radford et al. 2018), and `memory` is nil.
///
/// Shapes: B batch, T target length, S source length, D model width.
public struct DecoderLayer {
  /// Causal self-attention over the target positions.
  public let selfAttention: MultiHeadAttention
  /// The residual connection and norm around `selfAttention`.
  public let selfAttentionConnection: SublayerConnection
  /// Attention from the target positions over the encoder output (§3.2.3); nil in a
  /// decoder-only model.
  public let crossAttention: MultiHeadAttention?
  /// The residual connection and norm around `crossAttention`; nil in a decoder-only model.
  public let crossAttentionConnection: SublayerConnection?
  /// The feed-forward network.
  public let feedForward: FeedForward
  /// The residual connection and norm around `feedForward`.
  public let feedForwardConnection: SublayerConnection

  /// A layer shaped by `configuration`, its weights drawn from `generator`.
  ///
  /// - Parameters:
  ///   - name: the prefix of the parameters' names, e.g. `decoder.layers.0`.
  ///   - configuration: widths, heads, dropout, activation and norm placement.
  ///   - generator: draws the weights: self-attention, cross-attention, feed-forward.
  public init(
    name: String, configuration: TransformerConfiguration, using generator: inout RandomGenerator
  ) {
    let c = configuration
    func connection(_ suffix: String) -> SublayerConnection {
      SublayerConnection(
        name: name + suffix, width: c.modelWidth, placement: c.norm, dropout: Float(c.dropout))
    }
    selfAttention = MultiHeadAttention(
      name: name + ".self_attention", modelWidth: c.modelWidth, headCount: c.headCount,
      attentionDropout: Float(c.attentionDropout), implementation: c.attention,
      window: c.attentionWindow, keyValueHeadCount: c.keyValueHeadCount,
      rotary: c.positions == .rope, alibiSlopes: c.selfAttentionSlopes, using: &generator)
    selfAttentionConnection = connection(".self_attention_norm")
    // Cross-attention compares a target position with source positions, two sequences whose
    // position numbers are unrelated: no rotation and no ALiBi bias (the source states carry
    // their positions from the encoder's self-attention).
    if c.isDecoderOnly {
      (crossAttention, crossAttentionConnection) = (nil, nil)
    } else {
      crossAttention = MultiHeadAttention(
        name: name + ".cross_attention", modelWidth: c.modelWidth, headCount: c.headCount,
        attentionDropout: Float(c.attentionDropout), implementation: c.attention,
        keyValueHeadCount: c.keyValueHeadCount, using: &generator)
      crossAttentionConnection = connection(".cross_attention_norm")
    }
    feedForward = FeedForward(
      name: name + ".feed_forward", modelWidth: c.modelWidth,
      feedForwardWidth: c.feedForwardWidth, activation: c.activation, using: &generator)
    feedForwardConnection = connection(".feed_forward_norm")
  }

  /// Every parameter, in the order of the sub-layers.
  public var parameters: [Variable] {
    selfAttention.parameters + selfAttentionConnection.parameters
      + (crossAttention?.parameters ?? []) + (crossAttentionConnection?.parameters ?? [])
      + feedForward.parameters + feedForwardConnection.parameters
  }

  /// Applies the layer.
  ///
  /// - Parameters:
  ///   - x: the target stream, `[B, T, D]`.
  ///   - memory: the encoder output, `[B, S, D]`; nil in a decoder-only model.
  ///   - selfMask: causal, plus the target key lengths.
  ///   - memoryMask: the source key lengths.
  ///   - context: training flag and dropout generator.
  /// - Returns: `[B, T, D]`.
  public func callAsFunction(
    _ x: Variable, memory: Variable?, selfMask: AttentionMask, memoryMask: AttentionMask,
    context: inout ForwardContext
  ) -> Variable {
    context.enter(ForwardTrace.Module.selfAttention)
    let attended = selfAttentionConnection(x, context: &context) { x, context in
      selfAttention(x, mask: selfMask, context: &context)  // [B, T, D]
    }
    context.leave()
    var informed = attended  // [B, T, D]
    if let crossAttention, let crossAttentionConnection, let memory {
      context.enter(ForwardTrace.Module.crossAttention)
      informed = crossAttentionConnection(attended, context: &context) { x, context in
        crossAttention(x, memory: memory, mask: memoryMask, context: &context)  // [B, T, D]
      }
      context.leave()
    }
    context.enter(ForwardTrace.Module.feedForward)
    defer { context.leave() }
    return feedForwardConnection(informed, context: &context) { x, context in
      feedForward(x, context: &context)  // [B, T, D]
    }
  }

  /// Applies the layer to one new position per row (incremental decoding), without recording.
  ///
  /// - Parameters:
  ///   - x: the target stream at the new position, `[R, D]`.
  ///   - cache: the self-attention's keys and values, which the new position is appended to.
  ///   - memory: the cross-attention's keys and values of the encoder output, `[B, H, S, K]`;
  ///     nil in a decoder-only model.
  ///   - selfMask: the new position sees every cached one and itself.
  ///   - memoryMask: the source key lengths.
  ///   - packed: where the weights' packed copies are looked up.
  /// - Returns: `[R, D]`.
  public func callAsFunction(
    step x: Tensor, cache: inout KeyValueCache.Layer, memory: KeyValueCache.Layer?,
    selfMask: AttentionMask, memoryMask: AttentionMask, packed: PackedWeights? = nil
  ) -> Tensor {
    let attended = selfAttentionConnection(step: x) { x in
      selfAttention(step: x, cache: &cache, mask: selfMask, packed: packed)  // [R, D]
    }
    var informed = attended  // [R, D]
    if let crossAttention, let crossAttentionConnection, let memory {
      informed = crossAttentionConnection(step: attended) { x in
        crossAttention(step: x, memory: memory, mask: memoryMask, packed: packed)  // [R, D]
      }
    }
    return feedForwardConnection(step: informed) { x in
      feedForward(step: x, packed: packed)  // [R, D]
    }
  }
}
