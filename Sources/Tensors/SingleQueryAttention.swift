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
// SIMD loops over the items, split over threads by ownership of their outputs, all three steps
// in one pass per item. The softmax works on whole 16-lane vectors (the scores' tail padded with
// −∞) and leaves the division by the sum to the end: `output = (Σ_s e_s·v_s) / Σ_s e_s`, one
// multiply per output rather than one per key.

import Foundation

/// The scale of scaled dot-product attention, `1/√K` for heads of size K (§3.2.1): the one
/// definition the batched attention op and `singleQueryAttention` both use.
@inline(__always)
public func attentionScale(headSize: Int) -> Float { 1 / Float(headSize).squareRoot() }

/// `output[r, h] = softmax(q[r, h]·K[g, h]ᵀ/√K, mask)·V[g, h]` over the first `keyCount`
/// positions of group g = r / (R/G): per (row, head) its scores, their masked softmax and the
/// weighted sum of the values.
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
  let (members, size) = (rows / groups, headSize)
  let visible = (0..<groups).map { mask.visibleEnd(batch: $0, query: 0, keys: keyCount) }
  let grain = Swift.max(1, 16_384 / Swift.max(1, size * keyCount))
  // The padding matrix as 0/1 floats, as `softmaxForward` reads it.
  let keep: [Float]? = mask.keyIsPadding.map { padding in padding.map { $0 ? 0 : 1 } }
  // Each item's scores get a row of whole 16-lane vectors, so that the softmax never loads or
  // stores part of a vector (the tail lanes hold −∞).
  let stride = (keyCount + 15) / 16 * 16
  // One pass per item: its scores, their masked softmax and the weighted sum of the values, with
  // the scores in L1 throughout (one row per thread) and one hand-off between the threads per
  // call. Every item's arithmetic is fixed, so any thread count gives the same bits.
  keep.withOptionalPointer { keepBase in
    visible.withUnsafeBufferPointer { visible in
      let work = SingleQueryItems(
        query: query, keys: keys, values: values, output: output, keep: keepBase,
        visible: visible.baseAddress!, alibiSlopes: alibiSlopes, heads: heads, members: members,
        keyValueHeads: keyValueHeads, sharing: sharing, headSize: size, capacity: capacity,
        keyCount: keyCount, stride: stride, scale: attentionScale(headSize: size),
        position: mask.causalOffset ?? 0)
      parallelForRanges(items, minimumPerThread: grain) { range in
        ScratchPool.withBuffer(count: Swift.max(1, stride)) { scores in  // [L']
          work.run(range, scores: scores)
        }
      }
    }
  }
}

/// The items of one `singleQueryAttention` call and everything they read: `run` is one
/// compiled loop, whichever thread (or the caller alone) runs a range of them.
private struct SingleQueryItems {
  let query: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>
  let output: UnsafeMutablePointer<Float>
  let keep: UnsafePointer<Float>?, visible: UnsafePointer<Int>
  let alibiSlopes: [Float]?
  let heads: Int, members: Int, keyValueHeads: Int, sharing: Int
  let headSize: Int, capacity: Int, keyCount: Int, stride: Int
  let scale: Float, position: Int

  /// Items `range`: item i = (group g, head h, member w), w fastest so that neighbouring items
  /// read the same keys; it reads row r = g·W + w of the query and writes the same place of
  /// the output. `scores` holds one item's scores at a time, `stride` floats.
  @inline(never)
  func run(_ range: Range<Int>, scores x: UnsafeMutablePointer<Float>) {
    let width = heads * headSize
    let negativeInfinity = SIMD16<Float>(repeating: -.infinity)
    for item in range {
      let (group, rest) = item.quotientAndRemainder(dividingBy: heads * members)
      let (head, member) = rest.quotientAndRemainder(dividingBy: members)
      let row = group * members + member
      let seen = visible[group]
      let base = (group * keyValueHeads + head / sharing) * capacity * headSize
      let out = output + row * width + head * headSize
      guard seen > 0 else {
        out.update(repeating: 0, count: headSize)
        continue
      }
      dots(
        query + row * width + head * headSize, keys + base, count: seen, headSize: headSize,
        into: x)
      // Scaled (and biased) scores; the keys past `seen`, to the end of the vector, are −∞
      // (and stay so when scaled).
      let end = (seen + 15) / 16 * 16
      for s in seen..<end { x[s] = -.infinity }
      if let alibiSlopes {
        let slope = alibiSlopes[head]
        for s in 0..<seen { x[s] = scale * x[s] - slope * Float(abs(position - s)) }
      } else {
        for s in Swift.stride(from: 0, to: end, by: 16) {
          VectorMath.store(scale * VectorMath.load(x, s), x, s)
        }
      }
      if let keep {
        let keepRow = keep + group * keyCount
        for s in 0..<seen where keepRow[s] == 0 { x[s] = -.infinity }
      }
      var best = negativeInfinity
      for s in Swift.stride(from: 0, to: end, by: 16) {
        best = VectorMath.maximum(best, VectorMath.load(x, s))
      }
      let largest = VectorMath.horizontalMax(best)
      guard largest > -.infinity else {  // every key hidden
        out.update(repeating: 0, count: headSize)
        continue
      }
      // exp(−∞ − max) is exactly 0 (VectorMath.exp flushes below −87.3): hidden keys add
      // nothing, to the total or to the sum of the values.
      var total = SIMD16<Float>()
      for s in Swift.stride(from: 0, to: end, by: 16) {
        let e = VectorMath.exp(VectorMath.load(x, s) - largest)
        total += e
        VectorMath.store(e, x, s)
      }
      weightedSum(x, values + base, count: seen, headSize: headSize, into: out)
      let inverse = 1 / VectorMath.horizontalSum(total)
      for c in 0..<headSize { out[c] *= inverse }
    }
  }
}

