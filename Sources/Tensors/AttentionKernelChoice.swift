// Which attention kernel a layer runs: the standard fused op, which stores the [B, H, T, S]
// probabilities (fast for short sequences, quadratic memory), or the tiled memory-efficient op
// (MemoryEfficientAttention.swift: linear memory, and faster once the matrix outgrows the
// caches). `auto` picks by size with a threshold measured by `bench attention` (README, "Long
// inputs: memory-efficient attention").

/// The attention implementation a model is configured with (`model.attention`).
public enum AttentionImplementation: String, Codable, CaseIterable, Sendable {
  /// `attention(query:key:value:mask:)`: materialises the `[B, H, T, S]` probabilities.
  case standard
  /// `memoryEfficientAttention(query:key:value:mask:…)`: tiled, online softmax, no `[T, S]`.
  case memoryEfficient = "memory_efficient"
  /// The standard kernel for short inputs, the memory-efficient one for long inputs or a window
  /// (see `AttentionKernelChoice.resolve`).
  case auto
}

/// The kernel one attention call runs: what `AttentionImplementation` resolves to.
public enum AttentionKernel: String, Sendable {
  case standard
  case memoryEfficient = "memory_efficient"
}

/// The decision `auto` makes, as one pure function of the call's sizes.
public enum AttentionKernelChoice {
  /// `auto` runs the memory-efficient kernel from T·S ≥ this many scores per head: 512² and up.
  ///
  /// Measured with `scripts/bench-attention.sh` (forward + backward, H 8, K 64, B 1, causal and
  /// not, 2 threads, medians): the two kernels are within noise at 512 and the tiled kernel is
  /// faster from 1024 on, while its memory is linear in T from the start.
  public static let autoMinimumScores = 512 * 512

  /// The kernel to run for one attention call.
  ///
  /// `standard` and `memoryEfficient` are returned as they are; `auto` gives the memory-efficient
  /// kernel when `window` is set (the standard kernel has no sliding window) or when
  /// `queries · keys ≥ autoMinimumScores`, else the standard kernel. The threshold was measured
  /// at K 64; both kernels do O(T·S·K) work, so it is used for every head size.
  ///
  /// - Parameters:
  ///   - implementation: the configured `model.attention`.
  ///   - queries: T, the query positions of the call (1 in one step of cached decoding).
  ///   - keys: S, the key positions.
  ///   - headSize: K.
  ///   - window: `model.attention_window` where it applies (decoder self-attention), else nil.
  /// - Precondition: no `window` with `standard` (the configuration refuses that combination).
  public static func resolve(
    _ implementation: AttentionImplementation, queries: Int, keys: Int, headSize: Int,
    window: Int? = nil
  ) -> AttentionKernel {
    switch implementation {
    case .standard:
      precondition(
        window == nil, "AttentionKernelChoice.resolve: the standard kernel has no window")
      return .standard
    case .memoryEfficient:
      return .memoryEfficient
    case .auto:
      if window != nil { return .memoryEfficient }
      let (product, overflow) = queries.multipliedReportingOverflow(by: keys)
      return overflow || product >= autoMinimumScores ? .memoryEfficient : .standard
    }
  }
}
