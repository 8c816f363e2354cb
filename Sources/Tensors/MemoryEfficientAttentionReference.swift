// The reference for memory-efficient attention: each head's full [T, S] score matrix in Double,
// visibility decided one element at a time from the definitions in MemoryEfficientAttention.swift
// (not from its helpers), dropout bits drawn with RandomGenerator.hash directly. For tests on
// small sizes only: memory O(T·S).

import Foundation

/// The reference forward and backward results, all flat row-major in Double.
public struct MemoryEfficientAttentionReference {
  /// `[B, H, T, K]`.
  public var output: [Double]
  /// `[B, H, T]`, −∞ for a query with no visible key.
  public var logSumExp: [Double]
  /// `[B, H, T, K]`, `[B, G, S, K]`, `[B, G, S, K]`; empty unless an output gradient was given.
  public var queryGradient: [Double], keyGradient: [Double], valueGradient: [Double]
}

/// Memory-efficient attention, and its gradients for `outputGradient` when given, computed
/// naively in Double.
///
/// - Parameters:
///   - query: `[B, H, T, K]`.
///   - key, value: `[B, G, S, K]`.
///   - outputGradient: `[B, H, T, K]` or nil.
public func memoryEfficientAttentionReference(
  query: [Float], key: [Float], value: [Float], outputGradient: [Float]? = nil,
  shape: AttentionShape, mask: AttentionMask = .none, modifiers: AttentionModifiers = .none
) -> MemoryEfficientAttentionReference {
  let (batch, heads, queries, keys, size) = (
    shape.batch, shape.heads, shape.queries, shape.keys, shape.headSize
  )
  let group = heads / shape.keyValueHeads
  let scale = 1 / Double(size).squareRoot()
  let p = Double(modifiers.dropoutProbability)
  let threshold = UInt32(Swift.min(p * 4_294_967_296, 4_294_967_295))
  var result = MemoryEfficientAttentionReference(
    output: Array(repeating: 0, count: query.count),
    logSumExp: Array(repeating: -.infinity, count: batch * heads * queries),
    queryGradient: outputGradient == nil ? [] : Array(repeating: 0, count: query.count),
    keyGradient: outputGradient == nil ? [] : Array(repeating: 0, count: key.count),
    valueGradient: outputGradient == nil ? [] : Array(repeating: 0, count: value.count))

  func isVisible(_ b: Int, _ t: Int, _ s: Int) -> Bool {
    let position = t + (mask.causalOffset ?? 0)
    if let lengths = mask.keyLengths, s >= lengths[b] { return false }
    if let padding = mask.keyIsPadding, padding[b * keys + s] { return false }
    if let offset = mask.causalOffset, s > t + offset { return false }
    if let window = modifiers.window {
      let ahead = modifiers.bidirectionalWindow ? window - 1 : 0
      if s > position + ahead || s <= position - window { return false }
    }
    return true
  }
  /// The dropout scale of flat element n of [B, H, T, S].
  func dropoutScale(_ n: Int) -> Double {
    guard p > 0 else { return 1 }
    let bits = RandomGenerator.hash(seed: modifiers.dropoutSeed, counter: UInt64(n / 2))
    let chosen = UInt32(truncatingIfNeeded: n % 2 == 0 ? bits >> 32 : bits)
    return chosen >= threshold ? 1 / (1 - p) : 0
  }

  for b in 0..<batch {
    for h in 0..<heads {
      let headRow = (b * heads + h) * queries
      let kvRow = (b * shape.keyValueHeads + h / group) * keys
      for t in 0..<queries {
        let q = (headRow + t) * size
        let position = t + (mask.causalOffset ?? 0)
        var x = [Double](repeating: -.infinity, count: keys)
        for s in 0..<keys where isVisible(b, t, s) {
          var dot = 0.0
          for k in 0..<size { dot += Double(query[q + k]) * Double(key[(kvRow + s) * size + k]) }
          x[s] = scale * dot
          if let slopes = modifiers.alibiSlopes {
            x[s] -= Double(slopes[h]) * Double(abs(position - s))
          }
        }
        guard let best = x.max(), best > -.infinity else { continue }
        let total = x.reduce(0) { $0 + exp($1 - best) }
        result.logSumExp[headRow + t] = best + log(total)
        let probabilities = x.map { exp($0 - best) / total }  // [S]
        let scales = (0..<keys).map { dropoutScale((headRow + t) * keys + $0) }  // [S]
        for s in 0..<keys {
          for k in 0..<size {
            result.output[q + k] +=
              probabilities[s] * scales[s] * Double(value[(kvRow + s) * size + k])
          }
        }
        guard let outputGradient else { continue }
        // dA = G·vᵀ, dP = dA·z, dX = P ⊙ (dP − Σ P·dP); dq = scale·dX·k, dk = scale·dXᵀ·q,
        // dv = (P·z)ᵀ·G.
        let dp = (0..<keys).map { s in
          (0..<size).reduce(0.0) {
            $0 + Double(outputGradient[q + $1]) * Double(value[(kvRow + s) * size + $1])
          } * scales[s]
        }
        let centre = zip(probabilities, dp).reduce(0) { $0 + $1.0 * $1.1 }
        for s in 0..<keys where probabilities[s] > 0 {
          let dx = probabilities[s] * (dp[s] - centre) * scale
          for k in 0..<size {
            let kv = (kvRow + s) * size + k
            result.queryGradient[q + k] += dx * Double(key[kv])
            result.keyGradient[kv] += dx * Double(query[q + k])
            result.valueGradient[kv] += probabilities[s] * scales[s] * Double(outputGradient[q + k])
          }
        }
      }
    }
  }
  return result
}
