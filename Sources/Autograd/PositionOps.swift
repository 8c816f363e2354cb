import Tensors

/// Rotary position embedding (RoPE, Su et al. 2021): rotates each pair (2i, 2i+1) of every
/// query or key vector by the angle p·θ_i, θ_i = 10000^(−2i/K), p its position (see
/// `Tensors.rotaryEmbedding` for the convention). Applied to the queries and keys of a
/// self-attention, so that their product depends on the positions only through their distance.
///
/// - Parameters:
///   - x: `[B, H, T, K]`, K even.
///   - positionOffset: the position of row 0 (0 in training; the cached length in decoding).
/// - Returns: `[B, H, T, K]`.
public func rotaryEmbedding(_ x: Variable, positionOffset: Int = 0) -> Variable {
  let output = Tensors.rotaryEmbedding(x.value, positionOffset: positionOffset)
  guard let tape = Tape.active(x), let dx = x.cell else { return Variable(output) }
  let (sequences, length, headSize) = (x.shape[0] * x.shape[1], x.shape[2], x.shape[3])
  return tape.append("rotaryEmbedding", output) { g in
    // y = R(p)·x with R(p) orthogonal, so dx = R(p)ᵀ·g = R(−p)·g: the inverse rotation.
    dx.update(from: "rotaryEmbedding") { dx, accumulate in
      dx.withUnsafeMutableBufferPointer { dx in
        Tensors.rotaryEmbedding(
          g.storage.pointer, into: dx.baseAddress!, sequences: sequences, length: length,
          headSize: headSize, positionOffset: positionOffset, inverse: true,
          accumulate: accumulate)
      }
    }
  }
}

/// Repeats each of the G key/value heads `repeats` = H/G times, `[B, G, S, K] → [B, H, S, K]`,
/// so that the standard attention op can run grouped-query attention (Ainslie et al. 2023):
/// query head h reads key/value head h / (H/G). The backward sums the copies.
///
/// - Parameters:
///   - x: `[B, G, S, K]`.
///   - repeats: H/G ≥ 1; 1 returns `x`.
/// - Returns: `[B, H, S, K]`.
public func repeatHeads(_ x: Variable, repeats: Int) -> Variable {
  precondition(
    x.value.rank == 4 && repeats >= 1,
    "repeatHeads: input \(x.shape) must be [B, G, S, K], repeats \(repeats) ≥ 1")
  guard repeats > 1 else { return x }
  let (batch, groups) = (x.shape[0], x.shape[1])
  let headElements = x.shape[2] * x.shape[3]
  var output = Tensor(uninitializedShape: [batch, groups * repeats, x.shape[2], x.shape[3]])
  output.withUnsafeMutableBufferPointer { y in
    guard let y = y.baseAddress else { return }
    Tensors.repeatHeads(
      x.value.storage.pointer, into: y, batch: batch, groups: groups, repeats: repeats,
      headElements: headElements)
  }
  guard let tape = Tape.active(x), let dx = x.cell else { return Variable(output) }
  return tape.append("repeatHeads", output) { g in
    // Each key/value head fed R query heads: its gradient is the sum of theirs.
    dx.update(from: "repeatHeads") { dx, accumulate in
      dx.withUnsafeMutableBufferPointer { dx in
        guard let dx = dx.baseAddress else { return }
        sumRepeatedHeads(
          g.storage.pointer, into: dx, batch: batch, groups: groups, repeats: repeats,
          headElements: headElements, accumulate: accumulate)
      }
    }
  }
}
