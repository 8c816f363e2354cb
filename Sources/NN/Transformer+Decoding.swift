import Autograd

extension Transformer {
  /// Encodes a padded source batch and returns an `IncrementalDecoder` positioned before the
  /// first target token, with `rowsPerSentence` rows per sentence.
  ///
  /// - Parameters:
  ///   - sourceIDs: `[B, S]` row-major, each row ending in `</s>`, padded.
  ///   - sourceLengths: `[B]`.
  ///   - rowsPerSentence: W, the hypotheses per sentence (the beam size; 1 for greedy search).
  ///   - maxLength: the most decoder steps, at most `maxPositions`.
  public func incrementalDecoder(
    sourceIDs: [Int], sourceLengths: [Int], rowsPerSentence: Int, maxLength: Int
  ) -> IncrementalDecoder {
    let memory = encode(sourceIDs: sourceIDs, sourceLengths: sourceLengths)  // [B, S, D]
    return IncrementalDecoder(
      model: self, memory: memory, sourceLengths: sourceLengths,
      rowsPerSentence: rowsPerSentence, maxLength: maxLength)
  }
}
