import Tensors

/// The rows a decoder-only model reads: each sentence pair as one sequence
/// `source </s> <s> target`, with the labels that make the loss count the target only.
///
/// The batch keeps source and target apart (`sourceIDs` ending in `</s>`, `targetInputIDs`
/// starting with `<s>`); this joins them row by row, without padding in between, so a target
/// piece sits at position `S_b + t` of its row and the positions are the same in training and
/// in cached decoding (which runs the source first, then the target). `<s>` after `</s>` is
/// redundant as a separator but keeps the searches' first step (feed `<s>`) the encoder–decoder
/// model's.
///
///     ids     x1 x2 </s> <s> y1 y2 <pad>      [B, L]
///     labels  ·  ·  ·    y1  y2 </s> <pad>     [B, L]   (· = padding: no loss)
///
/// Shapes: B batch, S source length, T target length, L = max over rows of S_b + T_b, V
/// vocabulary.
public struct DecoderOnlySequence: Equatable, Sendable {
  /// `[B, L]` row-major: the source row, then the target input row, then padding.
  public let ids: [Int]
  /// `[B, L]`: at position `S_b + t` the target output t (the next piece), padding elsewhere,
  /// so that the source positions carry no loss. Empty when built without target outputs.
  public let labels: [Int]
  /// `[B]`: `S_b + T_b`, the unpadded length of each row.
  public let lengths: [Int]
  /// `[B]`: `S_b`, where each row's target starts.
  public let sourceLengths: [Int]
  /// L: the longest row.
  public let length: Int
  /// T: the padded target length of the batch the rows were built from.
  public let targetLength: Int

  /// Joins a batch's source and target rows.
  ///
  /// - Parameters:
  ///   - sourceIDs: `[B, S]`, each row ending in `</s>`, padded.
  ///   - sourceLengths: `[B]`.
  ///   - targetInputIDs: `[B, T]`, each row starting with `<s>`, padded.
  ///   - targetOutputIDs: `[B, T]`, the labels; nil for inference (then `labels` is empty).
  ///   - targetLengths: `[B]`.
  ///   - paddingID: the id of `<pad>`.
  public init(
    sourceIDs: [Int], sourceLengths: [Int], targetInputIDs: [Int], targetOutputIDs: [Int]?,
    targetLengths: [Int], paddingID: Int
  ) {
    let batch = sourceLengths.count
    precondition(
      batch > 0 && targetLengths.count == batch && sourceIDs.count % batch == 0
        && targetInputIDs.count % batch == 0
        && (targetOutputIDs == nil || targetOutputIDs!.count == targetInputIDs.count),
      "DecoderOnlySequence: \(sourceIDs.count) source and \(targetInputIDs.count) target ids "
        + "for \(batch) rows")
    let (sourceWidth, targetWidth) = (sourceIDs.count / batch, targetInputIDs.count / batch)
    precondition(
      zip(sourceLengths, targetLengths).allSatisfy {
        (0...sourceWidth).contains($0) && (0...targetWidth).contains($1)
      },
      "DecoderOnlySequence: lengths \(sourceLengths) and \(targetLengths) exceed the rows")
    lengths = zip(sourceLengths, targetLengths).map { $0 + $1 }
    length = lengths.max() ?? 0
    self.sourceLengths = sourceLengths
    targetLength = targetWidth
    var ids = [Int](repeating: paddingID, count: batch * length)
    var labels = [Int](repeating: paddingID, count: targetOutputIDs == nil ? 0 : batch * length)
    for row in 0..<batch {
      let (start, sourceLength) = (row * length, sourceLengths[row])
      for s in 0..<sourceLength { ids[start + s] = sourceIDs[row * sourceWidth + s] }
      for t in 0..<targetLengths[row] {
        ids[start + sourceLength + t] = targetInputIDs[row * targetWidth + t]
        if let targetOutputIDs {
          labels[start + sourceLength + t] = targetOutputIDs[row * targetWidth + t]
        }
      }
    }
    self.ids = ids
    self.labels = labels
  }

  /// The rows of `logits` at the target positions: row `(b, t)` of the result is row
  /// `(b, S_b + t)` of `logits`, and zero where that lies past L (a padded target position).
  ///
  /// - Parameter logits: `[B, L, V]`, the model's output over these rows.
  /// - Returns: `[B, T, V]`, laid out as an encoder–decoder model's logits.
  public func targetRows(of logits: Tensor) -> Tensor {
    let batch = sourceLengths.count
    precondition(
      logits.rank == 3 && logits.shape[0] == batch && logits.shape[1] == length,
      "DecoderOnlySequence.targetRows: logits \(logits.shape) for \(batch) rows of \(length)")
    let width = logits.shape[2]
    var scalars = [Float](repeating: 0, count: batch * targetLength * width)
    let source = logits.scalars
    for row in 0..<batch {
      for t in 0..<targetLength where sourceLengths[row] + t < length {
        let from = (row * length + sourceLengths[row] + t) * width
        let to = (row * targetLength + t) * width
        for v in 0..<width { scalars[to + v] = source[from + v] }
      }
    }
    return Tensor(shape: [batch, targetLength, width], scalars: scalars)
  }
}
