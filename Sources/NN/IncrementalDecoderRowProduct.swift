import Autograd
import Tensors

/// Matrix products with a handful of rows (M ≤ `maxRows`: one sentence, or one sentence's
/// beam), as a decoding step of a small batch makes them.
///
/// With M this small a product reads every weight once and does M multiply–adds with it, so
/// its speed is that of streaming the weights from memory. The blocked GEMM first packs the
/// weights into panels, which doubles that traffic; these loops read each weight once,
/// straight from its row, keeping the M output rows in registers or L1. Threads split the
/// output columns.
///
/// Shapes: M rows, K inner size, N outputs.
enum IncrementalDecoderRowProduct {
  /// The most rows these loops take; larger products go to the blocked GEMM.
  static let maxRows = 8

  /// `y[M, N] = x[M, K]·W[K, N]`, W row-major `[K, N]` (a `Linear` weight).
  static func multiply(
    _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
    rows: Int, inner: Int, columns: Int
  ) {
    let blocks = (columns + 63) / 64
    parallelForRanges(blocks, minimumPerThread: max(1, 4096 / max(1, inner))) { range in
      let start = range.lowerBound * 64
      let end = min(columns, range.upperBound * 64)
      for r in 0..<rows { (y + r * columns + start).update(repeating: 0, count: end - start) }
      let vectorEnd = start + (end - start) / 16 * 16
      for p in 0..<inner {
        let weights = w + p * columns
        for r in 0..<rows {
          let a = x[r * inner + p]
          let out = y + r * columns
          var j = start
          while j < vectorEnd {
            store(load(out, j) + a * load(weights, j), out, j)
            j += 16
          }
          while j < end {
            out[j] += a * weights[j]
            j += 1
          }
        }
      }
    }
  }

  /// `y[M, N] = x[M, K]·E[N, K]ᵀ`, E row-major `[N, K]` (the tied embedding as the output
  /// projection).
  static func multiplyTransposed(
    _ x: UnsafePointer<Float>, _ e: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
    rows: Int, inner: Int, columns: Int
  ) {
    let vectorEnd = inner / 16 * 16
    parallelForRanges(columns, minimumPerThread: max(1, 4096 / max(1, inner))) { range in
      for n in range {
        let row = e + n * inner
        for r in 0..<rows {
          let a = x + r * inner
          var lanes = SIMD16<Float>()
          var i = 0
          while i < vectorEnd {
            lanes += load(a, i) * load(row, i)
            i += 16
          }
          var dot = lanes.sum()
          while i < inner {
            dot += a[i] * row[i]
            i += 1
          }
          y[r * columns + n] = dot
        }
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
