// Element-wise arithmetic: the forward and backward workhorses of residual connections, biases,
// scaling and gradient accumulation.
//
// Pointer level (any output may alias an input of the same index range; `count` elements):
//   vectorAdd(a, b, into: y, count:)            y = a + b
//   vectorSubtract(a, b, into: y, count:)       y = a − b
//   vectorMultiply(a, b, into: y, count:)       y = a ⊙ b
//   vectorScale(x, by: α, into: y, count:)      y = α·x
//   vectorAccumulate(x, into: y, count:)        y += x
//   vectorAddScaled(x, scale: α, to: y, count:) y += α·x        (axpy)
//   vectorAddProduct(a, b, to: y, count:)       y += a ⊙ b      (the backward of a product)
//   vectorFill(y, with: v, count:)              y = v
//   vectorAddRowVector(x, v, into: y, rows:, columns:)   y[r, c] = x[r, c] + v[c]   (bias)
// Tensor level: a + b, a − b, a * b (element-wise, equal shapes), α * a, a * α, a += b, a −= b,
//   a *= α, a.addScaled(x, scale:), a.fill(with:), a.addingRowVector(v), a.addRowVector(v),
//   addInPlace(&a, b)  (a += b, for gradient accumulation).
// `vectorAddReference` is the scalar reference used by the tests for the whole family.

/// `y = a + b` over `count` elements.
public func vectorAdd(
  _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
  count: Int
) {
  VectorMath.forEachRange(count) { range in VectorMath.map(a, b, y, range) { $0 + $1 } }
}

/// `y = a − b` over `count` elements.
public func vectorSubtract(
  _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
  count: Int
) {
  VectorMath.forEachRange(count) { range in VectorMath.map(a, b, y, range) { $0 - $1 } }
}

/// `y = a ⊙ b` (element-wise product) over `count` elements.
public func vectorMultiply(
  _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
  count: Int
) {
  VectorMath.forEachRange(count) { range in VectorMath.map(a, b, y, range) { $0 * $1 } }
}

/// `y = alpha · x` over `count` elements; `y` may be `x`.
public func vectorScale(
  _ x: UnsafePointer<Float>, by alpha: Float, into y: UnsafeMutablePointer<Float>, count: Int
) {
  VectorMath.forEachRange(count) { range in VectorMath.map(x, y, range) { $0 * alpha } }
}

/// `y += x` over `count` elements: gradient accumulation.
public func vectorAccumulate(
  _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int
) {
  VectorMath.forEachRange(count) { range in VectorMath.map(x, y, y, range) { $1 + $0 } }
}

/// `y += alpha · x` over `count` elements (BLAS axpy).
public func vectorAddScaled(
  _ x: UnsafePointer<Float>, scale alpha: Float, to y: UnsafeMutablePointer<Float>, count: Int
) {
  VectorMath.forEachRange(count) { range in VectorMath.map(x, y, y, range) { $1 + alpha * $0 } }
}

/// `y += a ⊙ b` over `count` elements: the backward of `a ⊙ b` with respect to either operand.
public func vectorAddProduct(
  _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, to y: UnsafeMutablePointer<Float>,
  count: Int
) {
  VectorMath.forEachRange(count) { range in VectorMath.map(a, b, y, y, range) { $2 + $0 * $1 } }
}

/// `y = value` over `count` elements.
public func vectorFill(_ y: UnsafeMutablePointer<Float>, with value: Float, count: Int) {
  VectorMath.forEachRange(count) { range in
    y.advanced(by: range.lowerBound).update(repeating: value, count: range.count)
  }
}

/// `y[r, c] = x[r, c] + v[c]`: a bias `[D]` broadcast over the rows of `[N, D]`; `y` may be `x`.
///
/// The backward with respect to `v` is `columnSums` (Reductions.swift).
public func vectorAddRowVector(
  _ x: UnsafePointer<Float>, _ v: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
  rows: Int, columns: Int
) {
  let grain = Swift.max(1, VectorMath.elementwiseGrain / Swift.max(1, columns))
  parallelForRanges(rows, minimumPerThread: grain) { rowRange in
    for r in rowRange {
      let offset = r * columns
      VectorMath.map(x + offset, v, y + offset, 0..<columns) { $0 + $1 }
    }
  }
}

/// The scalar reference for the element-wise family: `y[i] = op(a[i], b[i])`, one element at a time.
public func vectorMapReference(
  _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
  count: Int,
  _ op: (Float, Float) -> Float
) {
  for i in 0..<count { y[i] = op(a[i], b[i]) }
}

