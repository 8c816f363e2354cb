import Autograd
import Tensors

/// The weight matrices of a decoding step packed once for the blocked GEMM (`PackedMatrix`),
/// so that the products of a step with many rows do not re-pack them at every step.
///
/// A step of ~100 rows multiplies each weight by only ~100 rows: packing the weight again is
/// then about a tenth of the product. One `IncrementalDecoder` packs them once, for all its
/// steps; the weights are read, never changed, while it decodes. A layer's step looks its
/// weight up (`Linear.callAsFunction(step:packed:)`) and multiplies unpacked when it is absent.
///
/// Shapes: D model width, F feed-forward width, V vocabulary.
public struct PackedWeights {
  /// Per weight variable, its packed op(W).
  private var matrices: [ObjectIdentifier: PackedMatrix] = [:]

  /// Packs the weights every decoding step of `model` multiplies by: per decoder layer the
  /// self-attention's four `[D, D]`, the cross-attention's query and output `[D, D]` (its keys
  /// and values are projected once per batch), the feed-forward network's `[D, F]` and
  /// `[F, D]`; and the pre-softmax projection Eᵀ `[D, V]`, packed from the `[V, D]` table.
  public init(decoderOf model: Transformer) {
    for layer in model.decoder.layers {
      let cross = layer.crossAttention.map { [$0.query, $0.output] } ?? []  // decoder-only: none
      for linear in [
        layer.selfAttention.query, layer.selfAttention.key, layer.selfAttention.value,
        layer.selfAttention.output, layer.feedForward.inner, layer.feedForward.outer,
      ] + cross {
        add(linear.weight, transposed: false)  // [in, out]
      }
    }
    add(model.outputProjection.weight, transposed: true)  // [V, D] as [D, V]
  }

  /// The packed op(W) of `weight`, or nil when it was not packed.
  public subscript(weight: Variable) -> PackedMatrix? { matrices[ObjectIdentifier(weight)] }

  private mutating func add(_ weight: Variable, transposed: Bool) {
    let key = ObjectIdentifier(weight)
    guard matrices[key] == nil else { return }
    let value = weight.value
    let (rows, columns) = (value.shape[0], value.shape[1])
    matrices[key] = PackedMatrix(
      value.storage.pointer, k: transposed ? columns : rows, n: transposed ? rows : columns,
      ldb: columns, transposeB: transposed)
  }
}
