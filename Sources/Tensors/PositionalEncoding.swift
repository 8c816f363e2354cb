// The fixed sinusoidal positional encoding of Vaswani et al. §3.5:
//   PE(pos, 2i)     = sin(pos / 10000^(2i/D))
//   PE(pos, 2i + 1) = cos(pos / 10000^(2i/D))
// interleaved (sin in even columns, cos in odd ones) as in the paper and tensor2tensor's
// "timing signal" figure; fairseq's SinusoidalPositionalEmbedding instead puts all sines before
// all cosines. With an odd D the last column is a sine.
//
// Pointer level: sinusoidalPositionalEncoding(into: y, positions: startPosition..<end, width:)
// Tensor level:  sinusoidalPositionalEncoding(maxLength:, width:) -> [maxLength, D]
// Computed in Double and rounded once, so every entry is the correctly rounded Float (±1 ulp).

import Foundation

/// Writes the encodings of `positions` as consecutive rows of `y` (`[positions.count, D]`):
/// `positions` may start past 0, for the one new position of an incremental decoding step.
public func sinusoidalPositionalEncoding(
  into y: UnsafeMutablePointer<Float>, positions: Range<Int>, width: Int
) {
  let frequencies = (0..<(width + 1) / 2).map { i in
    Foundation.pow(10_000.0, -Double(2 * i) / Double(width))
  }
  for (row, position) in positions.enumerated() {
    let out = y + row * width
    for c in 0..<width {
      let angle = Double(position) * frequencies[c / 2]
      out[c] = Float(c % 2 == 0 ? Foundation.sin(angle) : Foundation.cos(angle))
    }
  }
}

/// The table of encodings for positions `0..<maxLength`: `[maxLength, D]`, added to the scaled
/// token embeddings `[B, T, D]` row by row (position t uses row t).
public func sinusoidalPositionalEncoding(maxLength: Int, width: Int) -> Tensor {
  kernelPrecondition(
    maxLength >= 0 && width > 0, "sinusoidalPositionalEncoding: bad size \(maxLength) × \(width)")
  var table = Tensor(uninitializedShape: [maxLength, width])
  table.withUnsafeMutableBufferPointer { y in
    sinusoidalPositionalEncoding(into: y.baseAddress!, positions: 0..<maxLength, width: width)
  }
  return table
}
