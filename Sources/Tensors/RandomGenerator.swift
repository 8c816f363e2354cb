import Support

// A seeded, reproducible random number generator whose whole state is four words, so a trainer
// can checkpoint it and resume the exact same stream.
//
// API:
//   var rng = RandomGenerator(seed: 42)
//   rng.next() -> UInt64                    (also RandomNumberGenerator: Int.random(in:using:), shuffle(using:))
//   rng.nextUniform() -> Float                [0, 1)
//   rng.uniform(low:high:) -> Float         [low, high)
//   rng.normal(mean:standardDeviation:) -> Float
//   rng.state -> [UInt64] (4 words);  RandomGenerator(state:) -> RandomGenerator?
//   Tensor.uniform / .normal / .xavierUniform(shape:…, using: &rng); tensor.fillUniform / fillNormal
//   RandomGenerator.hash(seed:counter:) -> UInt64   (counter-based stream, used by dropout)

import Foundation

/// xoshiro256** (Blackman & Vigna, 2018) seeded through SplitMix64.
///
/// A value type: copying it copies the stream. Every draw is a pure function of `state`, so saving
/// `state` and restoring it with `init(state:)` resumes the identical sequence.
public struct RandomGenerator: RandomNumberGenerator, Equatable, Sendable {
  private var s0: UInt64
  private var s1: UInt64
  private var s2: UInt64
  private var s3: UInt64

  /// A generator whose state is the first four outputs of SplitMix64 started at `seed`.
  public init(seed: UInt64) {
    var x = seed
    s0 = RandomGenerator.splitMix(&x)
    s1 = RandomGenerator.splitMix(&x)
    s2 = RandomGenerator.splitMix(&x)
    s3 = RandomGenerator.splitMix(&x)
  }

  /// Restores a generator from `state` as returned by `state`; nil unless it is four words, not all
  /// zero (the one state xoshiro cannot leave).
  public init?(state: [UInt64]) {
    guard state.count == 4, state.contains(where: { $0 != 0 }) else { return nil }
    s0 = state[0]
    s1 = state[1]
    s2 = state[2]
    s3 = state[3]
  }

  /// The complete state: four words, to be saved in a checkpoint and passed to `init(state:)`.
  public var state: [UInt64] { [s0, s1, s2, s3] }

  /// The next 64 uniformly distributed bits.
  public mutating func next() -> UInt64 {
    let result = rotateLeft(s1 &* 5, 7) &* 9
    let t = s1 << 17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = rotateLeft(s3, 45)
    return result
  }

  /// A uniform `Float` in [0, 1): the top 24 bits of `next()` scaled by 2⁻²⁴ (every value is exact).
  public mutating func nextUniform() -> Float {
    Float(next() >> 40) * 0x1p-24
  }

  /// A uniform `Float` in [low, high).
  public mutating func uniform(low: Float, high: Float) -> Float {
    low + (high - low) * nextUniform()
  }

  /// A normally distributed `Float` by the Box–Muller transform, computed in `Double`.
  ///
  /// Each call consumes exactly two `next()` draws and uses the cosine branch only (the sine
  /// partner is discarded so that the state stays four words).
  public mutating func normal(mean: Float = 0, standardDeviation: Float = 1) -> Float {
    // u1 in (0, 1] so that log(u1) is finite; u2 in [0, 1).
    let u1 = (Double(next() >> 11) + 1) * 0x1p-53
    let u2 = Double(next() >> 11) * 0x1p-53
    let z = (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    return mean + standardDeviation * Float(z)
  }

  /// A well-mixed 64-bit value that depends only on `seed` and `counter`: element `counter` of a
  /// counter-based stream. Lets parallel kernels draw per-element randomness that does not depend
  /// on how the work is split among threads.
  @inline(__always)
  public static func hash(seed: UInt64, counter: UInt64) -> UInt64 {
    var x = seed &+ counter &* 0x9E37_79B9_7F4A_7C15
    return splitMix(&x)
  }

  /// One SplitMix64 step: advances `x` and returns its mixed output.
  @inline(__always)
  static func splitMix(_ x: inout UInt64) -> UInt64 {
    SplitMix64.step(&x)
  }

  @inline(__always)
  private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 {
    (x << k) | (x >> (64 - k))
  }
}

extension Tensor {
  /// A tensor of `shape` filled row-major with uniform draws in [low, high).
  public static func uniform(
    shape: [Int], low: Float, high: Float, using generator: inout RandomGenerator
  ) -> Tensor {
    var result = Tensor(uninitializedShape: shape)
    result.fillUniform(low: low, high: high, using: &generator)
    return result
  }

  /// A tensor of `shape` filled row-major with normal draws.
  public static func normal(
    shape: [Int], mean: Float = 0, standardDeviation: Float = 1,
    using generator: inout RandomGenerator
  ) -> Tensor {
    var result = Tensor(uninitializedShape: shape)
    result.fillNormal(mean: mean, standardDeviation: standardDeviation, using: &generator)
    return result
  }

  /// Glorot & Bengio (2010) "Xavier" uniform initialisation: U(−a, a) with
  /// a = gain·√(6 / (fanIn + fanOut)), as PyTorch's `xavier_uniform_`.
  ///
  /// For a weight of shape `[Din, Dout]` (used as `x · W`), fanIn = Din and fanOut = Dout; the
  /// bound is symmetric in the two, so a `[Dout, Din]` weight gets the same distribution.
  /// - Parameter shape: rank 2, `[fanIn, fanOut]`.
  public static func xavierUniform(
    shape: [Int], gain: Float = 1, using generator: inout RandomGenerator
  ) -> Tensor {
    kernelPrecondition(
      shape.count == 2, "xavierUniform: needs a rank-2 shape [fanIn, fanOut], got \(shape)")
    let bound = gain * (6 / Float(shape[0] + shape[1])).squareRoot()
    return uniform(shape: shape, low: -bound, high: bound, using: &generator)
  }

  /// Overwrites every element, row-major, with a uniform draw in [low, high).
  public mutating func fillUniform(low: Float, high: Float, using generator: inout RandomGenerator)
  {
    withUnsafeMutableBufferPointer { buffer in
      for i in buffer.indices { buffer[i] = generator.uniform(low: low, high: high) }
    }
  }

  /// Overwrites every element, row-major, with a normal draw.
  public mutating func fillNormal(
    mean: Float = 0, standardDeviation: Float = 1, using generator: inout RandomGenerator
  ) {
    withUnsafeMutableBufferPointer { buffer in
      for i in buffer.indices {
        buffer[i] = generator.normal(mean: mean, standardDeviation: standardDeviation)
      }
    }
  }
}
