import Decoding
import NN

/// The warning `translate` and `eval` give for a sentence longer than the model reads: it is
/// translated from its first `max_positions` − 1 pieces, and the user is told which line and by
/// how much rather than getting a silently shortened translation.
enum SourceLengthCheck {
  /// One warning line per line of `lines` that the model cannot read whole.
  ///
  /// - Parameters:
  ///   - firstLineNumber: the 1-based number of `lines[0]` in its input.
  ///   - input: how the input is named (`'in.txt'`, `standard input`), nil for a sentence
  ///     given as an argument.
  static func warnings(
    for lines: [String], firstLineNumber: Int = 1, input: String?, translator: Translator
  ) -> [String] {
    let limit = translator.maxSourcePieces
    return lines.enumerated().compactMap { offset, line in
      let count = translator.sourcePieceCount(line)
      guard count > limit else { return nil }
      let place = input.map { "line \(firstLineNumber + offset) of \($0)" } ?? "the sentence"
      let c = translator.model.configuration
      return message(
        place: place, pieces: count, limit: limit, learned: c.positions == .learned,
        decoderOnlyPositions: c.isDecoderOnly ? c.maxPositions : nil)
    }
  }

  /// `warning: line 3 of 'in.txt' has 300 BPE pieces, more than the 255 the model reads …`
  ///
  /// With learned positions (`learned`) it says why the limit is hard: the table has no row
  /// for a later position, so the model cannot read past it however it was trained. A
  /// decoder-only model (`decoderOnlyPositions`, its max_positions) gives the source half.
  static func message(
    place: String, pieces: Int, limit: Int, learned: Bool = false,
    decoderOnlyPositions: Int? = nil
  ) -> String {
    "warning: \(place) has \(pieces) BPE pieces, more than the \(limit) the model reads "
      + (decoderOnlyPositions.map {
        "(model.max_positions \($0), half for the source of a decoder-only model, one for </s>"
      } ?? "(model.max_positions \(limit + 1), one for </s>")
      + (learned ? "; model.positions learned has no row past position \(limit)" : "")
      + "); only its first \(limit) pieces are translated"
  }
}
