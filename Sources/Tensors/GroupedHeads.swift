// Grouped-query attention (Ainslie et al. 2023): H query heads share G key/value heads, query
// head h reading key/value head h / (H/G). The standard attention op runs on H heads, so it
// repeats each key/value head H/G times; the backward sums the H/G copies' gradients back into
// their head. (The memory-efficient and single-query kernels index the shared head directly.)
//
//   repeatHeads(x, into: y, batch:, groups:, repeats:, headElements:, accumulate:)
//        [B, G, S, K] → [B, G·(H/G), S, K]
//   sumRepeatedHeads(x, into: y, …)   its backward: [B, H, S, K] → [B, G, S, K], adding the copies

/// `y[b, g·R + r] (+)= x[b, g]` for every r < R = `repeats`, each head `headElements` = S·K
/// floats.
public func repeatHeads(
  _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, batch: Int, groups: Int,
  repeats: Int, headElements: Int, accumulate: Bool = false
) {
  parallelFor(
    batch * groups * repeats,
    minimumPerThread: Swift.max(1, VectorMath.elementwiseGrain / Swift.max(1, headElements))
  ) { target in
    let source = x + (target / repeats) * headElements
    let output = y + target * headElements
    if accumulate {
      VectorMath.map(source, output, output, 0..<headElements) { $1 + $0 }
    } else {
      output.update(from: source, count: headElements)
    }
  }
}

/// `y[b, g] (+)= Σ_r x[b, g·R + r]`: the backward of `repeatHeads`.
public func sumRepeatedHeads(
  _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, batch: Int, groups: Int,
  repeats: Int, headElements: Int, accumulate: Bool = false
) {
  parallelFor(
    batch * groups,
    minimumPerThread: Swift.max(1, VectorMath.elementwiseGrain / Swift.max(1, headElements))
  ) { head in
    let output = y + head * headElements
    if !accumulate { output.update(repeating: 0, count: headElements) }
    for r in 0..<repeats {
      let source = x + (head * repeats + r) * headElements
      VectorMath.map(source, output, output, 0..<headElements) { $1 + $0 }
    }
  }
}
