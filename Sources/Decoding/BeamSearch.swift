import Autograd
import NN
import Tensors
import Tokenizer

/// Beam search with a key–value cache and the length penalty of Wu et al. 2016 (§7).
///
/// Each sentence keeps `beamSize` (W) live hypotheses, one `IncrementalDecoder` row each. At
/// every step the W·V extensions of a sentence are ranked by log-probability and the best 2W
/// read in order: `</s>` among the first W ends a hypothesis, which is scored
/// `log P / ((5 + |Y|)/6)^α` and kept; the first W others become the next live hypotheses,
/// their cache rows gathered from their parents'. A sentence is done when W hypotheses have
/// ended or it reaches its length limit (its live hypotheses then end there too); done
/// sentences leave the batch, and the search stops when all are done. Ties go to the lower
/// (row, id), so W = 1 gives exactly `GreedySearch`'s output.
///
/// Shapes: B sentences, W beam size, R = B·W rows, V vocabulary.
public struct BeamSearch {
  /// The model that translates.
  public let model: Transformer
  /// Beam size, length penalty, length limits and the number of hypotheses returned.
  public var options: DecodingOptions

  /// A search over `model`.
  public init(model: Transformer, options: DecodingOptions = DecodingOptions()) {
    self.model = model
    self.options = options
  }

  /// The `options.nbest` best hypotheses of each source, best first, decoded as one batch.
  ///
  /// - Parameter sources: `[B]` piece-id sequences without `</s>` (appended here).
  /// - Returns: `[B]` lists of at most `nbest` hypotheses, ranked by their normalised score.
  public func search(_ sources: [[Int]]) -> [[DecodingHypothesis]] {
    guard !sources.isEmpty else { return [] }
    if let results = DecodingBatch.searchByLength(sources, model: model, search) {
      return results
    }
    let width = options.beamSize
    let batch = DecodingBatch(sources, model: model, options: options)
    let decoder = model.incrementalDecoder(
      sourceIDs: batch.sourceIDs, sourceLengths: batch.sourceLengths, rowsPerSentence: width,
      maxLength: batch.steps)
    let vocabularySize = model.configuration.vocabularySize
    let penalty = options.lengthPenalty

    var finished = [[DecodingHypothesis]](repeating: [], count: sources.count)
    var active = Array(sources.indices)  // decoder sentence j is source active[j]
    // Per row: the prefix (without <s>) and its log-probability. At the start every row of a
    // sentence holds the same empty prefix; only the first may extend it.
    var prefixes = [[Int]](repeating: [], count: sources.count * width)
    var scores = (0..<sources.count * width).map { $0 % width == 0 ? Float(0) : -.infinity }
    var tokens = [Int](repeating: Vocabulary.startID, count: sources.count * width)
    var step = 0
    while !active.isEmpty {
      let logits = decoder.step(tokens)  // [R, V]
      step += 1
      var rows: [Int] = []
      var survivors: [Int] = []
      var nextPrefixes: [[Int]] = []
      var nextScores: [Float] = []
      var nextTokens: [Int] = []
      // Per sentence, its best 2W extensions (live row, next id as the column, the prefix's
      // log-probability with it: `scores[row] + log P(id | row)`), best first: `<pad>` and `<s>`
      // never, `</s>` only past the minimum length. [B][≤ 2W]
      let ranked = logits.withUnsafeBufferPointer { values in
        logSoftmaxTopCandidates(
          values.baseAddress!, rows: decoder.rowCount, columns: vocabularySize, groupSize: width,
          offsets: scores,
          firstColumn: step - 1 >= options.minLength ? Vocabulary.endID : Vocabulary.endID + 1,
          count: 2 * width)
      }
      for (sentence, source) in active.enumerated() {
        let candidates = ranked[sentence]
        var live: [ScoredCandidate] = []
        for (rank, candidate) in candidates.enumerated() where live.count < width {
          if candidate.column == Vocabulary.endID {
            if rank < width {
              finished[source].append(
                DecodingHypothesis(
                  tokens: prefixes[candidate.row], logProbability: candidate.score,
                  score: penalty.normalized(candidate.score, length: step), isComplete: true))
            }
          } else {
            live.append(candidate)
          }
        }
        let atLimit = step >= batch.limits[source]
        if atLimit {
          for candidate in live {
            finished[source].append(
              DecodingHypothesis(
                tokens: prefixes[candidate.row] + [candidate.column],
                logProbability: candidate.score,
                score: penalty.normalized(candidate.score, length: step), isComplete: false))
          }
        }
        if atLimit || live.isEmpty || finished[source].count >= width { continue }
        // Fewer live extensions than W only when the rest are impossible (−∞): fill the rows
        // with copies of the first at −∞, which can never be chosen again.
        while live.count < width {
          live.append(ScoredCandidate(row: live[0].row, column: live[0].column, score: -.infinity))
        }
        survivors.append(sentence)
        for candidate in live {
          rows.append(candidate.row)
          nextPrefixes.append(prefixes[candidate.row] + [candidate.column])
          nextScores.append(candidate.score)
          nextTokens.append(candidate.column)
        }
      }
      guard !survivors.isEmpty else { break }
      // New row i takes the place of old row i: the tokens after their common prefix differ.
      let changed = rows.indices.map { row in
        let (old, new) = (prefixes[row], prefixes[rows[row]])
        var common = 0
        while common < old.count && common < new.count && old[common] == new[common] {
          common += 1
        }
        return Swift.max(old.count, new.count) - common
      }
      decoder.select(rows: rows, sentences: survivors, changedTokens: changed)
      active = survivors.map { active[$0] }
      prefixes = nextPrefixes
      scores = nextScores
      tokens = nextTokens
    }
    return finished.map { hypotheses in
      // A stable sort: equal scores keep the order in which they ended.
      let ranked = hypotheses.enumerated().sorted {
        ($0.element.score, -$0.offset) > ($1.element.score, -$1.offset)
      }
      return ranked.prefix(options.nbest).map(\.element)
    }
  }
}
