import Autograd
import Tensors

/// The encoder stack (Vaswani et al. §3.1): N identical `EncoderLayer`s, and with pre-norm a
/// final LayerNorm (without it the pre-norm stream would leave the stack unnormalised).
///
/// Parameter names: `<name>.layers.<i>.…` and, with pre-norm, `<name>.final_norm.{weight,bias}`.
/// Shapes: B batch, S source length, D model width.
public struct TransformerEncoder {
  /// The layers, first to last.
  public let layers: [EncoderLayer]
  /// The norm after the last layer; nil with post-norm, whose layers end in a norm already.
  public let finalNorm: LayerNorm?

  /// `configuration.encoderLayerCount` layers, their weights drawn in order from `generator`.
  ///
  /// - Parameters:
  ///   - name: the prefix of the parameters' names, normally `encoder`.
  ///   - configuration: the model's shape.
  ///   - generator: draws the weights.
  public init(
    name: String, configuration: TransformerConfiguration, using generator: inout RandomGenerator
  ) {
    var layers: [EncoderLayer] = []
    for index in 0..<configuration.encoderLayerCount {
      layers.append(
        EncoderLayer(
          name: "\(name).layers.\(index)", configuration: configuration, using: &generator))
    }
    self.layers = layers
    finalNorm =
      configuration.norm == .pre
      ? LayerNorm(name: name + ".final_norm", width: configuration.modelWidth) : nil
  }

  /// Every layer's parameters, then the final norm's.
  public var parameters: [Variable] {
    layers.flatMap(\.parameters) + (finalNorm?.parameters ?? [])
  }

  /// Encodes the embedded source.
  ///
  /// - Parameters:
  ///   - x: the embedded source with positions, `[B, S, D]`.
  ///   - mask: the source key lengths.
  ///   - context: training flag and dropout generator.
  /// - Returns: the memory the decoder attends to, `[B, S, D]`.
  public func callAsFunction(
    _ x: Variable, mask: AttentionMask, context: inout ForwardContext
  ) -> Variable {
    var x = x  // [B, S, D]
    for (index, layer) in layers.enumerated() {
      context.enter(ForwardTrace.Module.layer(index + 1))
      x = layer(x, mask: mask, context: &context)
      context.leave()
    }
    guard let finalNorm else { return x }
    let normalized = finalNorm(x)  // [B, S, D]
    context.record("final LayerNorm (pre-norm)", "[B, S, D]", normalized.value)
    return normalized
  }
}
