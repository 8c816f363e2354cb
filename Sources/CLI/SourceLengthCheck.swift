import Decoding
import NN

/// What `translate` and `eval` do with a sentence longer than the model reads.
///
/// Sinusoidal, rotary and ALiBi positions could go on past the table, but the model was never
/// trained there, so the sentence is translated from its first `max_positions` − 1 pieces and
/// the user is told which line and by how much rather than getting a silently shortened
/// translation. A learned table (`learned`) has no row for a later position at all: the
/// sentence cannot be read whole however the model was trained, so it is refused, as fairseq
/// refuses an input past `max_source_positions`, before anything is translated or written.
enum SourceLengthCheck {
  /// One warning line per line of `lines` that the model cannot read whole.
  ///
  /// - Parameters:
  ///   - firstLineNumber: the 1-based number of `lines[0]` in its input.
  ///   - input: how the input is named (`'in.txt'`, `standard input`), nil for a sentence
  ///     given as an argument.
  /// - Throws: `RuntimeError` naming the first such line when the model's positions are
  ///   learned.
  static func warnings(
    for lines: [String], firstLineNumber: Int = 1, input: String?, translator: Translator
  ) throws(RuntimeError) -> [String] {
    let limit = translator.maxSourcePieces
    let c = translator.model.configuration
    let learned = c.positions == .learned
    let decoderOnlyPositions = c.isDecoderOnly ? c.maxPositions : nil
    var warnings: [String] = []
    for (offset, line) in lines.enumerated() {
      let count = translator.sourcePieceCount(line)
      guard count > limit else { continue }
      let place = input.map { "line \(firstLineNumber + offset) of \($0)" } ?? "the sentence"
      if learned {
        throw RuntimeError(
          refusal(
            place: place, pieces: count, limit: limit,
            decoderOnlyPositions: decoderOnlyPositions))
      }
      warnings.append(
        message(
          place: place, pieces: count, limit: limit, decoderOnlyPositions: decoderOnlyPositions))
    }
    return warnings
  }

  /// `warning: line 3 of 'in.txt' has 300 BPE pieces, more than the 255 the model reads …`
  ///
  /// A decoder-only model (`decoderOnlyPositions`, its max_positions) gives the source half.
  static func message(
    place: String, pieces: Int, limit: Int, decoderOnlyPositions: Int? = nil
  ) -> String {
    "warning: " + excess(place: place, pieces: pieces, limit: limit, decoderOnlyPositions)
      + "; only its first \(limit) pieces are translated"
  }

  /// `line 3 of 'in.txt' has 300 BPE pieces, more than … : the learned position table … has
  /// only 256 rows …`: the table has `max_positions` rows, a decoder-only model keeping half of
  /// them for the translation.
  static func refusal(
    place: String, pieces: Int, limit: Int, decoderOnlyPositions: Int? = nil
  ) -> String {
    excess(place: place, pieces: pieces, limit: limit, decoderOnlyPositions)
      + ": the learned position table (model.positions \"learned\") has only "
      + "\(decoderOnlyPositions ?? limit + 1) rows"
      + (decoderOnlyPositions == nil ? "" : ", half of them kept for the translation")
      + ", so it cannot be read whole; shorten it, or train with a larger model.max_positions"
  }

  private static func excess(
    place: String, pieces: Int, limit: Int, _ decoderOnlyPositions: Int?
  ) -> String {
    "\(place) has \(pieces) BPE pieces, more than the \(limit) the model reads "
      + (decoderOnlyPositions.map {
        "(model.max_positions \($0), half for the source of a decoder-only model, one for </s>)"
      } ?? "(model.max_positions \(limit + 1), one for </s>)")
  }
}
