import Autograd
import Tensors

/// Scaled dot-product attention (Vaswani et al. §3.2.1) for a single query per (row, head),
/// as an incremental decoding step needs: `softmax(q·Kᵀ/√K)·V` over the first L keys.
///
/// Each item is a handful of K-wide dot products and axpys (L ≈ 25, K = 32 in the small
/// model). A batched GEMM pays its packing for each of these tiny products, which costs more
/// than the arithmetic (≈ 0.5 ms per call for 800 items, twelve calls per step); here the
/// products are SIMD loops over the items, split over threads by ownership of their outputs,
/// and the softmax between them is the fused `softmaxForward` kernel, masks and scale
/// included.
///
/// Shapes: R rows, H heads, K head size, L visible keys, D = H·K.
enum IncrementalDecoderAttention {
  /// Attends with `items` queries in three passes: the scores `q·k_s` of every item, the
  /// fused masked softmax over all of them at once, then `Σ_s p_s·v_s`. Item i reads its query
  /// at `query(i)` and its keys and values as consecutive K-wide rows from `keyBase(i)` and
  /// `valueBase(i)`, of which the first `visible(i)` count, and writes K outputs at
  /// `output(i)`.
  ///
  /// - Parameters:
  ///   - scores: `[items, keyCount]`, the scores and then the probabilities.
  ///   - softmaxBatch: the items come in this many equal groups, group b masked by
  ///     `mask.keyLengths[b]` (the sentences); 1 with `mask` `.none`.
  static func attend(
    items: Int, headSize: Int, keyCount: Int, scores: UnsafeMutablePointer<Float>,
    softmaxBatch: Int, mask: AttentionMask,
    query: (Int) -> UnsafePointer<Float>, visible: (Int) -> Int,
    keyBase: (Int) -> UnsafePointer<Float>, valueBase: (Int) -> UnsafePointer<Float>,
    output: (Int) -> UnsafeMutablePointer<Float>
  ) {
    let grain = max(1, 16_384 / max(1, headSize * keyCount))
    parallelForRanges(items, minimumPerThread: grain) { range in
      for item in range {
        dots(
          query(item), keyBase(item), count: visible(item), headSize: headSize,
          into: scores + item * keyCount)
      }
    }
    softmaxForward(
      scores, into: scores, batch: softmaxBatch, heads: items / softmaxBatch, queries: 1,
      keys: keyCount, scale: 1 / Float(headSize).squareRoot(), mask: mask)
    parallelForRanges(items, minimumPerThread: grain) { range in
      for item in range {
        weightedSum(
          scores + item * keyCount, valueBase(item), count: visible(item),
          headSize: headSize, into: output(item))
      }
    }
  }

  /// `scores[s] = q·k_s` for `count` keys.
  @inline(__always)
  static func dots(
    _ q: UnsafePointer<Float>, _ keys: UnsafePointer<Float>, count: Int, headSize: Int,
    into scores: UnsafeMutablePointer<Float>
  ) {
    let vectorEnd = headSize / 16 * 16
    for s in 0..<count {
      let k = keys + s * headSize
      var lanes = SIMD16<Float>()
      var i = 0
      while i < vectorEnd {
        lanes += load(q, i) * load(k, i)
        i += 16
      }
      var dot = lanes.sum()
      while i < headSize {
        dot += q[i] * k[i]
        i += 1
      }
      scores[s] = dot
    }
  }

  /// `output = Σ_s p_s·v_s` over `count` values.
  @inline(__always)
  static func weightedSum(
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
        store(load(output, i) + weight * load(v, i), output, i)
        i += 16
      }
      while i < headSize {
        output[i] += weight * v[i]
        i += 1
      }
    }
  }

  @inline(__always)
  private static func load(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD16<Float> {
    UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<Float>.self)
  }

  @inline(__always)
  private static func load(_ p: UnsafeMutablePointer<Float>, _ i: Int) -> SIMD16<Float> {
    UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<Float>.self)
  }

  @inline(__always)
  private static func store(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
    UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: SIMD16<Float>.self)
  }
}
