import Autograd
import Tensors

/// The decoder's weight matrices packed once for the blocked GEMM (`PackedMatrix`), so that
/// the products of a decoding step with many rows do not re-pack them at every step.
///
/// A step of ~100 rows multiplies each weight by only ~100 rows: packing the weight again is
/// then about a tenth of the product. One `IncrementalDecoder` packs them once, for all its
/// steps; the weights are read, never changed, while it decodes.
///
/// Shapes: D model width, F feed-forward width, V vocabulary.
struct IncrementalDecoderWeights {
  /// One decoder layer's weights, `[D, D]` except the feed-forward network's `[D, F]` and
  /// `[F, D]`.
  struct Layer {
    let selfQuery, selfKey, selfValue, selfOutput: PackedMatrix
    let crossQuery, crossOutput: PackedMatrix
    let inner, outer: PackedMatrix
  }

  /// Per decoder layer, bottom first.
  let layers: [Layer]
  /// The pre-softmax projection Eᵀ, `[D, V]`, packed from the `[V, D]` table.
  let projection: PackedMatrix

  /// Packs the decoder weights of `model`.
  init(model: Transformer) {
    func pack(_ layer: Linear) -> PackedMatrix {
      let weight = layer.weight.value  // [in, out]
      return PackedMatrix(
        weight.storage.pointer, k: layer.inputWidth, n: layer.outputWidth,
        ldb: layer.outputWidth, transposeB: false)
    }
    layers = model.decoder.layers.map { layer in
      Layer(
        selfQuery: pack(layer.selfAttention.query), selfKey: pack(layer.selfAttention.key),
        selfValue: pack(layer.selfAttention.value), selfOutput: pack(layer.selfAttention.output),
        crossQuery: pack(layer.crossAttention.query),
        crossOutput: pack(layer.crossAttention.output),
        inner: pack(layer.feedForward.inner), outer: pack(layer.feedForward.outer))
    }
    let table = model.outputProjection.weight.value  // [V, D]
    let (vocabulary, width) = (table.shape[0], table.shape[1])
    projection = PackedMatrix(
      table.storage.pointer, k: width, n: vocabulary, ldb: width, transposeB: true)  // [D, V]
  }
}
