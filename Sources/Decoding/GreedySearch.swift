import Autograd
import NN
import Tensors
import Tokenizer

/// Greedy search with a key–value cache: at every step each sentence takes its single most
/// likely next piece, until `</s>` or its length limit.
///
/// All sentences are decoded together by one `IncrementalDecoder` (one row each); a sentence
/// that finishes is dropped from the batch, and the search stops when every sentence has
/// finished. Ties go to the lower id; `<pad>` and `<s>` are never produced.
///
/// Shapes: B sentences, V vocabulary.
public struct GreedySearch {
  /// The model that translates.
  public let model: Transformer
  /// Length limits (`beamSize`, `lengthPenalty` and `nbest` are not used).
  public var options: DecodingOptions

  /// A search over `model`.
  public init(model: Transformer, options: DecodingOptions = DecodingOptions(beamSize: 1)) {
    self.model = model
    self.options = options
  }

  /// The best-first translation of each source, decoded as one batch.
  ///
  /// - Parameter sources: `[B]` piece-id sequences without `</s>` (appended here).
  /// - Returns: `[B]` hypotheses scored by their log-probability (NaN without
  ///   `options.scores`).
  public func search(_ sources: [[Int]]) -> [DecodingHypothesis] {
    guard !sources.isEmpty else { return [] }
    if let results = DecodingBatch.searchByLength(sources, model: model, search) {
      return results
    }
    let batch = DecodingBatch(sources, model: model, options: options)
    let decoder = model.incrementalDecoder(
      sourceIDs: batch.sourceIDs, sourceLengths: batch.sourceLengths, rowsPerSentence: 1,
      maxLength: batch.steps)
    let vocabularySize = model.configuration.vocabularySize
    var results = sources.map { _ in
      DecodingHypothesis(tokens: [], logProbability: 0, score: 0, isComplete: false)
    }
    var active = Array(sources.indices)  // row r decodes sentence active[r]
    var tokens = [Int](repeating: Vocabulary.startID, count: sources.count)  // [B]
    while !active.isEmpty {
      let logits = decoder.step(tokens)  // [B, V]
      // `</s>` is a candidate once the sentence has its minimum length.
      let firstCandidate = { (row: Int) in
        results[active[row]].tokens.count >= options.minLength
          ? Vocabulary.endID : Vocabulary.endID + 1
      }
      let picks = logits.withUnsafeBufferPointer { values in
        // [B] (id, log-probability); NaN when no scores are wanted.
        if options.scores {
          return logSoftmaxArgMax(
            values.baseAddress!, rows: active.count, columns: vocabularySize,
            firstColumn: firstCandidate)
        }
        return argMax(
          values.baseAddress!, rows: active.count, columns: vocabularySize,
          firstColumn: firstCandidate
        ).map { (column: $0, logProbability: Float.nan) }
      }
      var keep: [Int] = []
      for (row, sentence) in active.enumerated() {
        let emitted = results[sentence].tokens.count
        let (id, logProbability) = picks[row]
        results[sentence].logProbability += logProbability
        if id == Vocabulary.endID {
          results[sentence].isComplete = true
          continue
        }
        results[sentence].tokens.append(id)
        tokens[row] = id
        if emitted + 1 < batch.limits[sentence] { keep.append(row) }
      }
      if keep.count < active.count {
        decoder.select(rows: keep, sentences: keep)
        active = keep.map { active[$0] }
        tokens = keep.map { tokens[$0] }
      }
    }
    for index in results.indices { results[index].score = results[index].logProbability }
    return results
  }
}
