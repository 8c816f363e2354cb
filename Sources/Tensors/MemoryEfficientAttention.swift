// Memory-efficient scaled dot-product attention (FlashAttention, Dao et al. 2022, §3.1 and
// Algorithms 1–2; the backward of FlashAttention-2, Dao 2023, in one pass or, to split finer
// among threads, two): softmax(q·kᵀ/√K +
// bias, mask) · v computed one key tile at a time with an online softmax, so no [T, S] matrix is
// ever stored. Memory beyond the inputs and outputs is one log-sum-exp per query row plus a few
// tiles per thread.
//
// Legend: B batch, H query heads, G key/value heads (G divides H), T queries, S keys, K head size.
//
// Pointer level (MemoryEfficientAttentionForward.swift, MemoryEfficientAttentionBackward.swift,
// whose one-pass schedule is in MemoryEfficientAttentionFusedBackward.swift):
//   memoryEfficientAttentionForward(query:key:value:output:logSumExp:shape:mask:modifiers:)
//   memoryEfficientAttentionBackward(query:key:value:output:logSumExp:outputGradient:
//     queryGradient:keyGradient:valueGradient:accumulate:shape:mask:modifiers:)
// Tensor level: memoryEfficientAttention(query:key:value:mask:modifiers:) -> (output, logSumExp),
//   memoryEfficientAttentionBackward(…) -> (query, key, value) gradients.
// Reference: memoryEfficientAttentionReference (MemoryEfficientAttentionReference.swift): forward
//   and gradients from the full [T, S] matrix in Double, for tests on small sizes.
// Tiles: AttentionTile (MemoryEfficientAttentionTiles.swift), the register-tiled products.
//
// Memory beyond inputs and outputs: the log-sum-exp [B, H, T] (saved for the backward), D
// [B, H, T] during the backward, and per thread a few tiles of up to 64 × max(64, K) floats.
//
// Contract. For query t of head h in batch element b, with absolute position i = t + o where
// o = mask.causalOffset ?? 0, key s is visible when `mask` allows it (key length, key-padding
// matrix, s ≤ t + causalOffset) and, with a window W, i − W < s ≤ i (causal, the default) or
// |i − s| < W (`bidirectionalWindow`, the encoder's form). The score is
//   x[t, s] = q[t]·k[s] / √K − slope[h]·|i − s|        (the ALiBi term only with slopes)
// and the output is Σ_s softmax(x)[s]·z[t, s]·v[s] over the visible keys, z the dropout scale
// (below; 1 without dropout). The log-sum-exp saved per row is log Σ_visible exp(x), −∞ for a
// row with no visible key, whose output and gradients are exactly 0 (as the standard kernel).
// Query head h reads key/value head h / (H / G): grouped-query attention (Ainslie et al. 2023).
//
// Dropout matches the standard op bit for bit: element (b, h, t, s) of the [B, H, T, S]
// probabilities, flat index n, is kept iff the 32 bits of RandomGenerator.hash(seed, n / 2) that
// `dropoutMask` uses for n are ≥ p·2³², and kept probabilities are scaled by 1/(1 − p). The
// normaliser is the sum before dropout (inverted dropout on the probabilities, as
// `attention(…dropout:…)`). The mask is a pure function of (seed, b, h, t, s): the backward
// regenerates it lane by lane and nothing is stored.

/// The sizes of one attention call.
public struct AttentionShape: Sendable, Equatable {
  /// B.
  public var batch: Int
  /// H, the query heads.
  public var heads: Int
  /// G, the key/value heads; must divide `heads` (equal for ordinary multi-head attention).
  public var keyValueHeads: Int
  /// T.
  public var queries: Int
  /// S.
  public var keys: Int
  /// K.
  public var headSize: Int

  /// The sizes; `keyValueHeads` defaults to `heads`.
  public init(
    batch: Int, heads: Int, keyValueHeads: Int? = nil, queries: Int, keys: Int, headSize: Int
  ) {
    self.batch = batch
    self.heads = heads
    self.keyValueHeads = keyValueHeads ?? heads
    self.queries = queries
    self.keys = keys
    self.headSize = headSize
  }

