import Autograd
import Tensors

/// One encoder layer (Vaswani et al. §3.1): multi-head self-attention over the source, then the
/// position-wise feed-forward network, each inside a residual connection with layer norm.
///
/// Parameter names under `<name>`: `self_attention.{query,key,value,output}.{weight,bias}`,
/// `self_attention_norm.{weight,bias}`, `feed_forward.{inner,outer}.{weight,bias}`,
/// `feed_forward_norm.{weight,bias}`.
///
/// Shapes: B batch, S source length, D model width.
public struct EncoderLayer {
  /// Self-attention over the source positions.
  public let selfAttention: MultiHeadAttention
  /// The residual connection and norm around `selfAttention`.
  public let selfAttentionConnection: SublayerConnection
  /// The feed-forward network.
  public let feedForward: FeedForward
  /// The residual connection and norm around `feedForward`.
  public let feedForwardConnection: SublayerConnection

  /// A layer shaped by `configuration`, its weights drawn from `generator`.
  ///
  /// - Parameters:
  ///   - name: the prefix of the parameters' names, e.g. `encoder.layers.0`.
  ///   - configuration: widths, heads, dropout, activation and norm placement.
  ///   - generator: draws the weights, attention first.
  public init(
    name: String, configuration: TransformerConfiguration, using generator: inout RandomGenerator
  ) {
    let c = configuration
    selfAttention = MultiHeadAttention(
      name: name + ".self_attention", modelWidth: c.modelWidth, headCount: c.headCount,
      attentionDropout: Float(c.attentionDropout), implementation: c.attention,
      keyValueHeadCount: c.keyValueHeadCount, rotary: c.positions == .rope,
      alibiSlopes: c.selfAttentionSlopes, using: &generator)
    selfAttentionConnection = SublayerConnection(
      name: name + ".self_attention_norm", width: c.modelWidth, placement: c.norm,
      dropout: Float(c.dropout))
    feedForward = FeedForward(
      name: name + ".feed_forward", modelWidth: c.modelWidth,
      feedForwardWidth: c.feedForwardWidth, activation: c.activation, using: &generator)
    feedForwardConnection = SublayerConnection(
      name: name + ".feed_forward_norm", width: c.modelWidth, placement: c.norm,
      dropout: Float(c.dropout))
  }

  /// Every parameter, in the order of the sub-layers.
  public var parameters: [Variable] {
    selfAttention.parameters + selfAttentionConnection.parameters + feedForward.parameters
      + feedForwardConnection.parameters
  }

  /// Applies the layer.
  ///
  /// - Parameters:
  ///   - x: the source stream, `[B, S, D]`.
  ///   - mask: the source key lengths (padding keys are never attended to).
  ///   - context: training flag and dropout generator.
  /// - Returns: `[B, S, D]`.
  public func callAsFunction(
    _ x: Variable, mask: AttentionMask, context: inout ForwardContext
  ) -> Variable {
    context.enter(ForwardTrace.Module.selfAttention)
    let attended = selfAttentionConnection(x, context: &context) { x, context in
      selfAttention(x, mask: mask, context: &context)  // [B, S, D]
    }
    context.leave()
    context.enter(ForwardTrace.Module.feedForward)
    defer { context.leave() }
    return feedForwardConnection(attended, context: &context) { x, context in
      feedForward(x, context: &context)  // [B, S, D]
    }
  }
}
