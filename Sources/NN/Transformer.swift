import Autograd
import Tensors

/// The encoder–decoder Transformer of Vaswani et al. 2017 (§3, figure 1) for translation.
///
/// Source and target ids are embedded (times √D, §3.4), added to sinusoidal positions (§3.5)
/// and dropped out (§5.4); the encoder reads the source, the decoder reads the target prefix
/// and the encoder's output, and a linear projection without bias turns the decoder's states
/// into logits over the joint vocabulary. With `tieEmbeddings`, one `[V, D]` matrix is the
/// source embedding, the target embedding and that projection (§3.4).
///
/// ```swift
/// let model = Transformer(configuration: TransformerConfiguration(vocabularySize: 8000), seed: 1)
/// var adam = Adam(parameters: model.parameters)
/// let tape = Tape()
/// let (loss, totals) = tape.record {
///   model.loss(
///     sourceIDs: batch.sourceIDs, targetInputIDs: batch.targetInputIDs,
///     targetOutputIDs: batch.targetOutputIDs, sourceLengths: batch.sourceLengths,
///     targetLengths: batch.targetLengths, labelSmoothing: 0.1)
/// }
/// loss.backward()
/// adam.step(model.parameters, learningRate: rate)
/// ```
///
/// With `architecture` decoder-only there is no encoder: one causal stack of the decoder's
/// layers without cross-attention reads each row `source </s> <s> target` (`DecoderOnlySequence`)
/// and the loss counts the target positions only. The batches, the searches and the cache keep
/// their encoder–decoder interface; only the order of the pieces inside the model changes.
///
/// Shapes: B batch, S source length, T target length, D model width, V vocabulary.
/// Ids are row-major `[B, S]` / `[B, T]` arrays padded with `configuration.paddingID`.
public final class Transformer {
  /// The shape the model was built with; saved with the weights.
  public let configuration: TransformerConfiguration
  /// The source embedding: `embedding` when tied, else `source_embedding` (decoder-only:
  /// `embedding`, the one input table, which is also `targetEmbedding`).
  public let sourceEmbedding: Embedding
  /// The target embedding: `embedding` when tied, else `target_embedding`.
  public let targetEmbedding: Embedding
  /// The pre-softmax projection, used as `x·Wᵀ`: `embedding` when tied, else
  /// `output_projection`.
  public let outputProjection: Embedding
  /// The sinusoidal table, shared by source and target (used with `positions` sinusoidal).
  public let positionalEncoding: PositionalEncoding
  /// With `positions` learned, the trained `[P, D]` table added to the source embeddings,
  /// named `encoder.positions.weight` (decoder-only: `targetPositions`, the one table); else nil.
  public let sourcePositions: Embedding?
  /// With `positions` learned, the target's table, `decoder.positions.weight`; else nil.
  public let targetPositions: Embedding?
  /// The encoder stack, parameters under `encoder.`; nil in a decoder-only model.
  public let encoder: TransformerEncoder?
  /// The decoder stack, parameters under `decoder.`.
  public let decoder: TransformerDecoder
  /// Whether `loss` applies dropout. `encode` and `decodeLogits` never do.
  public var isTraining = true
  /// The decoder's step weights in each layout, kept while they do not change
  /// (`stepWeights(layout:)`).
  let stepWeightCache = StepWeightCache()
  /// Where `loss` draws its dropout masks; advanced by every training forward pass. Save its
  /// `state` to resume the exact stream.
  public var dropoutGenerator: RandomGenerator

