import Autograd
import Foundation
import Tensors

/// Runs a `Transformer`'s decoder one position at a time for a batch of source sentences,
/// several rows (beam hypotheses) per sentence, without recomputing the prefix.
///
/// Each decoder layer keeps its self-attention keys and values in a `KeyValueCache`; the
/// encoder–decoder attention keys and values are projected once from the encoder output
/// (Vaswani et al. §3.2.3). A step embeds one token per row, runs every layer on that single
/// position and returns the logits of the next token. Inference only: nothing is recorded and
/// dropout is never applied. The projections are `Tensors` GEMMs over all rows (M = R), on
/// weights packed once per decoder (`IncrementalDecoderWeights`), or
/// `IncrementalDecoderRowProduct` when there are only a few rows; the attention of the one
/// new query per (row, head) is `IncrementalDecoderAttention`, around the fused softmax. All
/// buffers are allocated at the start; a step allocates only the logits it returns.
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

  /// S: the padded source length.
  private let sourceLength: Int
  /// Per layer, the encoder–decoder keys and values `[B, H, S, K]` of the active sentences.
  private let memoryKeys: [TensorStorage]
  private let memoryValues: [TensorStorage]
  private let workspace: IncrementalDecoderWorkspace
  /// The weights packed for the blocked GEMM when the rows are many; nil for the few-row
  /// products, which read the weights themselves.
  private let packedWeights: IncrementalDecoderWeights?

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
    let (batch, length) = (memory.shape[0], memory.shape[1])
    sourceLength = length
    let rows = batch * rowsPerSentence
    cache = KeyValueCache(
      layerCount: c.decoderLayerCount, headCount: c.headCount, headSize: c.headWidth,
      rowCount: rows, capacity: maxLength)
    workspace = IncrementalDecoderWorkspace(
      rows: rows, width: c.modelWidth, feedForwardWidth: c.feedForwardWidth,
      heads: c.headCount, keys: max(maxLength, length))
    packedWeights =
      rows > IncrementalDecoderRowProduct.maxRows ? IncrementalDecoderWeights(model: model) : nil
    // The encoder–decoder keys and values, once per sentence: [B, S, D] → [B, H, S, K].
    var keys: [TensorStorage] = []
    var values: [TensorStorage] = []
    Tape.withoutRecording {
      let source = Variable(memory)
      for layer in model.decoder.layers {
        let attention = layer.crossAttention
        keys.append(splitHeads(attention.key(source).value, heads: c.headCount).storage)
        values.append(splitHeads(attention.value(source).value, heads: c.headCount).storage)
      }
    }
    memoryKeys = keys
    memoryValues = values
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
    let c = model.configuration
    let (rows, width) = (rowCount, c.modelWidth)
    precondition(
      tokens.count == rows, "IncrementalDecoder.step: \(tokens.count) tokens for \(rows) rows")
    precondition(
      cache.length < maxLength, "IncrementalDecoder.step: all \(maxLength) positions are used")
    let w = workspace
    let position = cache.length
    // E[id]·√D + PE[t] (§3.4–3.5), as `Transformer` embeds a prefix.
    let table = model.targetEmbedding.weight.value
    tokens.withUnsafeBufferPointer { ids in
      embeddingForward(
        table: table.storage.pointer, vocabularySize: c.vocabularySize, width: width,
        ids: ids.baseAddress!, count: rows, scale: Float(width).squareRoot(),
        into: w.stream.pointer)  // [R, D]
    }
    vectorAddRowVector(
      w.stream.pointer, model.positionalEncoding.table.storage.pointer + position * width,
      into: w.stream.pointer, rows: rows, columns: width)  // [R, D]

    for (index, layer) in model.decoder.layers.enumerated() {
      let packed = packedWeights?.layers[index]
      w.residual(layer.selfAttentionConnection, rows: rows, width: width) { x in
        selfAttention(layer.selfAttention, packed: packed, layer: index, x, rows: rows)
      }
      w.residual(layer.crossAttentionConnection, rows: rows, width: width) { x in
        memoryAttention(layer.crossAttention, packed: packed, layer: index, x)
      }
      w.residual(layer.feedForwardConnection, rows: rows, width: width) { x in
        w.feedForward(
          layer.feedForward, packed: packed.map { ($0.inner, $0.outer) }, x,
          into: w.update.pointer, rows: rows)
      }
    }
    cache.advance()
    if let norm = model.decoder.finalNorm {
      w.layerNorm(norm, w.stream.pointer, into: w.stream.pointer, rows: rows)
    }
    // The pre-softmax projection x·Eᵀ (§3.4).
    let projection = model.outputProjection.weight.value  // [V, D]
    var logits = Tensor(uninitializedShape: [rows, c.vocabularySize])
    logits.withUnsafeMutableBufferPointer { logits in
      if rows <= IncrementalDecoderRowProduct.maxRows {
        IncrementalDecoderRowProduct.multiplyTransposed(
          w.stream.pointer, projection.storage.pointer, into: logits.baseAddress!, rows: rows,
          inner: width, columns: c.vocabularySize)
        return
      }
      if let packed = packedWeights?.projection {
        gemm(
          m: rows, a: w.stream.pointer, lda: width, transposeA: false, b: packed,
          c: logits.baseAddress!, ldc: c.vocabularySize)
      } else {
        gemm(
          m: rows, n: c.vocabularySize, k: width, a: w.stream.pointer, lda: width,
          transposeA: false, b: projection.storage.pointer, ldb: width, transposeB: true,
          c: logits.baseAddress!, ldc: c.vocabularySize)
      }
    }
    return logits  // [R, V]
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
    // Compacting forward in place is safe because sentences[j] ≥ j.
    let block = model.configuration.modelWidth * sourceLength  // H·S·K
    for layer in memoryKeys.indices {
      for buffer in [memoryKeys[layer], memoryValues[layer]] {
        for (new, old) in sentences.enumerated() where new != old {
          (buffer.pointer + new * block).update(from: buffer.pointer + old * block, count: block)
        }
      }
    }
    sourceLengths = sentences.map { sourceLengths[$0] }
  }

  // MARK: Attention

  /// Masked self-attention of the new position over the cached positions and itself:
  /// appends the new keys and values, writes `[R, D]` into `workspace.update`.
  private func selfAttention(
    _ attention: MultiHeadAttention, packed: IncrementalDecoderWeights.Layer?, layer: Int,
    _ x: UnsafePointer<Float>, rows: Int
  ) {
    let w = workspace
    let c = model.configuration
    let (heads, size) = (c.headCount, c.headWidth)
    w.linear(attention.query, packed: packed?.selfQuery, x, into: w.query.pointer, rows: rows)  // [R, H, K]
    w.linear(attention.key, packed: packed?.selfKey, x, into: w.key.pointer, rows: rows)  // [R, D]
    w.linear(attention.value, packed: packed?.selfValue, x, into: w.value.pointer, rows: rows)  // [R, D]
    cache.append(layer: layer, key: w.key.pointer, value: w.value.pointer)
    let keys = cache.length + 1  // the new position sees every earlier one and itself
    // Item i = (row, head) reads q[i·K], the cache's keys and values from i·C·K, and writes
    // the context [R, H, K] = [R, D] in the model's layout.
    let (keyCache, valueCache, stride) = (
      cache.keys(layer: layer), cache.values(layer: layer), cache.headStride
    )
    let (query, context) = (w.query.pointer, w.context.pointer)
    IncrementalDecoderAttention.attend(
      items: rows * heads, headSize: size, keyCount: keys, scores: w.scores.pointer,
      softmaxBatch: 1, mask: .none,
      query: { UnsafePointer(query + $0 * size) }, visible: { _ in keys },
      keyBase: { UnsafePointer(keyCache + $0 * stride) },
      valueBase: { UnsafePointer(valueCache + $0 * stride) },
      output: { context + $0 * size })
    w.linear(
      attention.output, packed: packed?.selfOutput, w.context.pointer, into: w.update.pointer,
      rows: rows)  // [R, D]
  }

  /// Attention of the new position of every row over its sentence's encoder output, whose
  /// keys and values were projected once. Writes `[R, D]` into `workspace.update`.
  private func memoryAttention(
    _ attention: MultiHeadAttention, packed: IncrementalDecoderWeights.Layer?, layer: Int,
    _ x: UnsafePointer<Float>
  ) {
    let w = workspace
    let c = model.configuration
    let (heads, size, beams) = (c.headCount, c.headWidth, rowsPerSentence)
    let (batch, keys) = (sentenceCount, sourceLength)
    w.linear(
      attention.query, packed: packed?.crossQuery, x, into: w.query.pointer,
      rows: batch * beams)  // [B, W, D]
    // Item i = (sentence b, head h, beam w) reads row b·W + w of the query, the memory's
    // keys and values of (b, h), and the first S_b of them.
    let (keyMemory, valueMemory) = (memoryKeys[layer].pointer, memoryValues[layer].pointer)
    let (query, context, lengths) = (w.query.pointer, w.context.pointer, sourceLengths)
    let width = heads * size
    IncrementalDecoderAttention.attend(
      items: batch * heads * beams, headSize: size, keyCount: keys, scores: w.scores.pointer,
      softmaxBatch: batch, mask: AttentionMask(keyLengths: lengths),
      query: { item in
        let (b, h, beam) = (item / (heads * beams), item / beams % heads, item % beams)
        return UnsafePointer(query + (b * beams + beam) * width + h * size)
      },
      visible: { lengths[$0 / (heads * beams)] },
      keyBase: { UnsafePointer(keyMemory + $0 / beams * keys * size) },
      valueBase: { UnsafePointer(valueMemory + $0 / beams * keys * size) },
      output: { item in
        let (b, h, beam) = (item / (heads * beams), item / beams % heads, item % beams)
        return context + (b * beams + beam) * width + h * size
      })  // [B, W, D]
    w.linear(
      attention.output, packed: packed?.crossOutput, w.context.pointer, into: w.update.pointer,
      rows: batch * beams)  // [B, W, D]
  }
}