  /// The key/value head that query head `h` reads.
  @inline(__always)
  func keyValueHead(_ h: Int) -> Int { h / (heads / keyValueHeads) }
}

/// What the memory-efficient kernel adds to a masked softmax: ALiBi biases, a sliding window,
/// attention dropout.
public struct AttentionModifiers: Sendable, Equatable {
  /// `[H]`: ALiBi (Press et al. 2022) adds −slope[h]·|i − s| to the scaled score of query
  /// position i = t + (causalOffset ?? 0) and key s.
  public var alibiSlopes: [Float]?
  /// W ≥ 1: query position i sees only keys i − W < s ≤ i (a causal sliding window, as
  /// Longformer/Mistral), or |i − s| < W with `bidirectionalWindow`; key tiles outside it are
  /// skipped, so the work is O(T·W).
  public var window: Int?
  /// Whether `window` reaches both ways, |i − s| < W (2W − 1 keys: Longformer's local
  /// attention, for an encoder), rather than back only (W keys).
  public var bidirectionalWindow: Bool
  /// p in [0, 1): inverted dropout on the probabilities, 0 for none.
  public var dropoutProbability: Float
  /// Selects the dropout mask (see the file header).
  public var dropoutSeed: UInt64

  /// Any combination; the defaults change nothing.
  public init(
    alibiSlopes: [Float]? = nil, window: Int? = nil, bidirectionalWindow: Bool = false,
    dropoutProbability: Float = 0, dropoutSeed: UInt64 = 0
  ) {
    self.alibiSlopes = alibiSlopes
    self.window = window
    self.bidirectionalWindow = bidirectionalWindow
    self.dropoutProbability = dropoutProbability
    self.dropoutSeed = dropoutSeed
  }

  /// No bias, no window, no dropout.
  public static let none = AttentionModifiers()
}

/// Which keys each query sees, resolved once per call from the mask and the modifiers.
struct AttentionVisibility {
  let shape: AttentionShape
  let mask: AttentionMask
  let window: Int?
  /// The window reaches forward too: |i − s| < W.
  let bidirectional: Bool
  /// The absolute position of query 0: `causalOffset ?? 0`.
  let queryOffset: Int
  /// The padding matrix as 0/1 floats `[B, S]`, so a row can select visible lanes 16 at a time.
  let keep: [Float]?

  init(shape: AttentionShape, mask: AttentionMask, modifiers: AttentionModifiers) {
    kernelPrecondition(
      shape.batch >= 0 && shape.queries >= 0 && shape.keys >= 0 && shape.headSize >= 1
        && shape.keyValueHeads >= 1 && shape.heads % shape.keyValueHeads == 0,
      "memoryEfficientAttention: bad shape \(shape) (key/value heads must divide heads)")
    mask.check(batch: shape.batch, keys: shape.keys)
    if let slopes = modifiers.alibiSlopes {
      kernelPrecondition(
        slopes.count == shape.heads,
        "memoryEfficientAttention: \(slopes.count) ALiBi slopes for \(shape.heads) heads")
    }
    if let window = modifiers.window {
      kernelPrecondition(window >= 1, "memoryEfficientAttention: window must be ≥ 1, got \(window)")
    }
    kernelPrecondition(
      modifiers.dropoutProbability >= 0 && modifiers.dropoutProbability < 1,
      "memoryEfficientAttention: dropout must be in [0, 1), got \(modifiers.dropoutProbability)")
    self.shape = shape
    self.mask = mask
    self.window = modifiers.window
    self.bidirectional = modifiers.bidirectionalWindow
    self.queryOffset = mask.causalOffset ?? 0
    self.keep = mask.keyIsPadding.map { padding in padding.map { $0 ? 0 : 1 } }
  }

