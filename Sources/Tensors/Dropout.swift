// Inverted dropout (Srivastava et al., 2014; Vaswani et al. §5.4): in training each element is
// zeroed with probability p and the survivors are scaled by 1/(1 − p), so inference is the identity.
//
// Pointer level:
//   dropoutMask(into: mask, count:, probability:, seed:)                 mask[i] ∈ {0, 1/(1 − p)}
//   dropoutForward(x, into: y, mask:, count:, probability:, seed:)       writes the mask, y = x ⊙ mask
//   dropoutBackward(outputGradient:, mask:, into: dx, count:, accumulate:)   dx (+)= dy ⊙ mask
// Tensor level: dropout(x, probability:, using: &generator) -> DropoutOutput (output, mask?),
//   dropoutBackward(outputGradient:, mask:, into: &dx, accumulate:).
// Reference: dropoutMaskReference (one element at a time, same bits).
//
// The mask is stored (one Float per element) so that the backward is a single multiply. It is a
// pure function of (seed, element index): element i keeps iff 32 bits of
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
  kernelPrecondition(
    probability >= 0 && probability < 1,
    "dropout: probability must be in [0, 1), got \(probability)")
  let threshold = dropThreshold(probability)
  let kept = 1 / (1 - probability)
  // Ranges start at even indices so that each 64-bit hash serves one pair of elements.
  VectorMath.forEachRange(count) { range in
    var i = range.lowerBound
    while i < range.upperBound {
      let bits = RandomGenerator.hash(seed: seed, counter: UInt64(i / 2))
      mask[i] = UInt32(truncatingIfNeeded: bits >> 32) >= threshold ? kept : 0
      if i + 1 < range.upperBound {
        mask[i + 1] = UInt32(truncatingIfNeeded: bits) >= threshold ? kept : 0
      }
      i += 2
    }
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
