import Autograd
import Tensors

/// Runs a `Transformer`'s decoder one position at a time for a batch of source sentences,
/// several rows (beam hypotheses) per sentence, without recomputing the prefix.
///
/// The driver of `Transformer.decodeStep`: it owns the self-attention `KeyValueCache`, the
/// encoder–decoder attention's keys and values projected once from the encoder output
/// (Vaswani et al. §3.2.3), and, when the rows are many, the weights packed once for the
/// blocked GEMM (`PackedWeights`). The equations are the layers' own: every layer type has a
/// `step` form beside its training form. Inference only: nothing is recorded and dropout is
/// never applied.
///
/// ```swift
/// let memory = model.encode(sourceIDs: ids, sourceLengths: lengths)  // [B, S, D]
/// let decoder = IncrementalDecoder(
///   model: model, memory: memory, sourceLengths: lengths, rowsPerSentence: 4, maxLength: 60)
/// let logits = decoder.step([1, 1, 1, 1, …])  // [B·4, V]
/// decoder.select(rows: survivors, sentences: Array(0..<B))
/// ```
///
/// A decoder-only model (`init(model:sourceIDs:…)`) has no encoder output: the source itself
/// is run through the stack once, one position at a time on one row per sentence, filling the
/// self-attention cache; each sentence's row is then copied to its W rows, and the steps
/// continue after the source, at the positions training gave the target. The rows of one
/// decoder must share their source length (the searches group sentences by it), so that no
/// padding sits between a source and its target.
///
/// Rows are grouped by sentence: rows `b·W ..< (b+1)·W` belong to sentence b.
/// Shapes: B sentences, W rows per sentence, R = B·W rows, S source length, D model width,
/// H heads, K head size, V vocabulary.
public final class IncrementalDecoder {
  /// The model decoded.
  public let model: Transformer
  /// W: the rows of each sentence.
  public let rowsPerSentence: Int
  /// The most steps this decoder can take (the positions of its cache).
  public let maxLength: Int
  /// The source length of each active sentence, `[B]`.
  public private(set) var sourceLengths: [Int]
  /// The self-attention keys and values of every layer.
  public private(set) var cache: KeyValueCache
  /// The source positions at the start of `cache`: S in a decoder-only model, else 0.
  public let prefixLength: Int

  /// Per decoder layer, the encoder–decoder keys and values `[B, H, S, K]` of the active
  /// sentences.
  private var memory: [KeyValueCache.Layer]
  /// The weights packed for the blocked GEMM when the rows are many, else the model's row
  /// panels for the row products.
  private let packedWeights: PackedWeights

  /// A decoder positioned before the first target token.
  ///
  /// - Parameters:
  ///   - model: the Transformer; its weights are read at every step, not copied.
  ///   - memory: the encoder output `[B, S, D]` (`Transformer.encode`).
  ///   - sourceLengths: `[B]`; the memory's padding positions are never attended to.
  ///   - rowsPerSentence: W, the rows (hypotheses) decoded for each sentence.
  ///   - maxLength: the most steps; at most `maxPositions`.
  public init(
    model: Transformer, memory: Tensor, sourceLengths: [Int], rowsPerSentence: Int,
    maxLength: Int
  ) {
    let c = model.configuration
    precondition(
      memory.rank == 3 && memory.shape[0] == sourceLengths.count
        && memory.shape[2] == c.modelWidth,
      "IncrementalDecoder: memory \(memory.shape) does not fit \(sourceLengths.count) sentences "
        + "at width \(c.modelWidth)")
    precondition(
      rowsPerSentence > 0 && (1...c.maxPositions).contains(maxLength),
      "IncrementalDecoder: \(rowsPerSentence) rows per sentence, max length \(maxLength) "
        + "(max_positions \(c.maxPositions))")
    self.model = model
    self.rowsPerSentence = rowsPerSentence
    self.maxLength = maxLength
    self.sourceLengths = sourceLengths
    let rows = sourceLengths.count * rowsPerSentence
    cache = KeyValueCache(
      layerCount: c.decoderLayerCount, headCount: c.keyValueHeadCount, headSize: c.headWidth,
      rowCount: rows, capacity: maxLength)
    self.memory = model.decoder.layers.map { $0.crossAttention!.cachedKeysAndValues(of: memory) }
    packedWeights = PackedWeights.forSteps(of: model, rows: rows)
    prefixLength = 0
  }