  /// A freshly initialised model: Xavier-uniform weight matrices, zero biases, identity norms,
  /// and embeddings from N(0, 1/D) (see `Embedding`), all drawn from one generator seeded with
  /// `seed` in a fixed order (embeddings, encoder layers, decoder layers). The dropout stream
  /// continues that generator.
  ///
  /// - Parameters:
  ///   - configuration: the model's shape; `configuration.problem` must be nil.
  ///   - seed: the seed of every random draw.
  public init(configuration: TransformerConfiguration, seed: UInt64) {
    if let problem = configuration.problem {
      preconditionFailure("Transformer: invalid configuration: \(problem)")
    }
    self.configuration = configuration
    let (width, vocabularySize) = (configuration.modelWidth, configuration.vocabularySize)
    var generator = RandomGenerator(seed: seed)
    func table(_ name: String) -> Embedding {
      Embedding(name: name, vocabularySize: vocabularySize, width: width, using: &generator)
    }
    if configuration.tieEmbeddings {
      let shared = table("embedding")
      (sourceEmbedding, targetEmbedding, outputProjection) = (shared, shared, shared)
    } else if configuration.isDecoderOnly {
      // One stack reads source and target pieces alike: one input table.
      let input = table("embedding")
      (sourceEmbedding, targetEmbedding) = (input, input)
      outputProjection = table("output_projection")
    } else {
      sourceEmbedding = table("source_embedding")
      targetEmbedding = table("target_embedding")
      outputProjection = table("output_projection")
    }
    positionalEncoding = PositionalEncoding(
      maxPositions: configuration.maxPositions, width: width)
    encoder =
      configuration.isDecoderOnly
      ? nil
      : TransformerEncoder(name: "encoder", configuration: configuration, using: &generator)
    decoder = TransformerDecoder(name: "decoder", configuration: configuration, using: &generator)
    // Drawn last, so that the other variants' weights are the sinusoidal model's. N(0, 1/D) as
    // the token embeddings (fairseq's LearnedPositionalEmbedding draws the same).
    if configuration.positions == .learned {
      func positions(_ name: String) -> Embedding {
        Embedding(
          name: name, vocabularySize: configuration.maxPositions, width: width, using: &generator)
      }
      if configuration.isDecoderOnly {
        let table = positions("decoder.positions")
        (sourcePositions, targetPositions) = (table, table)
      } else {
        sourcePositions = positions("encoder.positions")
        targetPositions = positions("decoder.positions")
      }
    } else {
      (sourcePositions, targetPositions) = (nil, nil)
    }
    dropoutGenerator = generator
  }

  /// Every parameter once, in a fixed order: the embedding matrix (or the source, target and
  /// output matrices), the learned position tables (if any), then the encoder's, then the
  /// decoder's. Their names are the checkpoint's tensor names, e.g.
  /// `encoder.layers.0.self_attention.query.weight`. A table shared by two roles is listed once.
  public var parameters: [Variable] {
    let tables = [sourceEmbedding, targetEmbedding, outputProjection]
    let embeddings = tables.enumerated().filter { index, table in
      !tables[..<index].contains { $0.weight === table.weight }
    }.flatMap { $0.element.parameters }
    let positions =
      (sourcePositions.map { [$0] } ?? [])
      + (targetPositions.flatMap { $0.weight === sourcePositions?.weight ? nil : [$0] } ?? [])
    return embeddings + positions.flatMap(\.parameters) + (encoder?.parameters ?? [])
      + decoder.parameters
  }

  /// The number of trainable scalars.
  public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

  // MARK: Training

