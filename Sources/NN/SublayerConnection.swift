import Autograd
import Tensors

/// The residual connection and layer normalisation around one sub-layer (Vaswani et al. §3.1):
///
///     post-norm (the paper):  LayerNorm(x + Dropout(Sublayer(x)))
///     pre-norm:               x + Dropout(Sublayer(LayerNorm(x)))
///
/// with residual dropout on the sub-layer's output (§5.4). The norm's parameters are the same
/// in both placements, so only where they apply differs.
public struct SublayerConnection {
  /// The normalisation, named e.g. `encoder.layers.0.self_attention_norm`.
  public let norm: LayerNorm
  /// Whether the norm follows the residual addition (post) or precedes the sub-layer (pre).
  public let placement: TransformerConfiguration.NormPlacement
  /// P_drop on the sub-layer's output.
  public let dropout: Float

  /// A connection with an identity-initialised norm of width `width`.
  ///
  /// - Parameters:
  ///   - name: the norm's checkpoint name prefix.
  ///   - width: D.
  ///   - placement: post- or pre-norm.
  ///   - dropout: P_drop.
  public init(
    name: String, width: Int, placement: TransformerConfiguration.NormPlacement, dropout: Float
  ) {
    norm = LayerNorm(name: name, width: width)
    self.placement = placement
    self.dropout = dropout
  }

  /// The norm's gain and bias.
  public var parameters: [Variable] { norm.parameters }

  /// Runs `sublayer` inside the residual connection.
  ///
  /// - Parameters:
  ///   - x: the residual stream, `[B, T, D]`.
  ///   - context: training flag and dropout generator, passed on to `sublayer`.
  ///   - sublayer: maps `[B, T, D]` to `[B, T, D]`.
  /// - Returns: `[B, T, D]`.
  public func callAsFunction(
    _ x: Variable, context: inout ForwardContext,
    _ sublayer: (Variable, inout ForwardContext) -> Variable
  ) -> Variable {
    let t = context.sequenceAxis
    switch placement {
    case .post:
      let update = sublayer(x, &context)  // [B, T, D]
      if !context.isTraining && context.trace == nil && !Tape.isRecording {
        // Inference (the encoder of a translation): no dropout, nothing to differentiate, so
        // the sum goes straight into the norm, without a pass over [B, T, D] of its own.
        return Variable(norm(step: x.value, adding: update.value))  // [B, T, D]
      }
      let sum = context.dropout(update, probability: dropout, addedTo: x)  // [B, T, D]
      context.record("residual x + Sublayer(x) (§3.1)", "[B, \(t), D]", sum.value)
      let normalized = norm(sum)  // [B, T, D]
      context.record("LayerNorm(x + Sublayer(x))", "[B, \(t), D]", normalized.value)
      return normalized
    case .pre:
      let normalized = norm(x)  // [B, T, D]
      context.record("LayerNorm(x) (pre-norm)", "[B, \(t), D]", normalized.value)
      let update = sublayer(normalized, &context)  // [B, T, D]
      let sum = context.dropout(update, probability: dropout, addedTo: x)  // [B, T, D]
      context.record("residual x + Sublayer(LayerNorm(x))", "[B, \(t), D]", sum.value)
      return sum
    }
  }

  /// Runs `sublayer` inside the residual connection for one inference step, without recording
  /// (dropout is the identity there).
  ///
  /// - Parameters:
  ///   - x: the residual stream, `[R, D]`.
  ///   - sublayer: maps `[R, D]` to `[R, D]`.
  /// - Returns: `[R, D]`.
  public func callAsFunction(step x: Tensor, _ sublayer: (Tensor) -> Tensor) -> Tensor {
    switch placement {
    case .post: return norm(step: x, adding: sublayer(x))  // LayerNorm(x + Sublayer(x)), [R, D]
    case .pre: return x + sublayer(norm(step: x))  // [R, D]
    }
  }
}
