// Scaled dot-product attention (Vaswani et al. §3.2.1) for one new query per (row, head) over
// keys and values stored by head, as an incremental decoding step reads them from its cache.
//
// Pointer level:
//   singleQueryAttention(query:, keys:, values:, into: output, rows:, groups:, heads:, headSize:,
//                        capacity:, keyCount:, mask:)
//       query [R, H, K], keys and values [G, H', C, K] (the first L positions used), output [R, H, K]
//       with H' = keyValueHeads dividing H (grouped-query attention: head h reads head h/(H/H')),
//       and optional ALiBi slopes [H] (Press et al. 2022; see ALiBi.swift)
//   attentionScale(headSize:)   1/√K, the scale of both this kernel and the batched attention op
// Reference: singleQueryAttentionReference, in Double.
//
// Row r reads the keys of group g = r / (R/G): with G = R each row has its own (the decoder's
// self-attention cache [R, H, C, K]); with G sentences of W = R/G rows each, the W hypotheses of a
// sentence share its encoder output's keys (cross-attention, [B, H, S, K]).
//
// Each (row, head) is a handful of K-wide dot products and axpys (L ≈ 25, K = 32 in the small
// model). A batched GEMM pays its packing for each of these tiny products, which costs more than
// the arithmetic (≈ 0.5 ms per call for 800 items, twelve calls per step); here the products are
// SIMD loops over the items, split over threads by ownership of their outputs, and the softmax
// between them is `softmaxForward`'s row kernel, masks and scale included, all three in one pass
// per item.

import Foundation

/// The scale of scaled dot-product attention, `1/√K` for heads of size K (§3.2.1): the one
/// definition the batched attention op and `singleQueryAttention` both use.
@inline(__always)
public func attentionScale(headSize: Int) -> Float { 1 / Float(headSize).squareRoot() }

/// `output[r, h] = softmax(q[r, h]·K[g, h]ᵀ/√K, mask)·V[g, h]` over the first `keyCount`
/// positions of group g = r / (R/G), in three passes: the scores of every (row, head), the fused
/// masked softmax over all of them, then the weighted sums of the values.
///
/// - Parameters:
///   - query: `[R, H, K]`, which is also `[R, D]`: one query position, its heads side by side.
///   - keys: `[G, H', C, K]`, H' = `keyValueHeads` (H when nil), dividing H.
///   - values: `[G, H', C, K]`.
///   - output: `[R, H, K]`, overwritten; a row that sees no key gets zeros.
///   - rows: R, a multiple of `groups`.
///   - groups: G.
///   - capacity: C, the positions between two heads of `keys` and `values`.
///   - keyCount: L ≤ C, the positions written.
///   - mask: which of the L keys the query of group g sees, the group as the batch element and
///     the query as position 0: key lengths `[G]`, or `.causal(offset: L − 1)` for a new
///     position that sees every earlier one and itself.
///   - keyValueHeads: H', the heads of `keys` and `values`; H when nil.
///   - alibiSlopes: `[H]`: adds −slope[h]·|i − s| to the scaled score of key s, the query at
///     position i = `mask.causalOffset ?? 0`.
public func singleQueryAttention(
  query: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
  into output: UnsafeMutablePointer<Float>, rows: Int, groups: Int, heads: Int, headSize: Int,
  capacity: Int, keyCount: Int, mask: AttentionMask, keyValueHeads: Int? = nil,
  alibiSlopes: [Float]? = nil
) {
  let keyValueHeads = keyValueHeads ?? heads
  kernelPrecondition(
    groups > 0 && rows % groups == 0 && heads > 0 && headSize > 0
      && (0...capacity).contains(keyCount) && keyValueHeads > 0 && heads % keyValueHeads == 0
      && (alibiSlopes == nil || alibiSlopes!.count == heads),
    "singleQueryAttention: \(rows) rows in \(groups) groups, \(heads)×\(headSize) "
      + "(\(keyValueHeads) key/value heads), \(keyCount) keys of \(capacity), "
      + "\(alibiSlopes?.count ?? 0) slopes")
  let sharing = heads / keyValueHeads  // query heads per key/value head
  mask.check(batch: groups, keys: keyCount)
  let items = rows * heads
  guard items > 0 else { return }
  let (members, size, width) = (rows / groups, headSize, heads * headSize)
  // Item i = (group g, head h, member w), w fastest so that neighbouring items read the same
  // keys; it reads row r = g·W + w of the query and writes the same place of the output.
  @inline(__always) func place(_ item: Int) -> (row: Int, head: Int, group: Int) {
    let (group, rest) = item.quotientAndRemainder(dividingBy: heads * members)
    let (head, member) = rest.quotientAndRemainder(dividingBy: members)
    return (group * members + member, head, group)
  }
  let visible = (0..<groups).map { mask.visibleEnd(batch: $0, query: 0, keys: keyCount) }
  let grain = Swift.max(1, 16_384 / Swift.max(1, size * keyCount))
  let scale = attentionScale(headSize: size)
  let position = mask.causalOffset ?? 0
  // The padding matrix as 0/1 floats, as `softmaxForward` reads it.
  let keep: [Float]? = mask.keyIsPadding.map { padding in padding.map { $0 ? 0 : 1 } }
  // One pass per item: its scores, their masked softmax and the weighted sum of the values, with
  // the scores in L1 throughout and one hand-off between the threads per call. Each item's
  // arithmetic is that of the three separate passes (`softmaxForward`'s row kernel), so the
  // results are the same bits.
  ScratchPool.withBuffer(count: items * keyCount) { scores in  // [G, H, W, L]
    keep.withOptionalPointer { keepBase in
      parallelForRanges(items, minimumPerThread: grain) { range in
        for item in range {
          let (row, head, group) = place(item)
          let x = scores + item * keyCount
          let base = (group * keyValueHeads + head / sharing) * capacity * size
          dots(
            query + row * width + head * size, keys + base, count: visible[group],
            headSize: size, into: x)
          var rowScale = scale
          if let alibiSlopes {
            // Scaled and biased here, so the softmax scales by 1 (as the batched op does).
            let slope = alibiSlopes[head]
            for s in 0..<keyCount { x[s] = scale * x[s] - slope * Float(abs(position - s)) }
            rowScale = 1
          }
          softmaxRow(
            x, x, keys: keyCount, visible: visible[group],
            keep: keepBase.map { $0 + group * keyCount }, scale: rowScale)
          weightedSum(
            x, values + base, count: visible[group], headSize: size,
            into: output + row * width + head * size)
        }
      }
    }
  }
}

