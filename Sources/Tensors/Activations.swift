// Activation functions of the feed-forward block, forward and backward.
//
// Pointer level (`count` elements; `y` may be `x`):
//   reluForward(x, into: y, count:)                                          y = max(x, 0)
//   reluBackward(input: x, outputGradient: dy, into: dx, count:, accumulate:) dx (+)= dy·[x > 0]
//   geluForward(x, into: y, count:)                                          y = x·Φ(x)
//   geluBackward(input: x, outputGradient: dy, into: dx, count:, accumulate:) dx (+)= dy·(Φ(x) + x·φ(x))
//   biasReLUForward(x, bias:, into: y, rows:, columns:)                      y[r, c] = max(x[r, c] + b[c], 0)
// Tensor level: relu(x), gelu(x), reluBackward(input:outputGradient:into:accumulate:),
//   geluBackward(input:outputGradient:into:accumulate:). (A linear layer's bias and ReLU are
//   applied by its product: matmul(x, w, bias:, relu:).)
// References (Double): reluReference(_:), geluReference(_:), geluDerivativeReference(_:).
//
// Backward kernels read the forward *input* `x` (keep it, not the output). With `accumulate`
// they add into `dx`; without, they overwrite it (it may be uninitialised).

import Foundation

/// ReLU: `y = max(x, 0)`.
public func reluForward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int)
{
  VectorMath.forEachRange(count) { range in
    VectorMath.map(x, y, range) { v in v.replacing(with: 0, where: v .< 0) }
  }
}

/// ReLU backward: `dx (+)= dy` where `x > 0`, else `dx (+)= 0` (the subgradient 0 at x = 0).
/// - Parameters:
///   - x: the forward input.
///   - dy: the gradient of the output.
///   - dx: the gradient of the input, added to when `accumulate`, else overwritten.
public func reluBackward(
  input x: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
  into dx: UnsafeMutablePointer<Float>,
  count: Int, accumulate: Bool
) {
  VectorMath.forEachRange(count) { range in
    if accumulate {
      VectorMath.map(x, dy, dx, dx, range) { x, g, old in old + g.replacing(with: 0, where: x .<= 0)
      }
    } else {
      VectorMath.map(x, dy, dx, range) { x, g in g.replacing(with: 0, where: x .<= 0) }
    }
  }
}

/// The bias of a linear layer and ReLU in one pass: `y[r, c] = max(x[r, c] + b[c], 0)` over a
/// row-major `[rows, columns]` matrix; `y` may be `x`.
///
/// The same bits as `vectorAddRowVector` followed by `reluForward` (the sum is rounded, then
/// clamped), with one read and one write of the matrix fewer: the feed-forward network's
/// `[B·T, F]` hidden layer (Vaswani et al. §3.3).
public func biasReLUForward(
  _ x: UnsafePointer<Float>, bias: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
  rows: Int, columns: Int
) {
  let grain = Swift.max(1, VectorMath.elementwiseGrain / Swift.max(1, columns))
  parallelForRanges(rows, minimumPerThread: grain) { rowRange in
    for r in rowRange {
      let offset = r * columns
      VectorMath.map(x + offset, bias, y + offset, 0..<columns) { v, b in
        let sum = v + b
        return sum.replacing(with: 0, where: sum .< 0)
      }
    }
  }
}

/// GELU, the exact form `y = x·Φ(x) = ½·x·(1 + erf(x/√2))` (Hendrycks & Gimpel, 2016), as
/// PyTorch's default `nn.GELU()` (`approximate='none'`), not the tanh approximation.
///
/// Φ is evaluated through a vectorised erfc with relative error ≈ 1e-7, so the result agrees with
/// the exact function to within a few ulp, including the far negative tail.
public func geluForward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int)
{
  VectorMath.forEachRange(count) { range in
    VectorMath.map(x, y, range) { v in v * VectorMath.normalCDF(v) }
  }
}

