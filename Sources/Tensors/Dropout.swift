// Inverted dropout (Srivastava et al., 2014; Vaswani et al. §5.4): in training each element is
// zeroed with probability p and the survivors are scaled by 1/(1 − p), so inference is the identity.
//
// Pointer level:
//   dropoutMask(into: mask, count:, probability:, seed:)                 mask[i] ∈ {0, 1/(1 − p)}
//   dropoutApply(x, into: y, count:, probability:, seed:, accumulate:)   y (+)= x ⊙ mask, no mask stored
//   dropoutAdd(x, residual:, into: y, count:, probability:, seed:)      y = residual + x ⊙ mask
//   dropoutForward(x, into: y, mask:, count:, probability:, seed:)       writes the mask, y = x ⊙ mask
//   dropoutBackward(outputGradient:, mask:, into: dx, count:, accumulate:)   dx (+)= dy ⊙ mask
// Tensor level: dropout(x, probability:, using: &generator) -> DropoutOutput (output, mask?),
//   dropoutBackward(outputGradient:, mask:, into: &dx, accumulate:).
// Reference: dropoutMaskReference (one element at a time, same bits).
//
// The Tensor form stores the mask (one Float per element) so that its backward is one multiply;
// `dropoutApply` instead makes it on the fly, 16 elements from 8 vectorised hashes, which is
// cheaper than reading a stored mask. The mask is a pure function of (seed, element index): element i keeps iff 32 bits of
// RandomGenerator.hash(seed: seed, counter: i / 2) are ≥ p·2³², so the mask does not depend on
// the thread count, and the Tensor form draws one seed from the caller's generator per call.

/// Fills `mask` with 0 (dropped, probability p) or 1/(1 − p) (kept).
///
/// - Parameters:
///   - mask: `[count]`, overwritten.
///   - probability: p in [0, 1).
///   - seed: selects the mask; equal seeds give equal masks.
public func dropoutMask(
  into mask: UnsafeMutablePointer<Float>, count: Int, probability: Float, seed: UInt64
) {
  let lanes = MaskLanes(probability: probability)
  VectorMath.forEachRange(count) { range in
    var i = range.lowerBound
    while i < range.upperBound {
      let width = Swift.min(16, range.upperBound - i)
      VectorMath.store(lanes.mask(seed: seed, at: i), mask, i, count: width)
      i += 16
    }
  }
}

/// `y (+)= x ⊙ mask` with the mask of `seed` made on the fly and never stored: the forward
/// (`y = x ⊙ mask`) and the backward (`dx (+)= dy ⊙ mask`) of dropout in one pass each, without
/// a mask buffer. Same mask bits as `dropoutMask`; `y` may be `x`.
///
/// - Parameters:
///   - x, y: `[count]`; `y` is added to when `accumulate`, else overwritten.
///   - probability: p in [0, 1).
///   - seed: selects the mask.
public func dropoutApply(
  _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int, probability: Float,
  seed: UInt64, accumulate: Bool
) {
  let lanes = MaskLanes(probability: probability)
  VectorMath.forEachRange(count) { range in
    var i = range.lowerBound
    while i < range.upperBound {
      let width = Swift.min(16, range.upperBound - i)
      var v = VectorMath.load(x, i, count: width) * lanes.mask(seed: seed, at: i)
      if accumulate { v = VectorMath.load(y, i, count: width) + v }
      VectorMath.store(v, y, i, count: width)
      i += 16
    }
  }
}

/// `y = residual + x ⊙ mask` with the mask of `seed` made on the fly: the residual connection
/// around a dropped-out sub-layer (Vaswani et al. §5.4) in one pass instead of two. The same
/// bits as `dropoutApply` into a buffer followed by `vectorAdd` of the residual; `y` may be
/// `residual`.
///
/// - Parameters:
///   - x, residual, y: `[count]`.
///   - probability: p in [0, 1).
///   - seed: selects the mask.
public func dropoutAdd(
  _ x: UnsafePointer<Float>, residual: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
  count: Int, probability: Float, seed: UInt64
) {
  let lanes = MaskLanes(probability: probability)
  VectorMath.forEachRange(count) { range in
    var i = range.lowerBound
    while i < range.upperBound {
      let width = Swift.min(16, range.upperBound - i)
      let dropped = VectorMath.load(x, i, count: width) * lanes.mask(seed: seed, at: i)
      VectorMath.store(VectorMath.load(residual, i, count: width) + dropped, y, i, count: width)
      i += 16
    }
  }
}

/// The mask of 16 consecutive elements at a time.
///
/// Element i keeps iff 32 bits of `RandomGenerator.hash(seed:, counter: i / 2)` (the high half
/// for even i, the low half for odd i) are ≥ p·2³². Starting at an even index, 16 elements take
/// the 8 hashes of counters i/2 ..< i/2 + 8, computed lane-wise; every range of
/// `VectorMath.forEachRange` starts at a multiple of 16.
private struct MaskLanes {
  let threshold: SIMD16<UInt32>
  let kept: SIMD16<Float>

  init(probability: Float) {
    kernelPrecondition(
      probability >= 0 && probability < 1,
      "dropout: probability must be in [0, 1), got \(probability)")
    threshold = SIMD16(repeating: dropThreshold(probability))
    kept = SIMD16(repeating: 1 / (1 - probability))
  }

