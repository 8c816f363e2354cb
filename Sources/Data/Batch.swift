import Tokenizer
/// A padded batch of sentence pairs, ready for the encoder and decoder.
///
/// Matrices are row-major `[Int]` with one row per sentence. Shapes: B ``size``, S
/// ``sourceLength``, T ``targetLength``.
///
///     source        x1 x2 x3 </s> <pad>      [B, S]  (the source gets an end mark too)
///     targetInput   <s> y1 y2 y3 <pad>       [B, T]  (what the decoder reads)
///     targetOutput  y1 y2 y3 </s> <pad>      [B, T]  (what it must predict)
public struct Batch: Sendable, Equatable {
  /// Where this batch is in the run: its epoch and its index within the epoch.
  public var position: BatchPosition
  /// The indices of the pairs in the corpus, one per row.
  public var pairIndices: [Int]
  /// B: the number of sentence pairs.
  public var size: Int { pairIndices.count }
  /// S: the longest source row, `</s>` included.
  public var sourceLength: Int
  /// T: the longest target row, with `<s>` (input) or `</s>` (output).
  public var targetLength: Int
  /// The source ids followed by `</s>`, padded with `<pad>`. [B, S]
  public var sourceIDs: [Int]
  /// `<s>` followed by the target ids, padded with `<pad>`. [B, T]
  public var targetInputIDs: [Int]
  /// The target ids followed by `</s>`, padded with `<pad>`. [B, T]
  public var targetOutputIDs: [Int]
  /// The unpadded length of each source row. [B]
  public var sourceLengths: [Int]
  /// The unpadded length of each target row (input and output alike). [B]
  public var targetLengths: [Int]

  /// The number of target positions that are not padding: the tokens the loss averages over.
  public var targetTokenCount: Int { targetLengths.reduce(0, +) }

  /// Pads the pairs at `indices` of `pairs` into one batch.
  init(pairs: [SentencePair], indices: [Int], position: BatchPosition) {
    self.position = position
    pairIndices = indices
    sourceLengths = indices.map { pairs[$0].source.count + 1 }
    targetLengths = indices.map { pairs[$0].target.count + 1 }
    sourceLength = sourceLengths.max() ?? 0
    targetLength = targetLengths.max() ?? 0
    sourceIDs = Array(repeating: Vocabulary.paddingID, count: indices.count * sourceLength)
    targetInputIDs = Array(repeating: Vocabulary.paddingID, count: indices.count * targetLength)
    targetOutputIDs = targetInputIDs
    for (row, index) in indices.enumerated() {
      let pair = pairs[index]
      let sourceStart = row * sourceLength
      for (column, id) in pair.source.enumerated() { sourceIDs[sourceStart + column] = id }
      sourceIDs[sourceStart + pair.source.count] = Vocabulary.endID
      let targetStart = row * targetLength
      targetInputIDs[targetStart] = Vocabulary.startID
      for (column, id) in pair.target.enumerated() {
        targetInputIDs[targetStart + column + 1] = id
        targetOutputIDs[targetStart + column] = id
      }
      targetOutputIDs[targetStart + pair.target.count] = Vocabulary.endID
    }
  }
}