/// GELU backward: `dx (+)= dy · (Φ(x) + x·φ(x))`, φ(x) = e^(−x²/2)/√(2π) the normal density.
/// - Parameters:
///   - x: the forward input.
///   - dy: the gradient of the output.
///   - dx: the gradient of the input, added to when `accumulate`, else overwritten.
public func geluBackward(
  input x: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
  into dx: UnsafeMutablePointer<Float>,
  count: Int, accumulate: Bool
) {
  VectorMath.forEachRange(count) { range in
    if accumulate {
      VectorMath.map(x, dy, dx, dx, range) { x, g, old in old + g * geluDerivative(x) }
    } else {
      VectorMath.map(x, dy, dx, range) { x, g in g * geluDerivative(x) }
    }
  }
}

/// d GELU / dx = Φ(x) + x·φ(x), lane-wise.
@inline(__always)
private func geluDerivative(_ x: SIMD16<Float>) -> SIMD16<Float> {
  let inverseSquareRootTwoPi: Float = 0.398_942_28
  let density = inverseSquareRootTwoPi * VectorMath.exp(-0.5 * x * x)
  return VectorMath.normalCDF(x) + x * density
}

/// The reference ReLU.
public func reluReference(_ x: Double) -> Double { x > 0 ? x : 0 }

/// The reference exact GELU, `½·x·(1 + erf(x/√2))`, via libm in `Double`.
public func geluReference(_ x: Double) -> Double { 0.5 * x * erfc(-x / 2.0.squareRoot()) }

/// The reference GELU derivative Φ(x) + x·φ(x), in `Double`.
public func geluDerivativeReference(_ x: Double) -> Double {
  0.5 * erfc(-x / 2.0.squareRoot()) + x * exp(-0.5 * x * x) / (2 * Double.pi).squareRoot()
}

/// ReLU of every element.
public func relu(_ x: Tensor) -> Tensor {
  var y = Tensor(uninitializedShape: x.shape)
  y.withUnsafeMutableBufferPointer { out in
    reluForward(x.storage.pointer, into: out.baseAddress!, count: x.count)
  }
  return y
}

/// Exact GELU of every element (see `geluForward`).
public func gelu(_ x: Tensor) -> Tensor {
  var y = Tensor(uninitializedShape: x.shape)
  y.withUnsafeMutableBufferPointer { out in
    geluForward(x.storage.pointer, into: out.baseAddress!, count: x.count)
  }
  return y
}

/// ReLU backward on tensors of one shape: `inputGradient (+)= outputGradient · [input > 0]`.
public func reluBackward(
  input: Tensor, outputGradient: Tensor, into inputGradient: inout Tensor, accumulate: Bool
) {
  checkActivationShapes(input, outputGradient, inputGradient, "reluBackward")
  inputGradient.withUnsafeMutableBufferPointer { dx in
    reluBackward(
      input: input.storage.pointer, outputGradient: outputGradient.storage.pointer,
      into: dx.baseAddress!,
      count: input.count, accumulate: accumulate)
  }
}

/// GELU backward on tensors of one shape: `inputGradient (+)= outputGradient · GELU′(input)`.
public func geluBackward(
  input: Tensor, outputGradient: Tensor, into inputGradient: inout Tensor, accumulate: Bool
) {
  checkActivationShapes(input, outputGradient, inputGradient, "geluBackward")
  inputGradient.withUnsafeMutableBufferPointer { dx in
    geluBackward(
      input: input.storage.pointer, outputGradient: outputGradient.storage.pointer,
      into: dx.baseAddress!,
      count: input.count, accumulate: accumulate)
  }
}

private func checkActivationShapes(_ x: Tensor, _ dy: Tensor, _ dx: Tensor, _ name: String) {
  kernelPrecondition(
    x.shape == dy.shape && x.shape == dx.shape,
    "\(name): input \(x.shape), output gradient \(dy.shape) and input gradient \(dx.shape) must match"
  )
}
