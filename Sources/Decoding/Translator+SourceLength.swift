/// How much of a sentence the model reads: the encoder has `max_positions` positions and one
/// goes to `</s>`, so a source of more pieces is cut (``DecodingBatch``). Commands use these to
/// say so rather than cut silently.
extension Translator {
  /// The most source pieces the model reads: `model.max_positions` − 1 (decoder-only:
  /// `max_positions`/2 − 1, the other half being the target's).
  public var maxSourcePieces: Int { model.configuration.maxSourcePositions - 1 }

  /// The number of source BPE pieces of `line`, without `</s>`.
  public func sourcePieceCount(_ line: String) -> Int {
    vocabulary.source.encodeIDs(line).count
  }
}
