import Support

/// The memory the standard attention op (`attention(query:key:value:mask:…)` in Autograd)
/// needs for its `[B, H, T, S]` matrices, so that a run too large for the machine can be
/// refused up front with a number instead of being killed.
///
/// What the op allocates, each `B·H·T·S` Float32s:
/// - forward: the scores, turned into probabilities in place (1); with dropout also the keep
///   mask and the dropped probabilities (3 at once);
/// - backward: the probabilities stay on the tape and the backward adds the score gradient (2);
///   with dropout the mask is drawn again beside them (3).
/// In training every attention op of the model holds its probabilities on the tape until the
/// backward reaches it, so a model needs `requiredBytes(…backward: false…)` per attention layer
/// plus one more matrix for the backward.
public enum StandardAttentionMemory {
  /// The `[B, H, T, S]` matrices alive at once at the op's peak.
  public static func matrixCount(backward: Bool, dropout: Bool) -> Int {
    dropout ? 3 : (backward ? 2 : 1)
  }

  /// The `[B, H, T, S]` matrices alive at once at the peak of a training step through
  /// `operations` attention ops: each keeps its probabilities on the tape until the backward
  /// reaches it, and the op that runs adds one more (the score gradient), two with dropout (the
  /// forward's mask and dropped probabilities, the backward's mask redrawn beside the dropped
  /// probabilities or the gradient); no dropped matrix is kept.
  public static func trainingMatrixCount(operations: Int, dropout: Bool) -> Int {
    operations + (dropout ? 2 : 1)
  }

  /// The bytes of one `[B, H, T, S]` Float32 matrix; `Int.max` if that overflows.
  public static func matrixBytes(batch: Int, heads: Int, queries: Int, keys: Int) -> Int {
    MemoryEstimate.product(4, batch, heads, queries, keys) ?? .max
  }

  /// The peak bytes of the op's `[B, H, T, S]` matrices (q, k, v and the output not counted);
  /// `Int.max` if that overflows.
  public static func requiredBytes(
    batch: Int, heads: Int, queries: Int, keys: Int, backward: Bool, dropout: Bool = false
  ) -> Int {
    let matrix = matrixBytes(batch: batch, heads: heads, queries: queries, keys: keys)
    return MemoryEstimate.product(matrix, matrixCount(backward: backward, dropout: dropout))
      ?? .max
  }

  /// Why `requiredBytes` cannot be allocated, in one line, or nil when it fits in
  /// `availableBytes` (by default the memory the kernel reports available now, else the
  /// physical memory; nil when neither can be read, and then nothing is refused).
  public static func problem(
    requiredBytes: Int, availableBytes: Int? = ProcessMemory.availableBytes()
  ) -> String? {
    guard let availableBytes, requiredBytes > availableBytes else { return nil }
    return "the standard attention kernel needs \(gigabytes(requiredBytes)) "
      + "(\(requiredBytes) bytes) for its [B, H, T, S] matrices, more than the "
      + "\(gigabytes(availableBytes)) of memory available"
  }

  /// `bytes` in GB (10⁹ bytes), one decimal: "8.6 GB".
  public static func gigabytes(_ bytes: Int) -> String {
    let value = Double(bytes) / 1e9
    return value >= 1e6 ? "\(Int(value)) GB" : "\((value * 10).rounded() / 10) GB"
  }
}
