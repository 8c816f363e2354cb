import Tensors

/// The element-wise update of `Adam`, over every parameter of a step at once, split over the
/// threads.
///
/// For each element, with the step's constants (Kingma & Ba, Algorithm 1):
///
///     g ← scale·g
///     m ← β1·m + (1 − β1)·g          v ← β2·v + (1 − β2)·g²
///     θ ← θ − stepSize · m / (√(v · secondCorrection) + ε)
///
/// where `stepSize = lr / (1 − β1^t)` and `secondCorrection = 1 / (1 − β2^t)`.
///
/// The update is memory-bound (seven floats move per element) with a square root and a
/// division, and the small model has ~7.6 M elements: one thread took ~10 ms a step. The
/// parameters are laid end to end and cut into one contiguous run of elements per thread, so
/// the 2 M-element embedding and the 256-element biases balance alike. Every element is
/// computed by the same arithmetic whichever thread and path (16 lanes or the tail) takes it,
/// so the result does not depend on the thread count.
enum AdamKernel {
  /// One parameter's buffers, all of `count` elements; the value and moments are written.
  struct Buffers {
    var gradient: UnsafePointer<Float>
    var first: UnsafeMutablePointer<Float>
    var second: UnsafeMutablePointer<Float>
    var value: UnsafeMutablePointer<Float>
    var count: Int
  }

  /// The step's constants.
  struct Constants {
    var beta1: Float, beta2: Float, epsilon: Float
    /// lr / (1 − β1^t).
    var stepSize: Float
    /// 1 / (1 − β2^t).
    var secondCorrection: Float
    /// Multiplies every gradient (averaging and clipping folded in).
    var gradientScale: Float
  }

  /// Below this many elements in all, one thread updates everything.
  static let parallelThreshold = 1 << 16

  /// Updates every element of every buffer.
  static func run(_ buffers: [Buffers], constants: Constants) {
    let total = buffers.reduce(0) { $0 + $1.count }
    guard total > 0 else { return }
    let parts = total < parallelThreshold ? 1 : Parallel.threadCount
    // Each part starts at an element index rounded down to a multiple of 16 within its
    // parameter, so that the 16-lane loop sees the same blocks as one thread would.
    let starts = (0...parts).map { part in boundary(total * part / parts, in: buffers) }
    parallelFor(parts, threads: parts) { part in
      let (from, to) = (starts[part], starts[part + 1])
      for index in from.buffer...min(to.buffer, buffers.count - 1) {
        let lower = index == from.buffer ? from.offset : 0
        let upper = index == to.buffer ? to.offset : buffers[index].count
        if lower < upper { update(buffers[index], lower..<upper, constants) }
      }
    }
  }

  /// The position of global element `element` (parameters end to end) as (buffer, offset),
  /// the offset rounded down to a multiple of 16; `total` maps past the last buffer.
  private static func boundary(_ element: Int, in buffers: [Buffers]) -> (buffer: Int, offset: Int)
  {
    var remaining = element
    for (index, buffer) in buffers.enumerated() {
      if remaining < buffer.count { return (index, remaining / 16 * 16) }
      remaining -= buffer.count
    }
    return (buffers.count, 0)
  }

  /// Updates elements `range` of one parameter, 16 lanes at a time, then the tail.
  private static func update(_ b: Buffers, _ range: Range<Int>, _ c: Constants) {
    let (beta1, beta2, epsilon) = (c.beta1, c.beta2, c.epsilon)
    let (oneMinusBeta1, oneMinusBeta2) = (1 - beta1, 1 - beta2)
    let (stepSize, secondCorrection, scale) = (c.stepSize, c.secondCorrection, c.gradientScale)
    let (g, m, v, theta) = (b.gradient, b.first, b.second, b.value)
    // Unaligned SIMD16 loads and stores through raw pointers: the buffers are 64-byte
    // aligned, but offsets into them need not be in general.
    let (rawG, rawM, rawV, rawTheta) = (
      UnsafeRawPointer(g), UnsafeMutableRawPointer(m), UnsafeMutableRawPointer(v),
      UnsafeMutableRawPointer(theta)
    )
    let stride = MemoryLayout<Float>.stride
    var i = range.lowerBound
    while i + 16 <= range.upperBound {
      let offset = i * stride
      let gradient = rawG.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self) * scale
      var first = rawM.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
      var second = rawV.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
      first = beta1 * first + oneMinusBeta1 * gradient
      second = beta2 * second + oneMinusBeta2 * gradient * gradient
      let denominator = (second * secondCorrection).squareRoot() + epsilon
      let parameter = rawTheta.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
      rawM.storeBytes(of: first, toByteOffset: offset, as: SIMD16<Float>.self)
      rawV.storeBytes(of: second, toByteOffset: offset, as: SIMD16<Float>.self)
      rawTheta.storeBytes(
        of: parameter - stepSize * first / denominator, toByteOffset: offset,
        as: SIMD16<Float>.self)
      i += 16
    }
    // The tail, with the same arithmetic one lane at a time.
    while i < range.upperBound {
      let gradient = g[i] * scale
      m[i] = beta1 * m[i] + oneMinusBeta1 * gradient
      v[i] = beta2 * v[i] + oneMinusBeta2 * gradient * gradient
      theta[i] -= stepSize * m[i] / ((v[i] * secondCorrection).squareRoot() + epsilon)
      i += 1
    }
  }
}
