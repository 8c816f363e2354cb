import Autograd
import Tensors

/// The decoder stack (Vaswani et al. §3.1): N identical `DecoderLayer`s, and with pre-norm a
/// final LayerNorm before the output projection.
///
/// Parameter names: `<name>.layers.<i>.…` and, with pre-norm, `<name>.final_norm.{weight,bias}`.
/// Shapes: B batch, T target length, S source length, D model width.
public struct TransformerDecoder {
  /// The layers, first to last.
  public let layers: [DecoderLayer]
  /// The norm after the last layer; nil with post-norm.
  public let finalNorm: LayerNorm?

  /// `configuration.decoderLayerCount` layers, their weights drawn in order from `generator`.
  ///
  /// - Parameters:
  ///   - name: the prefix of the parameters' names, normally `decoder`.
  ///   - configuration: the model's shape.
  ///   - generator: draws the weights.
  public init(
    name: String, configuration: TransformerConfiguration, using generator: inout RandomGenerator
  ) {
    var layers: [DecoderLayer] = []
    for index in 0..<configuration.decoderLayerCount {
      layers.append(
        DecoderLayer(
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

  /// Decodes the embedded target prefix against the encoder output.
  ///
  /// - Parameters:
  ///   - x: the embedded target input with positions, `[B, T, D]`.
  ///   - memory: the encoder output, `[B, S, D]`; nil in a decoder-only model.
  ///   - selfMask: causal, plus the target key lengths.
  ///   - memoryMask: the source key lengths.
  ///   - context: training flag and dropout generator.
  /// - Returns: the states the output projection reads, `[B, T, D]`.
  public func callAsFunction(
    _ x: Variable, memory: Variable?, selfMask: AttentionMask, memoryMask: AttentionMask,
    context: inout ForwardContext
  ) -> Variable {
    var x = x  // [B, T, D]
    for (index, layer) in layers.enumerated() {
      context.enter(ForwardTrace.Module.layer(index + 1))
      x = layer(x, memory: memory, selfMask: selfMask, memoryMask: memoryMask, context: &context)
      context.leave()
    }
    guard let finalNorm else { return x }
    let normalized = finalNorm(x)  // [B, T, D]
    context.record("final LayerNorm (pre-norm)", "[B, T, D]", normalized.value)
    return normalized
  }

  /// Decodes one new position per row against the cached prefix (incremental decoding),
  /// without recording; every layer appends the position to its part of `cache`.
  ///
  /// - Parameters:
  ///   - x: the embedded new position with its positional encoding, `[R, D]`.
  ///   - cache: the self-attention keys and values of every layer, `[R, H, C, K]` each.
  ///   - memory: per layer, the cross-attention's keys and values `[B, H, S, K]`; empty in a
  ///     decoder-only model.
  ///   - memoryMask: the source key lengths `[B]`.
  ///   - packed: where the weights' packed copies are looked up.
  /// - Returns: the states the output projection reads, `[R, D]`.
  public func callAsFunction(
    step x: Tensor, cache: inout KeyValueCache, memory: [KeyValueCache.Layer],
    memoryMask: AttentionMask, packed: PackedWeights? = nil
  ) -> Tensor {
    precondition(
      cache.layers.count == layers.count
        && (memory.count == layers.count || (memory.isEmpty && layers[0].crossAttention == nil)),
      "TransformerDecoder: \(cache.layers.count) cached and \(memory.count) memory layers for "
        + "\(layers.count) layers")
    // The causal mask of training, for the one query that follows `cache.length` cached
    // positions: it sees them and its own.
    let selfMask = AttentionMask.causal(offset: cache.length)
    var x = x  // [R, D]
    for (index, layer) in layers.enumerated() {
      x = layer(
        step: x, cache: &cache.layers[index], memory: memory.isEmpty ? nil : memory[index],
        selfMask: selfMask,
        memoryMask: memoryMask, packed: packed)
    }
    return finalNorm.map { $0(step: x) } ?? x  // [R, D]
  }
}