/// `y += x` element-wise (gradient accumulation); the shapes must be equal. The same as `y += x`.
public func addInPlace(_ y: inout Tensor, _ x: Tensor) {
  y += x
}

extension Tensor {
  /// Element-wise `a + b`; the shapes must be equal.
  public static func + (a: Tensor, b: Tensor) -> Tensor {
    a.elementwise(b, "+", vectorAdd)
  }

  /// Element-wise `a − b`; the shapes must be equal.
  public static func - (a: Tensor, b: Tensor) -> Tensor {
    a.elementwise(b, "-", vectorSubtract)
  }

  /// Element-wise (Hadamard) product `a ⊙ b`, not a matrix product; the shapes must be equal.
  public static func * (a: Tensor, b: Tensor) -> Tensor {
    a.elementwise(b, "*", vectorMultiply)
  }

  /// Every element multiplied by `alpha`.
  public static func * (alpha: Float, a: Tensor) -> Tensor {
    var result = Tensor(uninitializedShape: a.shape)
    result.withUnsafeMutableBufferPointer { y in
      vectorScale(a.storage.pointer, by: alpha, into: y.baseAddress!, count: a.count)
    }
    return result
  }

  /// Every element multiplied by `alpha`.
  public static func * (a: Tensor, alpha: Float) -> Tensor { alpha * a }

  /// `a += b` element-wise; the shapes must be equal.
  public static func += (a: inout Tensor, b: Tensor) {
    a.checkSameShape(b, "+=")
    let pb = b.storage.pointer
    a.withUnsafeMutableBufferPointer { y in
      vectorAccumulate(pb, into: y.baseAddress!, count: y.count)
    }
  }

  /// `a −= b` element-wise; the shapes must be equal.
  public static func -= (a: inout Tensor, b: Tensor) {
    a.addScaled(b, scale: -1)
  }

  /// `a *= alpha` for every element.
  public static func *= (a: inout Tensor, alpha: Float) {
    a.withUnsafeMutableBufferPointer { y in
      vectorScale(y.baseAddress!, by: alpha, into: y.baseAddress!, count: y.count)
    }
  }

  /// `self += scale · x` (axpy); the shapes must be equal.
  public mutating func addScaled(_ x: Tensor, scale: Float) {
    checkSameShape(x, "addScaled")
    let px = x.storage.pointer
    withUnsafeMutableBufferPointer { y in
      vectorAddScaled(px, scale: scale, to: y.baseAddress!, count: y.count)
    }
  }

  /// Sets every element to `value`.
  public mutating func fill(with value: Float) {
    withUnsafeMutableBufferPointer { y in vectorFill(y.baseAddress!, with: value, count: y.count) }
  }

  /// `self + v` with the vector `v` (`[D]`) added to every row of the last dimension (`[…, D]`).
  public func addingRowVector(_ v: Tensor) -> Tensor {
    let columns = checkRowVector(v, "addingRowVector")
    var result = Tensor(uninitializedShape: shape)
    result.withUnsafeMutableBufferPointer { y in
      vectorAddRowVector(
        storage.pointer, v.storage.pointer, into: y.baseAddress!,
        rows: count / Swift.max(1, columns),
        columns: columns)
    }
    return result
  }

  /// Adds the vector `v` (`[D]`) to every row of the last dimension (`[…, D]`), in place.
  public mutating func addRowVector(_ v: Tensor) {
    let columns = checkRowVector(v, "addRowVector")
    let pv = v.storage.pointer
    withUnsafeMutableBufferPointer { y in
      vectorAddRowVector(
        y.baseAddress!, pv, into: y.baseAddress!, rows: y.count / Swift.max(1, columns),
        columns: columns)
    }
  }

  private func elementwise(
    _ b: Tensor, _ name: String,
    _ kernel: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void
  ) -> Tensor {
    checkSameShape(b, name)
    var result = Tensor(uninitializedShape: shape)
    result.withUnsafeMutableBufferPointer { y in
      kernel(storage.pointer, b.storage.pointer, y.baseAddress!, count)
    }
    return result
  }

  func checkSameShape(_ other: Tensor, _ name: String) {
    kernelPrecondition(shape == other.shape, "\(name): shapes differ: \(shape) and \(other.shape)")
  }

  /// The width D of a row vector `v` that matches this tensor's last dimension.
  private func checkRowVector(_ v: Tensor, _ name: String) -> Int {
    kernelPrecondition(
      rank >= 1 && v.shape == [shape[rank - 1]],
      "\(name): the vector's shape \(v.shape) must be [last dimension] of \(shape)")
    return shape[rank - 1]
  }
}