  /// Elements `i ..< i + 16` of the mask (each 0 or 1/(1 − p)); `i` must be even.
  @inline(__always)
  func mask(seed: UInt64, at i: Int) -> SIMD16<Float> {
    let keep = bits(seed: seed, firstCounter: UInt64(i / 2)) .>= threshold
    return SIMD16<Float>().replacing(with: kept, where: keep)
  }

  /// Lane 2j holds the high and lane 2j + 1 the low half of
  /// `RandomGenerator.hash(seed:, counter: firstCounter + j)`.
  @inline(__always)
  private func bits(seed: UInt64, firstCounter: UInt64) -> SIMD16<UInt32> {
    let golden: UInt64 = 0x9E37_79B9_7F4A_7C15
    let counters = SIMD8<UInt64>(repeating: firstCounter) &+ SIMD8<UInt64>(0, 1, 2, 3, 4, 5, 6, 7)
    // hash(seed, counter) = splitMix(seed + counter·golden), whose first step adds golden again.
    var z = SIMD8<UInt64>(repeating: seed &+ golden) &+ counters &* golden
    z = (z ^ (z &>> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z &>> 27)) &* 0x94D0_49BB_1331_11EB
    z ^= z &>> 31
    // Swap the halves of each word so that, read as 16 little-endian 32-bit lanes, the high
    // half comes first.
    let swapped = (z &<< 32) | (z &>> 32)
    return unsafeBitCast(swapped, to: SIMD16<UInt32>.self)
  }
}

/// `y = x ⊙ mask` with a fresh mask (written to `mask`) for `seed`; `y` may be `x`.
///
/// - Parameters:
///   - x, y, mask: `[count]`.
public func dropoutForward(
  _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<Float>,
  count: Int,
  probability: Float, seed: UInt64
) {
  dropoutMask(into: mask, count: count, probability: probability, seed: seed)
  vectorMultiply(x, mask, into: y, count: count)
}

/// `dx (+)= dy ⊙ mask`, the mask the forward wrote.
public func dropoutBackward(
  outputGradient dy: UnsafePointer<Float>, mask: UnsafePointer<Float>,
  into dx: UnsafeMutablePointer<Float>,
  count: Int, accumulate: Bool
) {
  if accumulate {
    vectorAddProduct(dy, mask, to: dx, count: count)
  } else {
    vectorMultiply(dy, mask, into: dx, count: count)
  }
}

/// p·2³² as the integer threshold below which 32 random bits mean "drop".
private func dropThreshold(_ probability: Float) -> UInt32 {
  UInt32(Swift.min(Double(probability) * 4_294_967_296, 4_294_967_295))
}

/// The reference mask, one element at a time with its own hash; same bits as `dropoutMask`.
public func dropoutMaskReference(
  into mask: UnsafeMutablePointer<Float>, count: Int, probability: Float, seed: UInt64
) {
  let threshold = dropThreshold(probability)
  for i in 0..<count {
    let bits = RandomGenerator.hash(seed: seed, counter: UInt64(i / 2))
    let chosen =
      i % 2 == 0 ? UInt32(truncatingIfNeeded: bits >> 32) : UInt32(truncatingIfNeeded: bits)
    mask[i] = chosen >= threshold ? 1 / (1 - probability) : 0
  }
}

/// The result of `dropout`: the output and the mask its backward needs.
public struct DropoutOutput {
  /// The shape of the input.
  public var output: Tensor
  /// The shape of the input, each element 0 or 1/(1 − p); nil when p = 0 (the output is the input).
  public var mask: Tensor?
}

/// Inverted dropout of `x` with drop probability `probability`, the mask seeded by one draw from
/// `generator`. With p = 0 the input is returned as is, no draw is made and the mask is nil.
public func dropout(_ x: Tensor, probability: Float, using generator: inout RandomGenerator)
  -> DropoutOutput
{
  guard probability > 0 else { return DropoutOutput(output: x, mask: nil) }
  let seed = generator.next()
  var mask = Tensor(uninitializedShape: x.shape)
  var y = Tensor(uninitializedShape: x.shape)
  mask.withUnsafeMutableBufferPointer { m in
    y.withUnsafeMutableBufferPointer { out in
      dropoutForward(
        x.storage.pointer, into: out.baseAddress!, mask: m.baseAddress!, count: x.count,
        probability: probability,
        seed: seed)
    }
  }
  return DropoutOutput(output: y, mask: mask)
}

/// `inputGradient (+)= outputGradient ⊙ mask`; with a nil mask (p = 0) the gradient passes through.
public func dropoutBackward(
  outputGradient: Tensor, mask: Tensor?, into inputGradient: inout Tensor, accumulate: Bool
) {
  kernelPrecondition(
    outputGradient.shape == inputGradient.shape
      && (mask == nil || mask!.shape == outputGradient.shape),
    "dropoutBackward: output gradient \(outputGradient.shape), mask \(mask?.shape ?? []) and input gradient "
      + "\(inputGradient.shape) must match")
  let dy = outputGradient.storage.pointer
  inputGradient.withUnsafeMutableBufferPointer { dx in
    if let mask {
      dropoutBackward(
        outputGradient: dy, mask: mask.storage.pointer, into: dx.baseAddress!, count: dx.count,
        accumulate: accumulate)
    } else if accumulate {
      vectorAccumulate(dy, into: dx.baseAddress!, count: dx.count)
    } else {
      dx.baseAddress!.update(from: dy, count: dx.count)
    }
  }
}
