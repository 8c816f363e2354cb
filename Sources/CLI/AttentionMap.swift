import Autograd
import NN
import Tensors

/// The attention weights of one kind, every layer and head, read from a traced pass, with the
/// pieces that label their rows (queries) and columns (keys).
///
/// Shapes: L layers, H heads, R rows, C columns; each row of weights sums to 1 over the
/// columns its query sees, and hidden keys (padding, future positions) hold exactly 0.
struct AttentionMap {
  /// Which attention.
  let kind: AttentionKind
  /// The query pieces: output pieces for the decoder's attentions, source pieces otherwise.
  let rowLabels: [String]
  /// The key pieces: source pieces, or the decoder's input pieces for its self-attention.
  let columnLabels: [String]
  /// `[L][H][R][C]`: the probabilities of layer l + 1, head h + 1.
  let weights: [[[[Float]]]]

  /// The maps of `kind` in every layer of `pass`.
  init(pass: TracedPass, kind: AttentionKind) throws {
    self.kind = kind
    switch kind {
    case .selfEncoder: (rowLabels, columnLabels) = (pass.sourcePieces, pass.sourcePieces)
    case .selfDecoder where pass.configuration.isDecoderOnly:
      // One sequence `source </s> <s> target`: its pieces label queries and keys alike.
      let sequence = pass.sourcePieces + pass.targetInputPieces
      (rowLabels, columnLabels) = (sequence, sequence)
    case .selfDecoder: (rowLabels, columnLabels) = (pass.targetOutputPieces, pass.targetInputPieces)
    case .cross: (rowLabels, columnLabels) = (pass.targetOutputPieces, pass.sourcePieces)
    }
    var weights: [[[[Float]]]] = []
    for number in 1...kind.layerCount(pass.configuration) {
      guard
        let probabilities = pass.trace.value(
          named: ForwardTrace.attentionProbabilities, in: kind.modules(layer: number))
      else {
        // A layer with a window runs the memory-efficient kernel even when traced, and that
        // kernel never holds the weights.
        let key = kind == .selfEncoder ? "encoder_attention_window" : "attention_window"
        throw RuntimeError(
          "\(kind.modules(layer: number).joined(separator: " ")) has no attention weights to "
            + "show: it uses model.\(key), whose kernel does not store them")
      }
      weights.append(Self.split(probabilities))
    }
    self.weights = weights
  }

  /// L.
  var layerCount: Int { weights.count }
  /// H.
  var headCount: Int { weights.first?.count ?? 0 }

  /// The weights of layer `layer` (from 0), head `head` (from 0), or the mean over heads when
  /// `head` is nil: `[R][C]`.
  func matrix(layer: Int, head: Int?) -> [[Float]] {
    if let head { return weights[layer][head] }
    let heads = weights[layer]
    return heads[0].indices.map { row in
      heads[0][row].indices.map { column in
        heads.reduce(0) { $0 + $1[row][column] } / Float(heads.count)
      }
    }
  }

  /// `[1, H, R, C]` → `[H][R][C]`.
  private static func split(_ probabilities: Tensor) -> [[[Float]]] {
    let (heads, rows, columns) = (
      probabilities.shape[1], probabilities.shape[2], probabilities.shape[3]
    )
    let scalars = probabilities.scalars
    return (0..<heads).map { h in
      (0..<rows).map { r in
        let start = (h * rows + r) * columns
        return Array(scalars[start..<start + columns])
      }
    }
  }
}
