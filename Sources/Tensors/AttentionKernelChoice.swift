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
  /// Causal attention (decoder self-attention): `auto` runs the memory-efficient kernel from
  /// T·S ≥ 512².
  ///
  /// Measured with `scripts/bench-attention.sh` (forward + backward, H 8, K 64, B 1, 2 threads,
  /// medians of 3 on a shared machine): the tiled kernel skips the key tiles above the
  /// diagonal and was as fast or faster at every length, 31 against 55 ms at 512, 0.94× the
  /// standard time at 1024–4096 and 0.25× at 8192.
  public static let causalMinimumScores = 512 * 512

  /// Full attention (the encoder, cross-attention): `auto` runs the memory-efficient kernel
  /// from T·S ≥ 4096².
  ///
  /// Same measurement without the causal mask: the standard kernel is faster up to 4096
  /// (1.6× at 256, 1.4× at 4096) and the tiled one from 8192 (20.3 against 34.3 s). The
  /// switch is at the lower end of that bracket because at 4096 the standard kernel already
  /// holds 1.07 GB of `[B, H, T, S]` matrices per call (per layer in training).
  public static let fullMinimumScores = 4096 * 4096

  /// The kernel to run for one attention call.
  ///
  /// `standard` and `memoryEfficient` are returned as they are. `auto` gives the
  /// memory-efficient kernel when `window` is set (the standard kernel has no sliding window)
  /// or when `queries · keys` reaches `causalMinimumScores` (causal) or `fullMinimumScores`
  /// (not causal), else the standard kernel. One step of cached decoding (T = 1) therefore
  /// stays standard. The thresholds were measured at K 64; both kernels do O(T·S·K) work, so
  /// they are used for every head size.
  ///
  /// - Parameters:
  ///   - implementation: the configured `model.attention`.
  ///   - queries: T, the query positions of the call.
  ///   - keys: S, the key positions.
  ///   - headSize: K.
  ///   - causal: whether query t sees only keys up to its own position (decoder
  ///     self-attention); padding masks do not count.
  ///   - window: `model.attention_window` where it applies (decoder self-attention), else nil.
  /// - Precondition: no `window` with `standard` (the configuration refuses that combination).
  public static func resolve(
    _ implementation: AttentionImplementation, queries: Int, keys: Int, headSize: Int,
    causal: Bool, window: Int? = nil
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
      let threshold = causal ? causalMinimumScores : fullMinimumScores
      return overflow || product >= threshold ? .memoryEfficient : .standard
    }
  }
}