  /// The visible prefix-and-window range of query `t` in batch element `b`, before the padding
  /// matrix: keys `lower..<upper` (empty when `lower == upper`).
  @inline(__always)
  func keyRange(batch b: Int, query t: Int) -> Range<Int> {
    var upper = mask.visibleEnd(batch: b, query: t, keys: shape.keys)
    var lower = 0
    if let window {
      let position = t + queryOffset
      upper = Swift.min(upper, Swift.max(0, position + (bidirectional ? window : 1)))
      lower = Swift.min(upper, Swift.max(0, position - window + 1))
    }
    return lower..<upper
  }

  /// The keys any of queries `queries` may see: the union of their ranges.
  func keyRange(batch b: Int, queries: Range<Int>) -> Range<Int> {
    var lower = shape.keys
    var upper = 0
    for t in queries {
      let range = keyRange(batch: b, query: t)
      if range.isEmpty { continue }
      lower = Swift.min(lower, range.lowerBound)
      upper = Swift.max(upper, range.upperBound)
    }
    return lower < upper ? lower..<upper : 0..<0
  }

  /// A superset of the queries that may see any of `keys`, from the causal and window bounds.
  func queryRange(batch b: Int, keys: Range<Int>) -> Range<Int> {
    let queries = shape.queries
    if keys.isEmpty { return 0..<0 }
    if let lengths = mask.keyLengths, keys.lowerBound >= lengths[b] { return 0..<0 }
    var lower = 0
    var upper = queries
    // Key s needs s ≤ t + causalOffset (or t + o under a causal window): t ≥ s − offset;
    // under a bidirectional window alone s < t + o + W: t > s − o − W.
    if mask.causalOffset != nil || (window != nil && !bidirectional) {
      lower = Swift.min(queries, Swift.max(0, keys.lowerBound - queryOffset))
    } else if let window {
      lower = Swift.min(queries, Swift.max(0, keys.lowerBound - queryOffset - window + 1))
    }
    // Under a window key s needs s > t + o − W: t < s + W − o.
    if let window {
      upper = Swift.min(queries, Swift.max(0, keys.upperBound - 1 + window - queryOffset))
    }
    return lower < upper ? lower..<upper : 0..<0
  }
}

/// The lane-wise dropout scales of the attention probabilities, bit for bit `dropoutMask` over
/// the flat `[B, H, T, S]` index.
struct AttentionDropoutLanes {
  let seed: UInt64
  let threshold: SIMD16<UInt32>
  let kept: SIMD16<Float>

  init(probability: Float, seed: UInt64) {
    self.seed = seed
    threshold = SIMD16(
      repeating: UInt32(Swift.min(Double(probability) * 4_294_967_296, 4_294_967_295)))
    kept = SIMD16(repeating: 1 / (1 - probability))
  }

  /// The scales (0 or 1/(1 − p)) of the 16 elements at flat indices `first + j·stride`:
  /// stride 1 along a row of keys, stride S down a column of queries.
  @_transparent
  func scales(first: Int, stride: Int) -> SIMD16<Float> {
    let even = SIMD8<UInt64>(0, 2, 4, 6, 8, 10, 12, 14)
    let base = SIMD8<UInt64>(repeating: UInt64(first))
    let step = SIMD8<UInt64>(repeating: UInt64(stride))
    let evenLanes = chosenBits(base &+ even &* step)
    let oddLanes = chosenBits(base &+ (even &+ 1) &* step)
    // Little-endian: word j's low half is lane 2j, its high half lane 2j + 1.
    let bits = unsafeBitCast(evenLanes | (oddLanes &<< 32), to: SIMD16<UInt32>.self)
    return SIMD16<Float>().replacing(with: kept, where: bits .>= threshold)
  }

  /// For each flat index n, the 32 bits `dropoutMask` compares: the high half of
  /// hash(seed, n / 2) for even n, the low half for odd n.
  @_transparent
  func chosenBits(_ index: SIMD8<UInt64>) -> SIMD8<UInt64> {
    let golden: UInt64 = 0x9E37_79B9_7F4A_7C15
    // hash(seed, c) = splitMix(seed + c·golden), whose first step adds golden again.
    var z = SIMD8<UInt64>(repeating: seed &+ golden) &+ (index &>> 1) &* golden
    z = (z ^ (z &>> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z &>> 27)) &* 0x94D0_49BB_1331_11EB
    z ^= z &>> 31
    let shift = ((index & 1) ^ 1) &<< 5  // 32 for even n, 0 for odd
    return (z &>> shift) & 0xFFFF_FFFF
  }
}

