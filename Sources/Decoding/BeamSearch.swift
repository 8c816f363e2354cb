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

  /// One candidate extension: live row, next id, and the prefix's log-probability with it.
  private struct Candidate {
    var row: Int
    var id: Int
    var score: Float
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
      var logits = decoder.step(tokens)  // [R, V]
      step += 1
      var rows: [Int] = []
      var survivors: [Int] = []
      var nextPrefixes: [[Int]] = []
      var nextScores: [Float] = []
      var nextTokens: [Int] = []
      logits.withUnsafeMutableBufferPointer { values in
        let base = values.baseAddress!
        logSoftmaxForward(base, into: base, rows: decoder.rowCount, columns: vocabularySize)
        for (sentence, source) in active.enumerated() {
          let firstRow = sentence * width
          let candidates = Self.topCandidates(
            base, rows: firstRow..<(firstRow + width), scores: scores,
            vocabularySize: vocabularySize, count: 2 * width,
            allowsEnd: step - 1 >= options.minLength)
          var live: [Candidate] = []
          for (rank, candidate) in candidates.enumerated() where live.count < width {
            if candidate.id == Vocabulary.endID {
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
                  tokens: prefixes[candidate.row] + [candidate.id],
                  logProbability: candidate.score,
                  score: penalty.normalized(candidate.score, length: step), isComplete: false))
            }
          }
          if atLimit || live.isEmpty || finished[source].count >= width { continue }
          // Fewer live extensions than W only when the rest are impossible (−∞): repeat the
          // last one, which can never be chosen again.
          while live.count < width {
            live.append(Candidate(row: live[0].row, id: live[0].id, score: -.infinity))
          }
          survivors.append(sentence)
          for candidate in live {
            rows.append(candidate.row)
            nextPrefixes.append(prefixes[candidate.row] + [candidate.id])
            nextScores.append(candidate.score)
            nextTokens.append(candidate.id)
          }
        }
      }
      guard !survivors.isEmpty else { break }
      decoder.select(rows: rows, sentences: survivors)
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

  /// The `count` best extensions `scores[row] + logP[row, id]` of `rows`, best first; ties go
  /// to the lower (row, id). `<pad>` and `<s>` are never extensions, nor `</s>` unless
  /// `allowsEnd`; impossible (−∞) extensions are left out.
  private static func topCandidates(
    _ logProbabilities: UnsafePointer<Float>, rows: Range<Int>, scores: [Float],
    vocabularySize: Int, count: Int, allowsEnd: Bool
  ) -> [Candidate] {
    var best: [Candidate] = []
    best.reserveCapacity(count + 1)
    let first = allowsEnd ? Vocabulary.endID : Vocabulary.endID + 1
    for row in rows {
      let base = scores[row]
      guard base > -.infinity else { continue }
      let values = logProbabilities + row * vocabularySize
      for id in first..<vocabularySize {
        let score = base + values[id]
        // Strictly better than the worst kept: an equal later candidate never displaces.
        if best.count == count {
          guard score > best[count - 1].score else { continue }
          best.removeLast()
        }
        guard score > -.infinity else { continue }
        var position = best.count
        while position > 0 && best[position - 1].score < score { position -= 1 }
        best.insert(Candidate(row: row, id: id, score: score), at: position)
      }
    }
    return best
  }
}
