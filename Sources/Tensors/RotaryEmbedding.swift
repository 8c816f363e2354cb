import Foundation

// Rotary position embedding (RoPE, Su et al. 2021, §3.4.2 eq. 34): each query and key vector of
// head size K is cut into K/2 adjacent pairs (x[2i], x[2i+1]) and pair i of position p is
// rotated by the angle p·θ_i, θ_i = 10000^(−2i/K). The score q_m·k_n then depends on the
// positions only through m − n. We use the paper's interleaved pairs (2i, 2i+1) (as GPT-J and
// RoFormer), not the half-split (i, i + K/2) of GPT-NeoX and Llama; `scripts/pytorch_reference.py`
// uses the same convention.
//
// Pointer level:
//   rotaryEmbedding(x, into: y, sequences:, length:, headSize:, positionOffset:, inverse:,
//                   accumulate:)         [N, T, K] → [N, T, K], position of row t: offset + t
// Tensor level: rotaryEmbedding(x, positionOffset:) on [B, H, T, K] (or [R, H, K] for one step).
// Reference: rotaryEmbeddingReference, in Double.
//
// The rotation is orthogonal, so its backward is the inverse rotation (angle −p·θ_i) of the
// output gradient: `inverse: true, accumulate: true`.

/// θ_i = 10000^(−2i/K) for the K/2 pairs of a head.
public func rotaryFrequencies(headSize: Int) -> [Double] {
  (0..<(headSize / 2)).map { i in Foundation.pow(10_000, -2 * Double(i) / Double(headSize)) }
}

/// `y (+)= R(p)·x` for every row of `sequences` sequences of `length` rows of width `headSize`,
/// row t at position p = `positionOffset` + t; R(p) rotates pair i by p·θ_i (by −p·θ_i when
/// `inverse`).
///
/// - Parameters:
///   - x: `[N, T, K]`, N = B·H (or `[R·H, 1, K]` for one decoding step).
///   - y: `[N, T, K]`; may be `x` when not accumulating.
///   - headSize: K, even.
public func rotaryEmbedding(
  _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, sequences: Int, length: Int,
  headSize: Int, positionOffset: Int, inverse: Bool = false, accumulate: Bool = false
) {
  kernelPrecondition(
    headSize % 2 == 0 && headSize > 0 && positionOffset >= 0,
    "rotaryEmbedding: head size \(headSize) must be even, offset \(positionOffset) ≥ 0")
  let pairs = headSize / 2
  // cos and sin of every (t, i), computed in Double once per call: [T, K/2] each.
  let frequencies = rotaryFrequencies(headSize: headSize)
  var cosines = [Float](repeating: 0, count: length * pairs)
  var sines = [Float](repeating: 0, count: length * pairs)
  for t in 0..<length {
    for i in 0..<pairs {
      let angle = Double(positionOffset + t) * frequencies[i]
      cosines[t * pairs + i] = Float(Foundation.cos(angle))
      sines[t * pairs + i] = Float(inverse ? -Foundation.sin(angle) : Foundation.sin(angle))
    }
  }
  cosines.withUnsafeBufferPointer { cosines in
    sines.withUnsafeBufferPointer { sines in
      let (c, s) = (cosines.baseAddress!, sines.baseAddress!)
      parallelFor(
        sequences * length, minimumPerThread: Swift.max(1, VectorMath.elementwiseGrain / headSize)
      ) { row in
        let t = row % length
        let (input, output) = (x + row * headSize, y + row * headSize)
        for i in 0..<pairs {
          let (cosine, sine) = (c[t * pairs + i], s[t * pairs + i])
          let (even, odd) = (input[2 * i], input[2 * i + 1])
          let rotatedEven = even * cosine - odd * sine
          let rotatedOdd = even * sine + odd * cosine
          if accumulate {
            output[2 * i] += rotatedEven
            output[2 * i + 1] += rotatedOdd
          } else {
            output[2 * i] = rotatedEven
            output[2 * i + 1] = rotatedOdd
          }
        }
      }
    }
  }
}

/// The rotation of every `[T, K]` sequence of `x` (`[B, H, T, K]`, or `[R, H, K]` for one step
/// at position `positionOffset`), row t at position `positionOffset` + t.
public func rotaryEmbedding(_ x: Tensor, positionOffset: Int = 0, inverse: Bool = false) -> Tensor
{
  let (sequences, length, headSize) = rotaryLayout(x.shape)
  var y = Tensor(uninitializedShape: x.shape)
  y.withUnsafeMutableBufferPointer { y in
    guard let y = y.baseAddress else { return }
    rotaryEmbedding(
      x.storage.pointer, into: y, sequences: sequences, length: length, headSize: headSize,
      positionOffset: positionOffset, inverse: inverse)
  }
  return y
}

/// N, T and K of a `[B, H, T, K]` tensor, or of `[R, H, K]` read as `[R·H, 1, K]`.
func rotaryLayout(_ shape: [Int]) -> (sequences: Int, length: Int, headSize: Int) {
  kernelPrecondition(
    shape.count == 4 || shape.count == 3,
    "rotaryEmbedding: input must be [B, H, T, K] or [R, H, K], got \(shape)")
  if shape.count == 3 { return (shape[0] * shape[1], 1, shape[2]) }
  return (shape[0] * shape[1], shape[2], shape[3])
}

/// The reference for `rotaryEmbedding`, in Double, from the 2×2 rotation matrices of eq. 34.
public func rotaryEmbeddingReference(_ x: Tensor, positionOffset: Int = 0) -> Tensor {
  let (sequences, length, headSize) = rotaryLayout(x.shape)
  let frequencies = rotaryFrequencies(headSize: headSize)
  var y = [Float](repeating: 0, count: x.count)
  let input = x.scalars
  for n in 0..<sequences {
    for t in 0..<length {
      let base = (n * length + t) * headSize
      for i in 0..<(headSize / 2) {
        let angle = Double(positionOffset + t) * frequencies[i]
        let (a, b) = (Double(input[base + 2 * i]), Double(input[base + 2 * i + 1]))
        y[base + 2 * i] = Float(a * Foundation.cos(angle) - b * Foundation.sin(angle))
        y[base + 2 * i + 1] = Float(a * Foundation.sin(angle) + b * Foundation.cos(angle))
      }
    }
  }
  return Tensor(shape: x.shape, scalars: y)
}