/// The ALiBi bias of 16 lanes whose query-to-key distances are `lane − offset`:
/// −slope·|lane − offset|. Along a row of keys s₀ + lane for query position i, offset = i − s₀;
/// down a column of queries t₀ + lane for key s, offset = s − (t₀ + o).
///
/// `@_transparent`, as the helpers below: called from the forward and backward files, which
/// release builds may compile as separate LLVM modules, and an out-of-line call here costs more
/// than the whole computation. The absolute value clears the sign bit; comparisons are `.<`
/// and `.>` between vectors, the forms that compile to one AVX compare (see VectorMath).
@_transparent
func alibiBias(slope: Float, offset: Int) -> SIMD16<Float> {
  let iota = SIMD16<Float>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
  let distance = iota - SIMD16<Float>(repeating: Float(offset))
  let magnitude = unsafeBitCast(
    unsafeBitCast(distance, to: SIMD16<UInt32>.self) & SIMD16(repeating: 0x7FFF_FFFF),
    to: SIMD16<Float>.self)
  return magnitude * -slope
}

/// `x` with −∞ in the lanes whose position (key or query index, exact in Float) is outside
/// `lower..<upper`.
@_transparent
func hidingOutside(
  _ x: SIMD16<Float>, positions: SIMD16<Float>, lower: SIMD16<Float>, upper: SIMD16<Float>
) -> SIMD16<Float> {
  let negativeInfinity = SIMD16<Float>(repeating: -.infinity)
  // position ≥ upper ⇔ position > upper − 1 for integers.
  return x.replacing(with: negativeInfinity, where: positions .< lower)
    .replacing(with: negativeInfinity, where: positions .> upper - 1)
}

/// One query's row of scores along a key tile: scale, bias and mask applied 16 keys at a time.
/// Shared by the forward and the query-gradient pass so both see identical scores.
struct ScoreRow {
  let scale: Float
  /// nil without ALiBi.
  let slope: Float?
  /// The query's absolute position i.
  let position: Int
  /// The visible keys before the padding matrix, as floats for lane-wise comparison.
  let lower: Float, upper: Float
  /// The batch element's 0/1 row of the padding matrix `[S]`, if any.
  let keep: UnsafePointer<Float>?
  let keys: Int

  /// Scaled, biased scores of keys `firstKey..<firstKey + 16` from their dot products, −∞
  /// where hidden. `firstKey` < S.
  @_transparent
  func scores(_ dots: SIMD16<Float>, firstKey: Int) -> SIMD16<Float> {
    let iota = SIMD16<Float>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
    var x = dots * scale
    if let slope { x += alibiBias(slope: slope, offset: position - firstKey) }
    x = hidingOutside(
      x, positions: iota + Float(firstKey), lower: SIMD16(repeating: lower),
      upper: SIMD16(repeating: upper))
    if let keep {
      let kept = VectorMath.load(keep, firstKey, count: Swift.min(16, keys - firstKey))
      x.replace(with: SIMD16(repeating: -.infinity), where: kept .< SIMD16(repeating: 0.5))
    }
    return x
  }
}

extension AttentionVisibility {
  /// The `ScoreRow` of query `t` of head `h` in batch element `b`.
  @inline(__always)
  func scoreRow(
    batch b: Int, head h: Int, query t: Int, scale: Float, slopes: UnsafePointer<Float>?,
    keep: UnsafePointer<Float>?
  ) -> ScoreRow {
    let range = keyRange(batch: b, query: t)
    return ScoreRow(
      scale: scale, slope: slopes.map { $0[h] }, position: t + queryOffset,
      lower: Float(range.lowerBound), upper: Float(range.upperBound),
      keep: keep.map { $0 + b * shape.keys }, keys: shape.keys)
  }
}