  /// The label-smoothed cross-entropy of the model on one batch, averaged over the target
  /// positions that are not padding, recorded on the active tape (if any) for `backward`.
  ///
  /// In training (`isTraining`) dropout masks are drawn from `dropoutGenerator`.
  ///
  /// - Parameters:
  ///   - sourceIDs: `[B, S]`, each row ending in `</s>`, padded.
  ///   - targetInputIDs: `[B, T]`, each row starting with `<s>`, padded.
  ///   - targetOutputIDs: `[B, T]`, the input shifted left and ending in `</s>`; padding
  ///     positions hold `paddingID` and are ignored.
  ///   - sourceLengths: `[B]`, the unpadded length of each source row.
  ///   - targetLengths: `[B]`, the unpadded length of each target row.
  ///   - labelSmoothing: ε (0.1 in the paper, §5.4).
  ///   - trace: records every step of the pass when given (`transformer-cli trace`).
  /// - Returns: the scalar mean loss, and the totals: summed smoothed loss, summed unsmoothed
  ///   negative log-likelihood (for perplexity) and the number of counted positions.
  public func loss(
    sourceIDs: [Int], targetInputIDs: [Int], targetOutputIDs: [Int], sourceLengths: [Int],
    targetLengths: [Int], labelSmoothing: Float, trace: ForwardTrace? = nil
  ) -> (loss: Variable, totals: CrossEntropyTotals) {
    precondition(
      targetOutputIDs.count == targetInputIDs.count,
      "Transformer.loss: \(targetOutputIDs.count) target outputs for \(targetInputIDs.count) "
        + "target inputs")
    var context = ForwardContext(
      isTraining: isTraining, generator: dropoutGenerator, trace: trace)
    defer { dropoutGenerator = context.generator }
    if configuration.isDecoderOnly {
      // One row `source </s> <s> target`; the labels of the source positions are padding, so
      // the loss is over the target positions only, exactly those of the encoder–decoder model.
      let sequence = DecoderOnlySequence(
        sourceIDs: sourceIDs, sourceLengths: sourceLengths, targetInputIDs: targetInputIDs,
        targetOutputIDs: targetOutputIDs, targetLengths: targetLengths,
        paddingID: configuration.paddingID)
      let logits = forwardDecoderOnly(sequence, context: &context)  // [B, S+T, V]
      let result = crossEntropy(
        logits: logits, targets: sequence.labels, labelSmoothing: labelSmoothing,
        ignoreIndex: configuration.paddingID)
      context.record(
        "loss: mean −log p(y_t) over target positions, label smoothing ε = \(labelSmoothing)",
        "[]", result.loss.value)
      return result
    }
    let memory = forwardEncoder(
      sourceIDs: sourceIDs, sourceLengths: sourceLengths, context: &context)  // [B, S, D]
    let logits = forwardDecoder(
      targetInputIDs: targetInputIDs, targetLengths: targetLengths, memory: memory,
      sourceLengths: sourceLengths, context: &context)  // [B, T, V]
    let result = crossEntropy(
      logits: logits, targets: targetOutputIDs, labelSmoothing: labelSmoothing,
      ignoreIndex: configuration.paddingID)
    context.record(
      "loss: mean −log p(y_t), label smoothing ε = \(labelSmoothing)",
      "[]", result.loss.value)
    return result
  }

  /// The encoder's output for a padded source batch, recorded on the active tape (if any).
  ///
  /// - Parameters:
  ///   - sourceIDs: `[B, S]` row-major.
  ///   - sourceLengths: `[B]`; keys past a row's length are masked.
  ///   - context: training flag and dropout generator.
  /// - Returns: `[B, S, D]`.
  public func forwardEncoder(
    sourceIDs: [Int], sourceLengths: [Int], context: inout ForwardContext
  ) -> Variable {
    guard let encoder else {
      preconditionFailure("Transformer.forwardEncoder: a decoder-only model has no encoder")
    }
    let (batch, length) = sequenceShape(sourceIDs, lengths: sourceLengths, "source")
    context.trace?.sequenceAxis = "S"
    context.enter(ForwardTrace.Module.encoder)
    defer { context.leave() }
    let x = embed(
      sourceEmbedding, sourceIDs, positionTable: sourcePositions, batch: batch, length: length,
      context: &context)
    return encoder(x, mask: AttentionMask(keyLengths: sourceLengths), context: &context)
  }

  /// The logits for every position of a padded target prefix, recorded on the active tape (if
  /// any). Position t sees target inputs `0...t` only (the causal mask).
  ///
  /// - Parameters:
  ///   - targetInputIDs: `[B, T]` row-major.
  ///   - targetLengths: `[B]`.
  ///   - memory: the encoder's output, `[B, S, D]`.
  ///   - sourceLengths: `[B]`, masking the memory's padding.
  ///   - context: training flag and dropout generator.
  /// - Returns: `[B, T, V]`.
  public func forwardDecoder(
    targetInputIDs: [Int], targetLengths: [Int], memory: Variable, sourceLengths: [Int],
    context: inout ForwardContext
  ) -> Variable {
    let (batch, length) = sequenceShape(targetInputIDs, lengths: targetLengths, "target")
    precondition(
      memory.value.rank == 3 && memory.shape[0] == batch
        && memory.shape[2] == configuration.modelWidth && sourceLengths.count == batch,
      "Transformer: memory \(memory.shape) and \(sourceLengths.count) source lengths do not fit "
        + "a target batch of \(batch) at width \(configuration.modelWidth)")
    context.trace?.sequenceAxis = "T"
    context.enter(ForwardTrace.Module.decoder)
    let y = embed(
      targetEmbedding, targetInputIDs, positionTable: targetPositions, batch: batch,
      length: length, context: &context)
    let states = decoder(
      y, memory: memory,
      selfMask: AttentionMask(keyLengths: targetLengths, causalOffset: 0),
      memoryMask: AttentionMask(keyLengths: sourceLengths), context: &context)  // [B, T, D]
    context.leave()
    let logits = outputProjection.asLinear(states)  // [B, T, V]
    context.record(
      "logits x·Eᵀ (pre-softmax projection, §3.4)", "[B, T, D] → [B, T, V]", logits.value)
    return logits
  }

