import Autograd
import Foundation
import Tensors

/// The weight matrices of a decoding step laid out once for the products a step makes, so that
/// a step does not lay them out again.
///
/// - `.gemmPanels`, for steps of many rows: op(W) packed for the blocked GEMM (`PackedMatrix`).
///   A step of ~100 rows multiplies each weight by only ~100 rows: packing the weight again is
///   then about a tenth of the product.
/// - `.rowPanels`, for steps of at most `rowProductMaxRows` rows (one sentence, one beam): op(W)
///   in contiguous 64-column panels (`RowPanelMatrix`), which stream into the cores about twice
///   as fast as W's own rows.
///
/// Either layout is made once per set of weight values and kept by the model
/// (`Transformer.stepWeights(layout:)`): laying out the small preset's 19 MB costs about as much
/// as a step of 100 rows, and every batch of a translation run would pay it again.
///
/// The weights are read, never changed, while a decoder decodes. A layer's step looks its
/// weight up (`Linear.callAsFunction(step:packed:)`) and multiplies unpacked when it is absent.
///
/// Shapes: D model width, F feed-forward width, V vocabulary.
public struct PackedWeights {
  /// How the weights are laid out.
  public enum Layout: Sendable {
    /// `PackedMatrix`, for the blocked GEMM of steps of many rows.
    case gemmPanels
    /// `RowPanelMatrix`, for the row products of steps of a few rows.
    case rowPanels
  }

  public let layout: Layout
  /// Per weight variable, its packed op(W) (`.gemmPanels`).
  private var matrices: [ObjectIdentifier: PackedMatrix] = [:]
  /// Per weight variable, its op(W) in row panels (`.rowPanels`).
  private var panelMatrices: [ObjectIdentifier: RowPanelMatrix] = [:]

  /// Lays out the weights every decoding step of `model` multiplies by: per decoder layer the
  /// self-attention's four `[D, D]`, the cross-attention's query and output `[D, D]` (its keys
  /// and values are projected once per batch), the feed-forward network's `[D, F]` and
  /// `[F, D]`; and the pre-softmax projection Eᵀ `[D, V]`, from the `[V, D]` table.
  public init(decoderOf model: Transformer, layout: Layout = .gemmPanels) {
    self.layout = layout
    for weight in Self.stepWeights(of: model) {
      add(weight.variable, transposed: weight.transposed)
    }
  }

  /// The weights a decoder of `rows` rows multiplies by: packed for the GEMM when the rows are
  /// more than `rowProductMaxRows`, else the model's kept row panels.
  public static func forSteps(of model: Transformer, rows: Int) -> PackedWeights {
    model.stepWeights(layout: rows > rowProductMaxRows ? .gemmPanels : .rowPanels)
  }

  /// The packed op(W) of `weight`, or nil when it was not packed for the GEMM.
  public subscript(weight: Variable) -> PackedMatrix? { matrices[ObjectIdentifier(weight)] }

  /// op(W) of `weight` in row panels, or nil when it was not laid out so.
  public func rowPanels(_ weight: Variable) -> RowPanelMatrix? {
    panelMatrices[ObjectIdentifier(weight)]
  }

  /// The weights a decoding step multiplies by, each with whether the step uses its transpose.
  public static func stepWeights(of model: Transformer) -> [(variable: Variable, transposed: Bool)]
  {
    var weights: [(variable: Variable, transposed: Bool)] = []
    for layer in model.decoder.layers {
      let cross = layer.crossAttention.map { [$0.query, $0.output] } ?? []  // decoder-only: none
      for linear in [
        layer.selfAttention.query, layer.selfAttention.key, layer.selfAttention.value,
        layer.selfAttention.output, layer.feedForward.inner, layer.feedForward.outer,
      ] + cross {
        weights.append((linear.weight, false))  // [in, out]
      }
    }
    weights.append((model.outputProjection.weight, true))  // [V, D] as [D, V]
    return weights
  }

  private mutating func add(_ weight: Variable, transposed: Bool) {
    let key = ObjectIdentifier(weight)
    guard matrices[key] == nil, panelMatrices[key] == nil else { return }
    let value = weight.value
    let (rows, columns) = (value.shape[0], value.shape[1])
    let (k, n) = transposed ? (columns, rows) : (rows, columns)
    switch layout {
    case .gemmPanels:
      matrices[key] = PackedMatrix(
        value.storage.pointer, k: k, n: n, ldb: columns, transposeB: transposed)
    case .rowPanels:
      panelMatrices[key] = withExtendedLifetime(value) {
        RowPanelMatrix(value.storage.pointer, k: k, n: n, ldb: columns, transposeB: transposed)
      }
    }
  }
}

/// The model's laid-out step weights, one set per layout, kept from one decoder to the next
/// while the weights do not change (`Variable.generation`).
final class StepWeightCache: @unchecked Sendable {
  private let lock = NSLock()
  private var kept: [PackedWeights.Layout: (generations: [Int], weights: PackedWeights)] = [:]

  /// The weights laid out as `layout` for `model`'s current values, made now if they changed
  /// since.
  func weights(for model: Transformer, layout: PackedWeights.Layout) -> PackedWeights {
    let current = PackedWeights.stepWeights(of: model).map(\.variable.generation)
    lock.lock()
    defer { lock.unlock() }
    if let entry = kept[layout], entry.generations == current { return entry.weights }
    let made = PackedWeights(decoderOf: model, layout: layout)
    kept[layout] = (current, made)
    return made
  }
}
