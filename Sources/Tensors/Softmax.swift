// The attention softmax: row-wise softmax over the last dimension of scores [B, H, T, S] (one
// row of S keys per query), fused with the 1/√K scale and the padding and causal masks.
//
// Pointer level:
//   softmaxForward(scores, into: probabilities, batch:, heads:, queries:, keys:, scale:, mask:)
//   softmaxForward(x, into: y, rows:, columns:)                       (plain row softmax)
//   softmaxBackward(probabilities:, outputGradient:, into: dScores, rows:, columns:, scale:, accumulate:)
// Tensor level:
//   softmax(scores, scale:, mask:) -> Tensor          scores of rank 1…4: [S], [T, S], [B, T, S], [B, H, T, S]
//   softmaxBackward(probabilities:, outputGradient:, scale:, into: &dScores, accumulate:)
// Reference: softmaxForwardReference (same contract as the fused forward, in Double).
//
// Contract: y[b, h, t, s] = exp(scale·x[s] − m) / Σ_visible exp(scale·x[s′] − m) over the visible
// keys s of query t in batch element b (m = their largest scaled score, for stability); masked
// keys get exactly 0. A row with no visible key gets all zeros, never NaN, and its gradient is 0.
// The backward needs only the probabilities: dScores (+)= scale · y ⊙ (dy − Σ_s y·dy), which is
// exactly 0 wherever y is 0, so the masks need not be passed again.

import Foundation

/// Which keys each query of an attention softmax may see. Visible = allowed by every mask given.
public struct AttentionMask: Sendable, Equatable {
  /// `[B]`: in batch element `b`, keys `0..<keyLengths[b]` are real and the rest padding.
  public var keyLengths: [Int]?
  /// `[B, S]` row-major: `true` where key `s` of batch element `b` is padding (PyTorch's
  /// `key_padding_mask` convention).
  public var keyIsPadding: [Bool]?
  /// When set, query `t` sees only keys `s ≤ t + causalOffset`: 0 for decoder self-attention
  /// in training; `past` when `T` new queries follow `past` cached keys in incremental decoding.
  public var causalOffset: Int?

  /// A mask from any combination of key lengths, a key-padding matrix and a causal offset.
  public init(keyLengths: [Int]? = nil, keyIsPadding: [Bool]? = nil, causalOffset: Int? = nil) {
    self.keyLengths = keyLengths
    self.keyIsPadding = keyIsPadding
    self.causalOffset = causalOffset
  }

  /// Every key visible.
  public static let none = AttentionMask()

  /// Query `t` sees keys `s ≤ t + offset`.
  public static func causal(offset: Int = 0) -> AttentionMask {
    AttentionMask(causalOffset: offset)
  }

  /// The exclusive end of the visible prefix for query `t` of batch element `b`, before the
  /// key-padding matrix is applied.
  @inline(__always)
  func visibleEnd(batch b: Int, query t: Int, keys: Int) -> Int {
    var end = keys
    if let lengths = keyLengths { end = Swift.min(end, lengths[b]) }
    if let offset = causalOffset { end = Swift.min(end, Swift.max(0, t + offset + 1)) }
    return Swift.max(0, end)
  }

  func check(batch: Int, keys: Int) {
    if let lengths = keyLengths {
      kernelPrecondition(
        lengths.count == batch, "softmax: \(lengths.count) key lengths for batch \(batch)")
    }
    if let padding = keyIsPadding {
      kernelPrecondition(
        padding.count == batch * keys,
        "softmax: key-padding mask of \(padding.count) entries, expected [B, S] = [\(batch), \(keys)]"
      )
    }
  }
}

/// The fused, masked, scaled softmax over the last dimension of attention scores.
///
/// - Parameters:
///   - scores: `[B, H, T, S]`, unscaled (`q·k`).
///   - probabilities: `[B, H, T, S]`, overwritten; may be `scores`.
///   - scale: multiplies the scores before the softmax (1/√K in attention).
///   - mask: which keys each query sees; masked probabilities are exactly 0, and a row with no
///     visible key is all zeros.
public func softmaxForward(
  _ scores: UnsafePointer<Float>, into probabilities: UnsafeMutablePointer<Float>,
  batch: Int, heads: Int, queries: Int, keys: Int, scale: Float = 1, mask: AttentionMask = .none
) {
  mask.check(batch: batch, keys: keys)
  // The padding matrix as 0/1 floats, so a row can select visible lanes 16 at a time.
  let keep: [Float]? = mask.keyIsPadding.map { padding in padding.map { $0 ? 0 : 1 } }
  let rows = batch * heads * queries
  keep.withOptionalPointer { keepBase in
    parallelForRanges(rows, minimumPerThread: Parallel.minimumRows(width: keys)) { range in
      for row in range {
        let t = row % queries
        let b = row / (heads * queries)
        softmaxRow(
          scores + row * keys, probabilities + row * keys, keys: keys,
          visible: mask.visibleEnd(batch: b, query: t, keys: keys),
          keep: keepBase.map { $0 + b * keys },
          scale: scale)
      }
    }
  }
}