  /// The logits for every position of decoder-only rows `source </s> <s> target`, recorded on
  /// the active tape (if any): the decoder stack without cross-attention under the causal mask,
  /// so position p sees positions `0...p` of its row, source included (a causal language model,
  /// not a prefix LM: see the README's "Decoder-only").
  ///
  /// - Parameters:
  ///   - sequence: the concatenated rows `[B, S+T]` and their lengths.
  ///   - context: training flag and dropout generator.
  /// - Returns: `[B, S+T, V]`, S+T the longest row.
  public func forwardDecoderOnly(
    _ sequence: DecoderOnlySequence, context: inout ForwardContext
  ) -> Variable {
    precondition(configuration.isDecoderOnly, "Transformer: forwardDecoderOnly on an encoder")
    let (batch, length) = sequenceShape(sequence.ids, lengths: sequence.lengths, "source + target")
    context.trace?.sequenceAxis = "S+T"
    context.enter(ForwardTrace.Module.decoder)
    let x = embed(
      targetEmbedding, sequence.ids, positionTable: targetPositions, batch: batch,
      length: length, context: &context)  // [B, S+T, D]
    let mask = AttentionMask(keyLengths: sequence.lengths, causalOffset: 0)
    let states = decoder(
      x, memory: nil, selfMask: mask, memoryMask: mask, context: &context)  // [B, S+T, D]
    context.leave()
    let logits = outputProjection.asLinear(states)  // [B, S+T, V]
    context.record(
      "logits x·Eᵀ (pre-softmax projection, §3.4)", "[B, S+T, D] → [B, S+T, V]", logits.value)
    return logits
  }

  // MARK: Inference

  /// The logits of every target position of a batch, recomputed in full (no key–value cache),
  /// without dropout and without recording, for either architecture: the reference that
  /// cached decoding must equal.
  ///
  /// - Parameters:
  ///   - sourceIDs: `[B, S]` row-major, each row ending in `</s>`, padded.
  ///   - sourceLengths: `[B]`.
  ///   - targetInputIDs: `[B, T]` row-major, starting with `<s>`.
  ///   - targetLengths: `[B]`; every row is T long when nil.
  /// - Returns: `[B, T, V]`; row t predicts target token t + 1.
  public func targetLogits(
    sourceIDs: [Int], sourceLengths: [Int], targetInputIDs: [Int], targetLengths: [Int]? = nil
  ) -> Tensor {
    let batch = sourceLengths.count
    let lengths =
      targetLengths
      ?? Array(repeating: batch == 0 ? 0 : targetInputIDs.count / batch, count: batch)
    guard configuration.isDecoderOnly else {
      let memory = encode(sourceIDs: sourceIDs, sourceLengths: sourceLengths)  // [B, S, D]
      return decodeLogits(
        memory: memory, sourceLengths: sourceLengths, targetInputIDs: targetInputIDs,
        targetLengths: lengths)  // [B, T, V]
    }
    let sequence = DecoderOnlySequence(
      sourceIDs: sourceIDs, sourceLengths: sourceLengths, targetInputIDs: targetInputIDs,
      targetOutputIDs: nil, targetLengths: lengths, paddingID: configuration.paddingID)
    let logits = Tape.withoutRecording {
      var context = ForwardContext.inference
      return forwardDecoderOnly(sequence, context: &context).value  // [B, S+T, V]
    }
    return sequence.targetRows(of: logits)  // [B, T, V]
  }