  /// A decoder-only model's decoder, positioned after the source: the source positions are
  /// in the cache, and the first step feeds `<s>` at position S.
  ///
  /// - Parameters:
  ///   - model: a decoder-only Transformer.
  ///   - sourceIDs: `[B, S]` row-major, each row ending in `</s>`, all of length S.
  ///   - sourceLengths: `[B]`, all S.
  ///   - rowsPerSentence: W.
  ///   - maxLength: the most target steps; S + `maxLength` is at most `maxPositions`.
  public init(
    model: Transformer, sourceIDs: [Int], sourceLengths: [Int], rowsPerSentence: Int,
    maxLength: Int
  ) {
    let c = model.configuration
    let sentences = sourceLengths.count
    let sourceLength = sourceLengths.first ?? 0
    precondition(
      c.isDecoderOnly && sentences > 0 && sourceLength > 0
        && sourceLengths.allSatisfy { $0 == sourceLength }
        && sourceIDs.count == sentences * sourceLength,
      "IncrementalDecoder: a decoder-only model's sentences must share one source length, got "
        + "\(sourceLengths) for \(sourceIDs.count) ids")
    precondition(
      rowsPerSentence > 0 && maxLength > 0 && sourceLength + maxLength <= c.maxPositions,
      "IncrementalDecoder: \(rowsPerSentence) rows per sentence, source \(sourceLength) + max "
        + "length \(maxLength) (max_positions \(c.maxPositions))")
    self.model = model
    self.rowsPerSentence = rowsPerSentence
    self.maxLength = maxLength
    self.sourceLengths = sourceLengths
    let rows = sentences * rowsPerSentence
    cache = KeyValueCache(
      layerCount: c.decoderLayerCount, headCount: c.keyValueHeadCount, headSize: c.headWidth,
      rowCount: rows, capacity: sourceLength + maxLength)
    memory = []
    packedWeights = PackedWeights.forSteps(of: model, rows: rows)
    prefixLength = sourceLength
    // The W rows of a sentence share its source: run it on one row per sentence, then copy.
    cache.reorder(Array(0..<sentences))
    for position in 0..<sourceLength {
      let tokens = (0..<sentences).map { sourceIDs[$0 * sourceLength + position] }  // [B]
      model.prefill(tokens: tokens, cache: &cache, packed: packedWeights)
    }
    cache.reorder((0..<rows).map { $0 / rowsPerSentence })
  }

  /// The bytes of the key–value state: the self-attention cache `[R, G, C, K]` and the
  /// cross-attention keys and values `[B, G, S, K]` of every decoder layer, keys and values
  /// (G the key/value heads: grouped-query attention shrinks both by H/G).
  public var cacheByteCount: Int {
    cache.byteCount + memory.reduce(0) { $0 + $1.byteCount }
  }

  /// B: the sentences still decoded.
  public var sentenceCount: Int { sourceLengths.count }
  /// R = B·W: the rows a step reads and returns.
  public var rowCount: Int { sentenceCount * rowsPerSentence }
  /// The steps taken: the next step feeds target position `length` (sequence position
  /// `prefixLength + length`).
  public var length: Int { cache.length - prefixLength }

  /// Feeds one token per row at position `length` and returns the next token's logits.
  ///
  /// - Parameter tokens: `[R]`, the last token of each row (`<s>` at the first step).
  /// - Returns: the logits `[R, V]`, as `Transformer.decodeLogits` gives for the last
  ///   position of the whole prefix.
  public func step(_ tokens: [Int]) -> Tensor {
    precondition(
      tokens.count == rowCount,
      "IncrementalDecoder.step: \(tokens.count) tokens for \(rowCount) rows")
    precondition(
      length < maxLength, "IncrementalDecoder.step: all \(maxLength) positions are used")
    return model.decodeStep(
      tokens: tokens, cache: &cache, memory: memory, sourceLengths: sourceLengths,
      packed: packedWeights)  // [R, V]
  }

  /// Keeps the rows `rows` of the sentences `sentences`: new row i continues old row
  /// `rows[i]`, new sentence j is old sentence `sentences[j]`. Beam search calls it after
  /// every step with the parents of the surviving hypotheses, and drops finished sentences.
  ///
  /// - Parameters:
  ///   - rows: `[B′·W]`, old row indices; new rows `j·W ..< (j+1)·W` must come from the rows of
  ///     old sentence `sentences[j]`.
  ///   - sentences: `[B′]`, old sentence indices in increasing order.
  ///   - changedTokens: per new row i, how many of its last tokens differ from old row i's
  ///     (beam search knows both prefixes): positions before those hold the same keys and
  ///     values in both rows when they decode the same sentence (every row's arithmetic is the
  ///     same), so they are not copied. Nil: copy whole rows.
  public func select(rows: [Int], sentences: [Int], changedTokens: [Int]? = nil) {
    let width = rowsPerSentence
    precondition(
      rows.count == sentences.count * width
        && rows.enumerated().allSatisfy { $0.element / width == sentences[$0.offset / width] }
        && (changedTokens.map { $0.count == rows.count && $0.allSatisfy { $0 >= 0 } } ?? true),
      "IncrementalDecoder.select: rows \(rows) do not belong to sentences \(sentences), or "
        + "changed tokens \(changedTokens ?? []) are not one count ≥ 0 a row")
    // The generated tokens are a row's last positions; the ones before (the start token, or a
    // decoder-only model's source) are its sentence's.
    let unchanged = changedTokens.map { changed in
      rows.indices.map { row in
        sentences[row / width] == row / width ? Swift.max(0, cache.length - changed[row]) : 0
      }
    }
    cache.reorder(rows, unchanged: unchanged)
    if sentences == Array(0..<sentenceCount) { return }
    precondition(
      zip(sentences, sentences.dropFirst()).allSatisfy { $0 < $1 },
      "IncrementalDecoder.select: sentences \(sentences) must increase")
    for layer in memory.indices { memory[layer].reorder(sentences) }  // compacts in place
    sourceLengths = sentences.map { sourceLengths[$0] }
  }
}
