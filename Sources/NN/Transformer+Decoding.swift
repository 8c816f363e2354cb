import Autograd

extension Transformer {
  /// Encodes a padded source batch and returns an `IncrementalDecoder` positioned before the
  /// first target token, with `rowsPerSentence` rows per sentence. A decoder-only model runs
  /// the source into its cache instead; its sources must then share one length.
  ///
  /// - Parameters:
  ///   - sourceIDs: `[B, S]` row-major, each row ending in `</s>`, padded.
  ///   - sourceLengths: `[B]`.
  ///   - rowsPerSentence: W, the hypotheses per sentence (the beam size; 1 for greedy search).
  ///   - maxLength: the most decoder steps, at most `maxPositions` (decoder-only: with S).
  public func incrementalDecoder(
    sourceIDs: [Int], sourceLengths: [Int], rowsPerSentence: Int, maxLength: Int
  ) -> IncrementalDecoder {
    if configuration.isDecoderOnly {
      return IncrementalDecoder(
        model: self, sourceIDs: sourceIDs, sourceLengths: sourceLengths,
        rowsPerSentence: rowsPerSentence, maxLength: maxLength)
    }
    let memory = encode(sourceIDs: sourceIDs, sourceLengths: sourceLengths)  // [B, S, D]
    return IncrementalDecoder(
      model: self, memory: memory, sourceLengths: sourceLengths,
      rowsPerSentence: rowsPerSentence, maxLength: maxLength)
  }
}
