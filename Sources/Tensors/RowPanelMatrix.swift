// A weight laid out for the row products of a decoding step of a few rows (`stepProduct` with
// M ≤ `rowProductMaxRows`), and its product:
//
//   RowPanelMatrix(w, k:, n:, ldb:, transposeB:)     op(W) K×N in 64-column panels
//   rowPanelProduct(x, rows:, w, into: y)            y[M, N] = x[M, K]·op(W)
//
// At one sentence a step multiplies one row by each weight matrix, so its speed is how fast the
// weights stream into the cores (19 MB a token for the small preset). `rowProduct` reads W in
// its own layout: four rows of W at a time, each a run of a few hundred bytes, eight runs in
// flight in `rowProductTransposed`; measured on a Zen 4 (AVX-512, 32 MB L3), the small preset's
// decoder weights streamed that way at 25–36 GB/s on 2 threads. Here each thread reads one
// contiguous run per panel, 64 KB for K = 256, front to back, the pattern a hardware
// prefetcher follows best: 90–100 GB/s on the same weights, a token's products in half the time.
//
// Reference: gemmReference, checked in RowPanelMatrixTests.

/// op(W), K×N, cut into panels of `RowPanelMatrix.width` columns: panel p holds, for each
/// k = 0..<K in turn, the 64 values of row k of op(W) in columns 64p ..< 64p + 64 (zeros past
/// N). A panel is one contiguous K×64 block.
///
/// Weights change only between decodes: `PackedWeights` makes these once per set of weights.
public final class RowPanelMatrix {
  /// Rows of op(W): the products' inner size.
  public let k: Int
  /// Columns of op(W): the products' output width.
  public let n: Int
  /// Columns per panel: four 16-float vectors, the four accumulators a row's product keeps.
  static let width = 64
  /// Panels across N.
  let panelCount: Int
  let storage: TensorStorage

  /// Lays out op(W): `w` is K×N row-major with leading dimension `ldb`, or N×K when
  /// `transposeB` (the `[V, D]` embedding table as the output projection `x·Eᵀ`).
  public init(_ w: UnsafePointer<Float>, k: Int, n: Int, ldb: Int, transposeB: Bool) {
    kernelPrecondition(
      k >= 0 && n >= 0 && ldb >= (transposeB ? k : n),
      "RowPanelMatrix: \(k)×\(n) with leading dimension \(ldb)")
    let width = Self.width
    self.k = k
    self.n = n
    panelCount = (n + width - 1) / width
    storage = TensorStorage(count: max(1, k * panelCount * width), zeroed: true)
    let target = storage.pointer
    parallelForRanges(panelCount, minimumPerThread: 4) { panels in
      for panel in panels {
        let first = panel * width
        let columns = min(width, n - first)
        let block = target + panel * k * width  // [K, 64]
        if transposeB {
          // Column j of op(W) is row j of the N×K storage: read it along, write it down.
          for j in 0..<columns {
            let source = w + (first + j) * ldb
            for q in 0..<k { block[q * width + j] = source[q] }
          }
        } else {
          for q in 0..<k {
            (block + q * width).update(from: w + q * ldb + first, count: columns)
          }
        }
      }
    }
  }
}

/// `y[M, N] = x[M, K]·op(W)` for a decoding step of a few rows, W laid out as `RowPanelMatrix`.
///
/// Threads own ranges of panels. In a panel, rows go two at a time: eight accumulators (two
/// rows × four vectors of 16 columns) take one pass over the panel, the second row sharing
/// each load with the first. Each output is the in-order fused sum over k = 0, 1, …, K−1, so
/// results do not depend on the thread count or on how many rows the step has.
///
/// - Parameters:
///   - x: `[M, K]`.
///   - y: `[M, N]`, overwritten.
public func rowPanelProduct(
  _ x: UnsafePointer<Float>, rows: Int, _ w: RowPanelMatrix, into y: UnsafeMutablePointer<Float>
) {
  let (inner, columns) = (w.k, w.n)
  guard rows > 0, columns > 0 else { return }
  let started = MatmulTally.add(m: rows, n: columns, k: inner)
  defer { MatmulTally.finish(started, m: rows, n: columns, k: inner, kernel: .rowPanels) }
  let width = RowPanelMatrix.width
  let panels = UnsafePointer(w.storage.pointer)
  let minimumWork = rowProductMinimumWork(total: columns * inner * rows)
  withExtendedLifetime(w) {
    parallelForRanges(
      w.panelCount, minimumPerThread: Swift.max(1, minimumWork / Swift.max(1, width * inner * rows))
    ) { range in
      for panel in range {
        let block = panels + panel * inner * width  // [K, 64]
        let first = panel * width
        let count = Swift.min(width, columns - first)
        var r = 0
        while r + 2 <= rows {
          RowPanelKernel.twoRows(
            x + r * inner, x + (r + 1) * inner, block, inner: inner,
            into: y + r * columns + first, y + (r + 1) * columns + first, count: count)
          r += 2
        }
        if r < rows {
          RowPanelKernel.oneRow(
            x + r * inner, block, inner: inner, into: y + r * columns + first, count: count)
        }
      }
    }
  }
}

