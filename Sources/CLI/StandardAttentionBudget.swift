import Config
import Support
import Tensors

/// The memory the standard attention kernel needs in the largest batch a run can form, so that
/// `train` (and `eval --loss`) refuse a run that cannot fit before any work, as `bench
/// attention` does, instead of being killed by the system halfway through.
///
/// The largest batch: rows of `data.max_length + 1` tokens (the longer side with `<s>` or
/// `</s>`), as many as `training.batch_tokens` holds (at least one). Every attention op whose
/// kernel resolves to `standard` at that size (`AttentionKernelChoice.resolve`, per op:
/// encoder self-attention, decoder self-attention, cross-attention) stores a `[B, H, T, S]`
/// matrix (`StandardAttentionMemory`).
enum StandardAttentionBudget {
  /// Replaces the memory the system reports available (tests).
  nonisolated(unsafe) static var availableBytesOverride: Int? = nil

  /// What the standard kernel's matrices need at the peak, or nil when no op runs it.
  ///
  /// - Parameters:
  ///   - training: the ops keep their probabilities on the tape until the backward reaches
  ///     them, and the op that runs adds one matrix more, two with attention dropout
  ///     (`StandardAttentionMemory.trainingMatrixCount`); else one op's matrix at a time.
  static func requiredBytes(
    model: ModelConfig, longestRow: Int, batchTokens: Int, training: Bool
  ) -> (bytes: Int, operations: Int, rows: Int)? {
    let length = longestRow
    let rows = Swift.max(1, batchTokens / Swift.max(1, length))
    let headSize = model.modelWidth / Swift.max(1, model.headCount)
    func standard(causal: Bool, window: Int?) -> Bool {
      AttentionKernelChoice.resolve(
        model.attention, queries: length, keys: length, headSize: headSize, causal: causal,
        window: window) == .standard
    }
    // Encoder self-attention, decoder self-attention (causal), each with its window;
    // cross-attention.
    let operations =
      (standard(causal: false, window: model.encoderAttentionWindow) ? model.encoderLayerCount : 0)
      + (standard(causal: true, window: model.attentionWindow) ? model.decoderLayerCount : 0)
      + (standard(causal: false, window: nil) ? model.decoderLayerCount : 0)
    guard operations > 0 else { return nil }
    let matrix = StandardAttentionMemory.matrixBytes(
      batch: rows, heads: model.headCount, queries: length, keys: length)
    let matrices =
      training
      ? StandardAttentionMemory.trainingMatrixCount(
        operations: operations, dropout: model.attentionDropout > 0) : 1
    return (MemoryEstimate.product(matrix, matrices) ?? .max, operations, rows)
  }

  /// One line saying why the run cannot fit, or nil when it can (or when the available memory
  /// cannot be read).
  ///
  /// - Parameter availableBytes: by default the override, else `MemAvailable`.
  static func problem(
    model: ModelConfig, longestRow: Int, batchTokens: Int, training: Bool,
    availableBytes: Int? = availableBytesOverride ?? ProcessMemory.availableBytes()
  ) -> String? {
    guard
      let available = availableBytes,
      let need = requiredBytes(
        model: model, longestRow: longestRow, batchTokens: batchTokens, training: training),
      need.bytes > available
    else { return nil }
    let gigabytes = StandardAttentionMemory.gigabytes
    return "the standard attention kernel needs \(gigabytes(need.bytes)) (\(need.bytes) bytes) "
      + "for the [B, H, T, S] matrices of \(need.operations) attention "
      + (need.operations == 1 ? "layer" : "layers")
      + " at B \(need.rows), T = S \(longestRow), more than the \(gigabytes(available)) "
      + "(\(available) bytes) available; set model.attention \"memory_efficient\""
  }
}