/// `scores[s] = q·k_s` for `count` keys.
///
/// Four keys at a time, each summed in 16 lanes and then as a tree
/// (`VectorMath.horizontalSum`): the loop is bound by its loads and FMAs, where summing the
/// lanes one after another (`SIMD16.sum()`) made every score a chain of 16 dependent additions.
@inline(__always)
private func dots(
  _ q: UnsafePointer<Float>, _ keys: UnsafePointer<Float>, count: Int, headSize: Int,
  into scores: UnsafeMutablePointer<Float>
) {
  guard headSize % 16 == 0 else {
    for s in 0..<count { scores[s] = dotProduct(q, keys + s * headSize, headSize) }
    return
  }
  var s = 0
  while s + 4 <= count {
    let k0 = keys + s * headSize
    let (k1, k2, k3) = (k0 + headSize, k0 + 2 * headSize, k0 + 3 * headSize)
    var (a0, a1, a2, a3) = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
    var i = 0
    while i < headSize {
      let v = VectorMath.load(q, i)
      a0 = a0.addingProduct(v, VectorMath.load(k0, i))
      a1 = a1.addingProduct(v, VectorMath.load(k1, i))
      a2 = a2.addingProduct(v, VectorMath.load(k2, i))
      a3 = a3.addingProduct(v, VectorMath.load(k3, i))
      i += 16
    }
    scores[s] = VectorMath.horizontalSum(a0)
    scores[s + 1] = VectorMath.horizontalSum(a1)
    scores[s + 2] = VectorMath.horizontalSum(a2)
    scores[s + 3] = VectorMath.horizontalSum(a3)
    s += 4
  }
  while s < count {
    let k = keys + s * headSize
    var a = SIMD16<Float>()
    var i = 0
    while i < headSize {
      a = a.addingProduct(VectorMath.load(q, i), VectorMath.load(k, i))
      i += 16
    }
    scores[s] = VectorMath.horizontalSum(a)
    s += 1
  }
}

/// `output = Σ_s p_s·v_s` over `count` values.
///
/// Thirty-two columns at a time in registers, even and odd keys in separate accumulators so
/// that two FMA chains are in flight per vector; accumulating through `output` itself made every
/// key wait for the previous key's store.
@inline(__always)
private func weightedSum(
  _ p: UnsafePointer<Float>, _ values: UnsafePointer<Float>, count: Int, headSize: Int,
  into output: UnsafeMutablePointer<Float>
) {
  var c = 0
  while c + 32 <= headSize {
    var (e0, e1, o0, o1) = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
    var s = 0
    while s + 2 <= count {
      let v0 = values + s * headSize + c
      let v1 = v0 + headSize
      let (w0, w1) = (SIMD16<Float>(repeating: p[s]), SIMD16<Float>(repeating: p[s + 1]))
      e0 = e0.addingProduct(w0, VectorMath.load(v0, 0))
      e1 = e1.addingProduct(w0, VectorMath.load(v0, 16))
      o0 = o0.addingProduct(w1, VectorMath.load(v1, 0))
      o1 = o1.addingProduct(w1, VectorMath.load(v1, 16))
      s += 2
    }
    if s < count {
      let v = values + s * headSize + c
      let w = SIMD16<Float>(repeating: p[s])
      e0 = e0.addingProduct(w, VectorMath.load(v, 0))
      e1 = e1.addingProduct(w, VectorMath.load(v, 16))
    }
    VectorMath.store(e0 + o0, output, c)
    VectorMath.store(e1 + o1, output, c + 16)
    c += 32
  }
  while c + 16 <= headSize {
    var a = SIMD16<Float>()
    for s in 0..<count {
      a = a.addingProduct(SIMD16(repeating: p[s]), VectorMath.load(values + s * headSize, c))
    }
    VectorMath.store(a, output, c)
    c += 16
  }
  while c < headSize {
    var a: Float = 0
    for s in 0..<count { a += p[s] * values[s * headSize + c] }
    output[c] = a
    c += 1
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