/// The register kernels of `rowPanelProduct`: one or two rows against one `[K, 64]` panel.
enum RowPanelKernel {
  typealias Vector = SIMD16<Float>

  @inline(__always)
  static func load(_ p: UnsafePointer<Float>, _ offset: Int) -> Vector {
    UnsafeRawPointer(p + offset).load(as: Vector.self)
  }

  @inline(__always)
  static func oneRow(
    _ x: UnsafePointer<Float>, _ block: UnsafePointer<Float>, inner: Int,
    into y: UnsafeMutablePointer<Float>, count: Int
  ) {
    var (a0, a1, a2, a3) = (Vector(), Vector(), Vector(), Vector())
    var w = block
    for q in 0..<inner {
      let s = Vector(repeating: x[q])
      a0.addProduct(s, load(w, 0))
      a1.addProduct(s, load(w, 16))
      a2.addProduct(s, load(w, 32))
      a3.addProduct(s, load(w, 48))
      w += RowPanelMatrix.width
    }
    store(a0, a1, a2, a3, into: y, count: count)
  }

  @inline(__always)
  static func twoRows(
    _ x0: UnsafePointer<Float>, _ x1: UnsafePointer<Float>, _ block: UnsafePointer<Float>,
    inner: Int, into y0: UnsafeMutablePointer<Float>, _ y1: UnsafeMutablePointer<Float>,
    count: Int
  ) {
    var (a0, a1, a2, a3) = (Vector(), Vector(), Vector(), Vector())
    var (b0, b1, b2, b3) = (Vector(), Vector(), Vector(), Vector())
    var w = block
    for q in 0..<inner {
      let (w0, w1, w2, w3) = (load(w, 0), load(w, 16), load(w, 32), load(w, 48))
      let s = Vector(repeating: x0[q])
      let t = Vector(repeating: x1[q])
      a0.addProduct(s, w0)
      a1.addProduct(s, w1)
      a2.addProduct(s, w2)
      a3.addProduct(s, w3)
      b0.addProduct(t, w0)
      b1.addProduct(t, w1)
      b2.addProduct(t, w2)
      b3.addProduct(t, w3)
      w += RowPanelMatrix.width
    }
    store(a0, a1, a2, a3, into: y0, count: count)
    store(b0, b1, b2, b3, into: y1, count: count)
  }

  /// The first `count` of the 64 values into `y`.
  @inline(__always)
  static func store(
    _ a0: Vector, _ a1: Vector, _ a2: Vector, _ a3: Vector, into y: UnsafeMutablePointer<Float>,
    count: Int
  ) {
    if count == RowPanelMatrix.width {
      let raw = UnsafeMutableRawPointer(y)
      raw.storeBytes(of: a0, as: Vector.self)
      raw.storeBytes(of: a1, toByteOffset: 64, as: Vector.self)
      raw.storeBytes(of: a2, toByteOffset: 128, as: Vector.self)
      raw.storeBytes(of: a3, toByteOffset: 192, as: Vector.self)
      return
    }
    for j in 0..<count {
      let vector = j < 16 ? a0 : j < 32 ? a1 : j < 48 ? a2 : a3
      y[j] = vector[j % 16]
    }
  }
}