/// Softmax of each row of a `[rows, columns]` matrix, no mask, no scale; `y` may be `x`.
public func softmaxForward(
  _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, rows: Int, columns: Int
) {
  softmaxForward(x, into: y, batch: 1, heads: 1, queries: rows, keys: columns)
}

/// One row: softmax of `scale·x[0..<visible]` where `keep` (if any) is 1, zeros elsewhere.
@inline(__always)
func softmaxRow(
  _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, keys: Int, visible: Int,
  keep: UnsafePointer<Float>?, scale: Float
) {
  let negativeInfinity = SIMD16<Float>(repeating: -.infinity)
  // Whole vectors in the loops and the last, partial one (if any) on its own, kept in a
  // register from pass 1 to pass 2: one loop body for both made the compiler split `exp` into
  // lane-by-lane pieces for every vector (3.6 ns a key on 25-key rows, 2.6 on 32-key ones).
  let whole = visible / 16 * 16
  let tailLanes = visible - whole
  // 16 scaled scores at s (`lanes` of them valid, the rest −∞), hidden keys −∞.
  @inline(__always) func scaled(_ v: SIMD16<Float>, _ s: Int, lanes: Int) -> SIMD16<Float> {
    var v = v * scale
    if lanes < 16 { v.replace(with: negativeInfinity, where: VectorMath.lanesPast(lanes)) }
    if let keep {
      let kept =
        lanes < 16 ? VectorMath.loadPartial(keep, s, count: lanes) : VectorMath.load(keep, s)
      v.replace(with: negativeInfinity, where: kept .== 0)
    }
    return v
  }

  // Pass 1: the scaled, masked scores go to y while the maximum is found.
  var best = negativeInfinity
  var s = 0
  while s < whole {
    let v = scaled(VectorMath.load(x, s), s, lanes: 16)
    VectorMath.store(v, y, s)
    best = VectorMath.maximum(best, v)
    s += 16
  }
  var tail = negativeInfinity
  if tailLanes > 0 {
    tail = scaled(VectorMath.loadPartial(x, whole, count: tailLanes), whole, lanes: tailLanes)
    best = VectorMath.maximum(best, tail)
  }
  let rowMax = VectorMath.horizontalMax(best)
  guard rowMax > -.infinity else {
    y.update(repeating: 0, count: keys)
    return
  }
  // Pass 2: exponentiate in place. exp(−∞ − max) is exactly 0 (VectorMath.exp flushes below
  // −87.3), so hidden keys and the lanes past `visible` add nothing.
  var total = SIMD16<Float>()
  s = 0
  while s < whole {
    let e = VectorMath.exp(VectorMath.load(y, s) - rowMax)
    total += e
    VectorMath.store(e, y, s)
    s += 16
  }
  if tailLanes > 0 {
    tail = VectorMath.exp(tail - rowMax)
    total += tail
  }
  // Pass 3: normalise; keys past `visible` get exactly 0.
  let inverse = 1 / VectorMath.horizontalSum(total)
  VectorMath.map(y, y, 0..<whole) { $0 * inverse }
  if tailLanes > 0 { VectorMath.storePartial(tail * inverse, y, whole, count: tailLanes) }
  if visible < keys { (y + visible).update(repeating: 0, count: keys - visible) }
}

/// Softmax backward for each row of `[rows, columns]`:
/// `dScores (+)= scale · y ⊙ (dy − Σ_s y·dy)`, with `y` the forward's probabilities.
///
/// Exactly 0 wherever `y` is 0 (masked keys, fully masked rows).
/// - Parameters:
///   - probabilities: `[rows, columns]`, the forward output (`[B·H·T, S]` in attention).
///   - outputGradient: `[rows, columns]`, the gradient of the probabilities.
///   - dScores: `[rows, columns]`, the gradient of the unscaled scores; added to when
///     `accumulate`, else overwritten.
///   - scale: the forward's scale.
public func softmaxBackward(
  probabilities y: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
  into dScores: UnsafeMutablePointer<Float>, rows: Int, columns: Int, scale: Float = 1,
  accumulate: Bool
) {
  parallelForRanges(rows, minimumPerThread: Parallel.minimumRows(width: columns)) { range in
    for row in range {
      let offset = row * columns
      let yr = y + offset
      let dyr = dy + offset
      let dxr = dScores + offset
      var dotLanes = SIMD16<Float>()
      var s = 0
      while s + 16 <= columns {
        dotLanes += VectorMath.load(yr, s) * VectorMath.load(dyr, s)
        s += 16
      }
      if s < columns {
        dotLanes +=
          VectorMath.loadPartial(yr, s, count: columns - s)
          * VectorMath.loadPartial(dyr, s, count: columns - s)
      }
      let dot = VectorMath.horizontalSum(dotLanes)
      if accumulate {
        VectorMath.map(yr, dyr, dxr, dxr, 0..<columns) { p, g, old in old + scale * p * (g - dot) }
      } else {
        VectorMath.map(yr, dyr, dxr, 0..<columns) { p, g in scale * p * (g - dot) }
      }
    }
  }
}

