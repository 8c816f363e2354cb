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

  /// Per decoder layer, the encoder–decoder keys and values `[B, H, S, K]` of the active
  /// sentences.
  private var memory: [KeyValueCache.Layer]
  /// The weights packed for the blocked GEMM when the rows are many; nil for the row
  /// products, which read the weights themselves.
  private let packedWeights: PackedWeights?

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
    self.memory = model.decoder.layers.map { $0.crossAttention.cachedKeysAndValues(of: memory) }
    packedWeights = rows > rowProductMaxRows ? PackedWeights(decoderOf: model) : nil
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
  /// The steps taken: the next step feeds position `length`.
  public var length: Int { cache.length }

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
      cache.length < maxLength, "IncrementalDecoder.step: all \(maxLength) positions are used")
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
  public func select(rows: [Int], sentences: [Int]) {
    let width = rowsPerSentence
    precondition(
      rows.count == sentences.count * width
        && rows.enumerated().allSatisfy { $0.element / width == sentences[$0.offset / width] },
      "IncrementalDecoder.select: rows \(rows) do not belong to sentences \(sentences)")
    cache.reorder(rows)
    if sentences == Array(0..<sentenceCount) { return }
    precondition(
      zip(sentences, sentences.dropFirst()).allSatisfy { $0 < $1 },
      "IncrementalDecoder.select: sentences \(sentences) must increase")
    for layer in memory.indices { memory[layer].reorder(sentences) }  // compacts in place
    sourceLengths = sentences.map { sourceLengths[$0] }
  }
}