  /// The encoder's output for a source batch, without dropout and without recording.
  ///
  /// - Parameters:
  ///   - sourceIDs: `[B, S]` row-major, padded.
  ///   - sourceLengths: `[B]`.
  /// - Returns: the memory, `[B, S, D]`.
  public func encode(sourceIDs: [Int], sourceLengths: [Int]) -> Tensor {
    Tape.withoutRecording {
      var context = ForwardContext.inference
      return forwardEncoder(sourceIDs: sourceIDs, sourceLengths: sourceLengths, context: &context)
        .value
    }
  }

  /// The logits of every position of the target prefixes, recomputing the whole prefix (no
  /// key–value cache), without dropout and without recording.
  ///
  /// - Parameters:
  ///   - memory: `encode`'s output, `[B, S, D]`.
  ///   - sourceLengths: `[B]`.
  ///   - targetInputIDs: `[B, T]` row-major, starting with `<s>`.
  ///   - targetLengths: `[B]`; every row is T long when nil.
  /// - Returns: `[B, T, V]`; the last position's row predicts the next token.
  public func decodeLogits(
    memory: Tensor, sourceLengths: [Int], targetInputIDs: [Int], targetLengths: [Int]? = nil
  ) -> Tensor {
    let batch = sourceLengths.count
    let lengths =
      targetLengths
      ?? Array(repeating: batch == 0 ? 0 : targetInputIDs.count / batch, count: batch)
    return Tape.withoutRecording {
      var context = ForwardContext.inference
      return forwardDecoder(
        targetInputIDs: targetInputIDs, targetLengths: lengths, memory: Variable(memory),
        sourceLengths: sourceLengths, context: &context
      ).value
    }
  }

  /// The logits of the next token of every row after feeding `tokens` at position
  /// `cache.length` (incremental decoding), without dropout and without recording: the
  /// decoder half of `forwardDecoder` for one new position, the prefix read from `cache`.
  ///
  /// - Parameters:
  ///   - tokens: `[R]`, the last token of each row (`<s>` at the first step).
  ///   - cache: the decoder's self-attention keys and values, one position longer afterwards.
  ///   - memory: per decoder layer, the cross-attention's keys and values `[B, H, S, K]`
  ///     (`MultiHeadAttention.cachedKeysAndValues(of:)`), R = B·W rows grouped by sentence;
  ///     empty in a decoder-only model, whose `cache` holds the source positions too.
  ///   - sourceLengths: `[B]`, masking the memory's padding.
  ///   - packed: weights packed for steps of many rows.
  /// - Returns: `[R, V]`, as `decodeLogits` gives for the last position of the whole prefix.
  public func decodeStep(
    tokens: [Int], cache: inout KeyValueCache, memory: [KeyValueCache.Layer],
    sourceLengths: [Int], packed: PackedWeights? = nil
  ) -> Tensor {
    let y = embed(step: tokens, position: cache.length)  // [R, D]
    let states = decoder(
      step: y, cache: &cache, memory: memory, memoryMask: AttentionMask(keyLengths: sourceLengths),
      packed: packed)  // [R, D]
    return outputProjection.asLinear(step: states, packed: packed)  // [R, V]
  }

  /// Feeds one source token per row of a decoder-only model at position `cache.length`, only
  /// to fill `cache` (the prefill of `IncrementalDecoder`): `decodeStep` without the output
  /// projection, whose logits of the source positions no one reads.
  ///
  /// - Parameters:
  ///   - tokens: `[R]`, the source token at this position of each row.
  ///   - cache: the stack's self-attention keys and values, one position longer afterwards.
  ///   - packed: weights packed for steps of many rows.
  public func prefill(tokens: [Int], cache: inout KeyValueCache, packed: PackedWeights? = nil) {
    precondition(configuration.isDecoderOnly, "Transformer.prefill: not a decoder-only model")
    let x = embed(step: tokens, position: cache.length)  // [R, D]
    _ = decoder(
      step: x, cache: &cache, memory: [], memoryMask: AttentionMask(), packed: packed)  // [R, D]
  }

