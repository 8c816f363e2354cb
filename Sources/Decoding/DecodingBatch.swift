import NN
import Tokenizer

/// A batch of source sentences prepared for a search: `</s>` appended, cut to the model's
/// positions, padded into one `[B, S]` array, with each sentence's output length limit.
///
/// A decoder-only model holds source and target in one sequence: the source gets at most half
/// of `max_positions` (`maxSourcePositions`), the target the rest after it, and the sentences
/// of one decoder must share their length (`searchByLength`).
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
    let c = model.configuration
    let rows = sources.map { Array($0.prefix(c.maxSourcePositions - 1)) + [Vocabulary.endID] }
    let width = rows.map(\.count).max() ?? 0
    var ids = [Int](repeating: Vocabulary.paddingID, count: rows.count * width)
    for (row, source) in rows.enumerated() {
      for (column, id) in source.enumerated() { ids[row * width + column] = id }
    }
    sourceIDs = ids
    sourceLengths = rows.map(\.count)
    limits = zip(sources, rows).map { source, row in
      options.limit(
        sourceLength: source.count, maxPositions: c.maxTargetPositions(sourceLength: row.count))
    }
    targetPositions = rows.map { c.maxTargetPositions(sourceLength: $0.count) }.min() ?? 0
  }

  /// The positions the targets of this batch may use, `<s>` included.
  let targetPositions: Int

  /// For a decoder-only model, whose decoder needs sources of one length: `search` run on each
  /// group of `sources` of one length (as cut), the results put back in the order of
  /// `sources`; nil for an encoder–decoder model or when all share one length (search them
  /// together).
  static func searchByLength<Result>(
    _ sources: [[Int]], model: Transformer, _ search: ([[Int]]) -> [Result]
  ) -> [Result]? {
    let c = model.configuration
    guard c.isDecoderOnly else { return nil }
    let lengths = sources.map { min($0.count, c.maxSourcePositions - 1) }
    let groups = Dictionary(grouping: sources.indices, by: { lengths[$0] })
    guard groups.count > 1 else { return nil }
    var results = [Result?](repeating: nil, count: sources.count)
    for length in groups.keys.sorted() {
      let indices = groups[length]!
      for (index, result) in zip(indices, search(indices.map { sources[$0] })) {
        results[index] = result
      }
    }
    return results.map { $0! }
  }

  /// B.
  var count: Int { sourceLengths.count }

  /// The steps the longest search may take: the largest limit plus one for `</s>`, within
  /// the positions left to the target.
  var steps: Int {
    min(targetPositions, (limits.max() ?? 0) + 1)
  }
}