/// The reference masked softmax, one element at a time in `Double`; same contract as the fused
/// `softmaxForward`.
public func softmaxForwardReference(
  _ scores: UnsafePointer<Float>, into probabilities: UnsafeMutablePointer<Float>,
  batch: Int, heads: Int, queries: Int, keys: Int, scale: Float = 1, mask: AttentionMask = .none
) {
  for b in 0..<batch {
    for h in 0..<heads {
      for t in 0..<queries {
        let offset = ((b * heads + h) * queries + t) * keys
        let visible = (0..<keys).map { s -> Bool in
          if let lengths = mask.keyLengths, s >= lengths[b] { return false }
          if let causal = mask.causalOffset, s > t + causal { return false }
          if let padding = mask.keyIsPadding, padding[b * keys + s] { return false }
          return true
        }
        let values = (0..<keys).map { Double(scale) * Double(scores[offset + $0]) }
        let best = (0..<keys).filter { visible[$0] }.map { values[$0] }.max()
        var total = 0.0
        for s in 0..<keys where visible[s] { total += exp(values[s] - best!) }
        for s in 0..<keys {
          probabilities[offset + s] = visible[s] ? Float(exp(values[s] - best!) / total) : 0
        }
      }
    }
  }
}

/// Softmax over the last dimension of `scores`, scaled and masked (see `softmaxForward`).
///
/// - Parameter scores: `[B, H, T, S]`, `[B, T, S]` (H = 1), `[T, S]` or `[S]` (B = 1).
public func softmax(_ scores: Tensor, scale: Float = 1, mask: AttentionMask = .none) -> Tensor {
  kernelPrecondition(
    scores.rank >= 1 && scores.rank <= 4, "softmax: scores must have rank 1…4, got \(scores.shape)")
  let shape = scores.shape
  let padded: [Int]
  switch scores.rank {
  case 4: padded = shape
  case 3: padded = [shape[0], 1, shape[1], shape[2]]
  default: padded = [1, 1, scores.rank == 2 ? shape[0] : 1, shape[scores.rank - 1]]
  }
  var result = Tensor(uninitializedShape: scores.shape)
  result.withUnsafeMutableBufferPointer { y in
    softmaxForward(
      scores.storage.pointer, into: y.baseAddress!, batch: padded[0], heads: padded[1],
      queries: padded[2],
      keys: padded[3], scale: scale, mask: mask)
  }
  return result
}

/// Softmax backward on tensors of one shape (any rank ≥ 1; rows are the last dimension):
/// `scoresGradient (+)= scale · y ⊙ (dy − Σ y·dy)`.
public func softmaxBackward(
  probabilities: Tensor, outputGradient: Tensor, scale: Float = 1,
  into scoresGradient: inout Tensor,
  accumulate: Bool
) {
  kernelPrecondition(
    probabilities.rank >= 1 && probabilities.shape == outputGradient.shape
      && probabilities.shape == scoresGradient.shape,
    "softmaxBackward: probabilities \(probabilities.shape), output gradient \(outputGradient.shape) and "
      + "scores gradient \(scoresGradient.shape) must match")
  let columns = probabilities.shape[probabilities.rank - 1]
  scoresGradient.withUnsafeMutableBufferPointer { dx in
    softmaxBackward(
      probabilities: probabilities.storage.pointer, outputGradient: outputGradient.storage.pointer,
      into: dx.baseAddress!, rows: columns == 0 ? 0 : probabilities.count / columns,
      columns: columns,
      scale: scale, accumulate: accumulate)
  }
}

extension Optional where Wrapped == [Float] {
  /// Calls `body` with a pointer to the array's elements, or nil.
  func withOptionalPointer<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
    switch self {
    case .some(let array): return array.withUnsafeBufferPointer { body($0.baseAddress) }
    case .none: return body(nil)
    }
  }
}
