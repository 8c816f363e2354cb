import NN
import Tokenizer

/// A batch of source sentences prepared for a search: `</s>` appended, cut to the model's
/// positions, padded into one `[B, S]` array, with each sentence's output length limit.
///
/// Shapes: B sentences, S the longest source (with `</s>`).
struct DecodingBatch {
  /// `[B, S]` row-major, padded with `<pad>`.
  let sourceIDs: [Int]
  /// `[B]`, `</s>` included.
  let sourceLengths: [Int]
  /// `[B]`: the most output tokens of each sentence (`</s>` not counted).
  let limits: [Int]

  /// Prepares `sources` (piece ids without `</s>`) for `model`.
  init(_ sources: [[Int]], model: Transformer, options: DecodingOptions) {
    let maxPositions = model.configuration.maxPositions
    let rows = sources.map { Array($0.prefix(maxPositions - 1)) + [Vocabulary.endID] }
    let width = rows.map(\.count).max() ?? 0
    var ids = [Int](repeating: Vocabulary.paddingID, count: rows.count * width)
    for (row, source) in rows.enumerated() {
      for (column, id) in source.enumerated() { ids[row * width + column] = id }
    }
    sourceIDs = ids
    sourceLengths = rows.map(\.count)
    limits = sources.map {
      options.limit(sourceLength: $0.count, maxPositions: maxPositions)
    }
  }

  /// B.
  var count: Int { sourceLengths.count }

  /// The steps the longest search may take: the largest limit plus one for `</s>`, within
  /// the model's positions.
  func steps(maxPositions: Int) -> Int {
    min(maxPositions, (limits.max() ?? 0) + 1)
  }
}
