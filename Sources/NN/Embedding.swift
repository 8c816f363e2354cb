import Autograd
import Tensors

/// A table of `V` learned vectors of width `D`: token ids in, vectors out (Vaswani et al. §3.4).
///
/// The same table can also serve as the pre-softmax projection (`asLinear`), which is how the
/// Transformer ties its source embedding, target embedding and output projection to one matrix.
///
/// Initialised from a normal distribution of mean 0 and standard deviation `1/√D`, as fairseq
/// does for tied embeddings: the Transformer multiplies looked-up rows by `√D`, so the scaled
/// embedding has unit variance per element, the scale of the sinusoidal positions added to it;
/// used as the output projection on a layer-normalised input, it gives logits of variance ≈ 1.
/// (Xavier-uniform on a `[V, D]` table, V ≫ D, would make rows about √(V/2D) times smaller.)
public struct Embedding {
  /// The table: `[V, D]`, named `<name>.weight`.
  public let weight: Variable

  /// A table of `vocabularySize` rows of width `width`, each element from N(0, 1/width).
  ///
  /// - Parameters:
  ///   - name: the prefix of the parameter's checkpoint name.
  ///   - vocabularySize: V.
  ///   - width: D.
  ///   - generator: draws the table.
  public init(
    name: String, vocabularySize: Int, width: Int, using generator: inout RandomGenerator
  ) {
    let table = Tensor.normal(
      shape: [vocabularySize, width], standardDeviation: 1 / Float(width).squareRoot(),
      using: &generator)
    weight = .parameter(table, name: name + ".weight")
  }

  /// V: the number of rows.
  public var vocabularySize: Int { weight.shape[0] }
  /// D: the width of each row.
  public var width: Int { weight.shape[1] }

  /// The table.
  public var parameters: [Variable] { [weight] }

  /// The rows at `ids`, times `scale`.
  ///
  /// - Parameters:
  ///   - ids: `[B, T]` row-major, each in `0..<V`.
  ///   - shape: the ids' shape, e.g. `[B, T]`.
  ///   - scale: multiplies every row (`√D` in the Transformer).
  /// - Returns: `shape + [D]`, e.g. `[B, T, D]`.
  public func callAsFunction(_ ids: [Int], shape: [Int], scale: Float = 1) -> Variable {
    embedding(weight, ids: ids, shape: shape, scale: scale)
  }

  /// The rows at `ids`, times `scale`, without recording (an inference step).
  ///
  /// - Parameters:
  ///   - ids: `[R]`, each in `0..<V`.
  ///   - scale: multiplies every row (`√D` in the Transformer).
  /// - Returns: `[R, D]`.
  public func callAsFunction(step ids: [Int], scale: Float = 1) -> Tensor {
    embedding(weight.value, ids: ids, scale: scale)  // [R, D]
  }

  /// The table used as a linear map without bias, `x·Wᵀ`: the pre-softmax projection of §3.4.
  ///
  /// - Parameter x: `[…, D]`, e.g. the decoder output `[B, T, D]`.
  /// - Returns: `[…, V]`, e.g. the logits `[B, T, V]`.
  public func asLinear(_ x: Variable) -> Variable {
    matmul(x, weight, transposeB: true)  // [B, T, V]
  }

  /// `x·Wᵀ` for the rows of one inference step, without recording.
  ///
  /// - Parameters:
  ///   - x: `[R, D]`.
  ///   - packed: where the table's packed transpose is looked up, for products of many rows.
  /// - Returns: `[R, V]`.
  public func asLinear(step x: Tensor, packed: PackedWeights? = nil) -> Tensor {
    stepProduct(
      x, weight: weight.value, transposeWeight: true, packed: packed?[weight],
      rowPanels: packed?.rowPanels(weight))  // [R, V]
  }
}