/// `scores[s] = q·k_s` for `count` keys.
@inline(__always)
private func dots(
  _ q: UnsafePointer<Float>, _ keys: UnsafePointer<Float>, count: Int, headSize: Int,
  into scores: UnsafeMutablePointer<Float>
) {
  for s in 0..<count { scores[s] = dotProduct(q, keys + s * headSize, headSize) }
}

/// `output = Σ_s p_s·v_s` over `count` values.
@inline(__always)
private func weightedSum(
  _ p: UnsafePointer<Float>, _ values: UnsafePointer<Float>, count: Int, headSize: Int,
  into output: UnsafeMutablePointer<Float>
) {
  let vectorEnd = headSize / 16 * 16
  output.update(repeating: 0, count: headSize)
  for s in 0..<count {
    let weight = p[s]
    let v = values + s * headSize
    var i = 0
    while i < vectorEnd {
      VectorMath.store(VectorMath.load(output, i) + weight * VectorMath.load(v, i), output, i)
      i += 16
    }
    while i < headSize {
      output[i] += weight * v[i]
      i += 1
    }
  }
}

/// The reference for `singleQueryAttention`, same contract, in Double: the scores of the visible
/// keys (key lengths, causal offset and padding matrix of `mask`), their softmax, the weighted
/// sum.
public func singleQueryAttentionReference(
  query: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
  into output: UnsafeMutablePointer<Float>, rows: Int, groups: Int, heads: Int, headSize: Int,
  capacity: Int, keyCount: Int, mask: AttentionMask, keyValueHeads: Int? = nil,
  alibiSlopes: [Float]? = nil
) {
  let (members, size) = (rows / groups, headSize)
  let keyValueHeads = keyValueHeads ?? heads
  let scale = 1 / Double(size).squareRoot()
  for row in 0..<rows {
    let group = row / members
    for head in 0..<heads {
      let q = query + (row * heads + head) * size
      let base = (group * keyValueHeads + head / (heads / keyValueHeads)) * capacity * size
      let slope = Double(alibiSlopes?[head] ?? 0)
      let position = mask.causalOffset ?? 0
      let seen = (0..<keyCount).filter { s in
        s < mask.visibleEnd(batch: group, query: 0, keys: keyCount)
          && mask.keyIsPadding?[group * keyCount + s] != true
      }
      let scores = seen.map { s in
        (0..<size).reduce(0.0) { $0 + Double(q[$1]) * Double(keys[base + s * size + $1]) } * scale
          - slope * Double(abs(position - s))
      }
      let largest = scores.max() ?? 0
      let weights = scores.map { Foundation.exp($0 - largest) }
      let total = weights.reduce(0, +)
      for k in 0..<size {
        let sum = zip(seen, weights).reduce(0.0) {
          $0 + $1.1 * Double(values[base + $1.0 * size + k])
        }
        output[(row * heads + head) * size + k] = total > 0 ? Float(sum / total) : 0
      }
    }
  }
}