  /// The decoder's step weights laid out as `layout`, at the first call and again only after a
  /// weight has changed: what every `IncrementalDecoder` multiplies by (`PackedWeights.forSteps`).
  public func stepWeights(layout: PackedWeights.Layout) -> PackedWeights {
    stepWeightCache.weights(for: self, layout: layout)
  }

  // MARK: Pieces

  /// √D, the scale of the token embeddings (§3.4: "we multiply those weights by √d_model").
  var embeddingScale: Float { Float(configuration.modelWidth).squareRoot() }

  /// `Dropout(E[ids]·√D + PE)`, §3.4–3.5 and §5.4; with learned positions `+ P[0..<L]` instead
  /// of PE, with rope and alibi nothing (their positions act inside self-attention).
  ///
  /// - Returns: `[B, L, D]`.
  private func embed(
    _ table: Embedding, _ ids: [Int], positionTable: Embedding?, batch: Int, length: Int,
    context: inout ForwardContext
  ) -> Variable {
    let scale = embeddingScale
    let l = context.sequenceAxis
    context.record(
      "token ids", "[B, \(l)]", Tensor(shape: [batch, length], scalars: ids.map(Float.init)))
    context.record(
      "embedding lookup E[ids] (§3.4)", "[B, \(l)] → [B, \(l), D]",
      table(ids, shape: [batch, length]).value)
    let tokens = table(ids, shape: [batch, length], scale: scale)  // [B, L, D]
    context.record("× √D", "[B, \(l), D]", tokens.value)
    let positioned: Variable  // [B, L, D]
    switch configuration.positions {
    case .sinusoidal:
      let positions = positionalEncoding(length: length)  // [L, D]
      context.record("positional encoding PE (§3.5)", "[\(l), D]", positions.value)
      positioned = tokens + positions  // [B, L, D]
      context.record("+ PE", "[B, \(l), D]", positioned.value)
    case .learned:
      precondition(positionTable != nil, "Transformer: learned positions without a table")
      let positions = positionTable!(Array(0..<length), shape: [length])  // [L, D]
      context.record("learned positions P[0..<\(l)]", "[\(l), D]", positions.value)
      positioned = tokens + positions  // [B, L, D]
      context.record("+ P", "[B, \(l), D]", positioned.value)
    case .rope, .alibi:
      positioned = tokens  // [B, L, D]: positions enter in self-attention
    }
    let dropped = context.dropout(positioned, probability: Float(configuration.dropout))
    if context.isTraining { context.record("dropout (§5.4)", "[B, \(l), D]", dropped.value) }
    return dropped
  }

  /// `E[ids]·√D + PE[t]` of one new target position per row, as `embed` for an inference step.
  ///
  /// - Returns: `[R, D]`.
  private func embed(step tokens: [Int], position: Int) -> Tensor {
    var tokens = targetEmbedding(step: tokens, scale: embeddingScale)  // [R, D]
    switch configuration.positions {
    case .sinusoidal:
      tokens.addRowVector(positionalEncoding(position: position))  // [R, D]
    case .learned:
      let row = targetPositions!(step: [position])  // [1, D]
      tokens.addRowVector(Tensor(shape: [row.count], scalars: row.scalars))  // [R, D]
    case .rope, .alibi:
      break
    }
    return tokens
  }

  /// B and the padded length L of row-major ids `[B, L]` with `lengths` `[B]`, checked.
  private func sequenceShape(_ ids: [Int], lengths: [Int], _ what: String) -> (Int, Int) {
    let batch = lengths.count
    precondition(
      batch > 0 && ids.count % batch == 0,
      "Transformer: \(ids.count) \(what) ids do not form \(batch) rows")
    let length = ids.count / batch
    precondition(
      length <= configuration.maxPositions,
      "Transformer: \(what) length \(length) exceeds max_positions "
        + "\(configuration.maxPositions)")
    precondition(
      lengths.allSatisfy { (0...length).contains($0) },
      "Transformer: \(what) lengths \(lengths) must lie in 0...\(length)")
    return (batch, length)
  }
}
