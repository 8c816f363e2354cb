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
  /// medians of 3 on a shared machine; README, "Long inputs"): the tiled kernel skips the key
  /// tiles above the diagonal and was faster at every length, 0.71× the standard time at 512,
  /// 0.56–0.61× at 1024–2048, 0.23× at 4096 and 0.39× at 8192.
  public static let causalMinimumScores = 512 * 512

  /// Full attention (the encoder, cross-attention): `auto` runs the memory-efficient kernel
  /// from T·S ≥ 1024².
  ///
  /// Same measurement without the causal mask, after the one-pass backward and the 6×16 tile
  /// products: the tiled kernel took 0.68× the standard time at 1024 and 0.99× at 2048
  /// (forward + backward; the forward alone is faster still), where it used to be 1.4–2×
  /// slower. Below 1024 the standard kernel's matrices fit the caches; it keeps the short
  /// sentences of translation.
  public static let fullMinimumScores = 1024 * 1024

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
  ///   - window: `model.attention_window` (decoder self-attention) or
  ///     `model.encoder_attention_window` (encoder self-attention) where it applies, else nil.
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
