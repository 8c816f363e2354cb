import Foundation

// Attention with linear biases (ALiBi, Press et al. 2022, §3): no position vectors; head h adds
// −m_h·|i − j| to the scaled score of query position i and key j. The slopes m_h are the
// geometric sequence of the paper (§3 and its reference code): for H a power of two,
// m_h = 2^(−8h/H), h = 1…H; otherwise the H' = 2^⌊log₂ H⌋ slopes of H' heads followed by every
// other slope of 2H' heads (the odd-numbered ones), the first H − H' of them.
//
// In causal attention the visible keys have j ≤ i, so the bias is the paper's −m·(i − j); in the
// encoder's bidirectional attention we use the symmetric −m·|i − j| (as the memory-efficient
// kernel's contract states; the paper only covers causal language models).
//
//   alibiSlopes(heads:)                           [H]
//   addALiBiBias(scores, batch:, heads:, queries:, keys:, slopes:, queryOffset:, scale:)
//        scores [B, H, T, S] ← scale·scores − m_h·|t + offset − s|, in place

/// The ALiBi head slopes of Press et al. 2022 for `heads` heads.
public func alibiSlopes(heads: Int) -> [Float] {
  func powerOfTwoSlopes(_ n: Int) -> [Double] {
    let start = Foundation.pow(2, -8 / Double(n))
    return (1...n).map { Foundation.pow(start, Double($0)) }
  }
  guard heads > 0 else { return [] }
  let lower = 1 << (Int.bitWidth - 1 - heads.leadingZeroBitCount)  // 2^⌊log₂ H⌋
  if lower == heads { return powerOfTwoSlopes(heads).map(Float.init) }
  let extra = powerOfTwoSlopes(2 * lower).enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
  return (powerOfTwoSlopes(lower) + extra.prefix(heads - lower)).map(Float.init)
}

/// `scores[b, h, t, s] = scale·scores[b, h, t, s] − slopes[h]·|t + queryOffset − s|`, in place:
/// the scaled and biased scores, for a softmax with scale 1.
///
/// - Parameters:
///   - scores: `[B, H, T, S]`, the raw `q·kᵀ`.
///   - slopes: `[H]`.
///   - queryOffset: the position of query 0 (the causal offset of a decoding step, else 0).
public func addALiBiBias(
  _ scores: UnsafeMutablePointer<Float>, batch: Int, heads: Int, queries: Int, keys: Int,
  slopes: [Float], queryOffset: Int, scale: Float
) {
  kernelPrecondition(
    slopes.count == heads, "addALiBiBias: \(slopes.count) slopes for \(heads) heads")
  parallelFor(
    batch * heads * queries,
    minimumPerThread: Swift.max(1, VectorMath.elementwiseGrain / Swift.max(1, keys))
  ) { row in
    let (h, t) = ((row / queries) % heads, row % queries)
    let (slope, position) = (slopes[h], t + queryOffset)
    let x = scores + row * keys
    for s in 0..<keys { x[s] = scale * x[s] - slope * Float(abs(position - s)) }
  }
}
