// Layer normalisation over the last dimension (Ba, Kiros & Hinton, 2016), as PyTorch's
// `nn.LayerNorm(D, eps)`: biased variance, eps inside the square root.
//
// Pointer level (rows N, width D):
//   layerNormForward(x, residual:, gamma:, beta:, into: y, mean:, rstd:, rows:, width:, epsilon:)
//       writes y [N, D] (of x + residual when given) and the caches mean [N], rstd [N] that the
//       backward reads.
//   layerNormBackwardInput(outputGradient:, input:, gamma:, mean:, rstd:, into: dx, rows:, width:, accumulate:)
//   layerNormBackwardGamma(outputGradient:, input:, mean:, rstd:, into: dgamma, rows:, width:, accumulate:)
//   dbeta is columnSums(dy, rows:, columns:, into: dbeta, accumulate:) (Reductions.swift).
// Tensor level: layerNorm(x, gamma:, beta:, epsilon:) -> LayerNormOutput (output, mean, rstd);
//   layerNorm(x, adding: residual, gamma:, beta:, epsilon:) -> LayerNorm(x + residual), inference;
//   layerNormBackwardInput(…into: &dx…), layerNormBackwardGamma(…into: &dgamma…).
// Reference: layerNormForwardReference, in Double.
//
// The three gradients are separate calls, each with its own `accumulate`, because an autograd
// may hold an existing gradient for x (the residual stream) but not yet for gamma, or the reverse.
// dx is parallel over rows; dgamma over column blocks, adding the rows in order: deterministic.

/// y = (x − mean)·rstd·gamma + beta per row, rstd = 1/√(var + epsilon), var the biased variance.
/// With `residual`, the rows normalised are `x + residual` (a post-norm sublayer connection's
/// `LayerNorm(x + Sublayer(x))`): each row's sum is written to y and normalised there while it
/// is in L1, the same numbers as `vectorAdd` then the layer norm, without the pass between.
///
/// - Parameters:
///   - x: `[N, D]`.
///   - residual: `[N, D]` added to x first, or nil.
///   - gamma, beta: `[D]`.
///   - y: `[N, D]`, overwritten; may be `x` (or `residual`).
///   - mean, rstd: `[N]`, overwritten: the caches for the backward.
public func layerNormForward(
  _ x: UnsafePointer<Float>, residual: UnsafePointer<Float>? = nil, gamma: UnsafePointer<Float>,
  beta: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
  mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
  rows: Int, width: Int, epsilon: Float = 1e-5
) {
  parallelForRanges(rows, minimumPerThread: Parallel.minimumRows(width: width)) { range in
    for r in range {
      let yr = y + r * width
      var xr = x + r * width
      if let residual {
        VectorMath.map(xr, residual + r * width, yr, 0..<width) { $0 + $1 }
        xr = UnsafePointer(yr)
      }
      let mu = VectorMath.sum(xr, 0..<width) { v, _ in v } / Float(width)
      // Two passes (mean, then squared deviations): stable when |mean| ≫ standard deviation.
      let variance =
        VectorMath.sum(xr, 0..<width) { v, lanes in
          let d = v - mu
          return lanes == 16
            ? d * d : (d * d).replacing(with: 0, where: VectorMath.lanesPast(lanes))
        } / Float(width)
      let inverse = 1 / (variance + epsilon).squareRoot()
      mean[r] = mu
      rstd[r] = inverse
      VectorMath.map(xr, gamma, beta, yr, 0..<width) { v, g, b in (v - mu) * inverse * g + b }
    }
  }
}

/// The gradient of the layer norm's input:
/// `dx (+)= rstd · (g − mean(g) − x̂ · mean(g ⊙ x̂))` per row, with g = dy ⊙ gamma and
/// x̂ = (x − mean)·rstd.
///
/// - Parameters:
///   - dy, x, dx: `[N, D]`; `dx` is added to when `accumulate`, else overwritten.
///   - gamma: `[D]`.
///   - mean, rstd: `[N]`, the forward's caches.
public func layerNormBackwardInput(
  outputGradient dy: UnsafePointer<Float>, input x: UnsafePointer<Float>,
  gamma: UnsafePointer<Float>,
  mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>,
  rows: Int, width: Int, accumulate: Bool
) {
  parallelForRanges(rows, minimumPerThread: Parallel.minimumRows(width: width)) { range in
    for r in range {
      let offset = r * width
      let xr = x + offset
      let dyr = dy + offset
      let dxr = dx + offset
      let mu = mean[r]
      let inverse = rstd[r]
      var gLanes = SIMD16<Float>()
      var gxLanes = SIMD16<Float>()
      var c = 0
      while c < width {
        let lanes = Swift.min(16, width - c)
        let g = VectorMath.load(dyr, c, count: lanes) * VectorMath.load(gamma, c, count: lanes)
        // Lanes past the row are 0 in g, so they add nothing to either sum.
        let normalized = (VectorMath.load(xr, c, count: lanes) - mu) * inverse
        gLanes += g
        gxLanes += g * normalized
        c += 16
      }
      let meanG = VectorMath.horizontalSum(gLanes) / Float(width)
      let meanGX = VectorMath.horizontalSum(gxLanes) / Float(width)
      if accumulate {
        VectorMath.map(dyr, xr, gamma, dxr, dxr, 0..<width) { dyv, xv, g, old in
          old + inverse * (dyv * g - meanG - (xv - mu) * inverse * meanGX)
        }
      } else {
        VectorMath.map(dyr, xr, gamma, dxr, 0..<width) { dyv, xv, g in
          inverse * (dyv * g - meanG - (xv - mu) * inverse * meanGX)
        }
      }
    }
  }
}

/// The gradient of gamma: `dgamma[c] (+)= Σ_r dy[r, c] · (x[r, c] − mean[r]) · rstd[r]`.
///
/// - Parameters:
///   - dy, x: `[N, D]`.
///   - mean, rstd: `[N]`, the forward's caches.
///   - dgamma: `[D]`, added to when `accumulate`, else overwritten.
public func layerNormBackwardGamma(
  outputGradient dy: UnsafePointer<Float>, input x: UnsafePointer<Float>,
  mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, into dgamma: UnsafeMutablePointer<Float>,
  rows: Int, width: Int, accumulate: Bool
) {
  let columnBlocks = (width + 15) / 16
  let grain = Swift.max(1, VectorMath.elementwiseGrain / Swift.max(1, rows * 16))
  parallelForRanges(columnBlocks, minimumPerThread: grain) { blockRange in
    for block in blockRange {
      let c = block * 16
      let lanes = Swift.min(16, width - c)
      var total = SIMD16<Float>()
      for r in 0..<rows {
        let offset = r * width + c
        total +=
          VectorMath.load(dy, offset, count: lanes)
          * ((VectorMath.load(x, offset, count: lanes) - mean[r]) * rstd[r])
      }
      if accumulate { total += VectorMath.load(dgamma, c, count: lanes) }
      VectorMath.store(total, dgamma, c, count: lanes)
    }
  }
}

/// The reference layer norm in `Double`, one element at a time; same contract as `layerNormForward`.
public func layerNormForwardReference(
  _ x: UnsafePointer<Float>, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
  into y: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>,
  rstd: UnsafeMutablePointer<Float>,
  rows: Int, width: Int, epsilon: Float = 1e-5
) {
  for r in 0..<rows {
    let row = (0..<width).map { Double(x[r * width + $0]) }
    let mu = row.reduce(0, +) / Double(width)
    let variance = row.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / Double(width)
    let inverse = 1 / (variance + Double(epsilon)).squareRoot()
    mean[r] = Float(mu)
    rstd[r] = Float(inverse)
    for c in 0..<width {
      y[r * width + c] = Float((row[c] - mu) * inverse * Double(gamma[c]) + Double(beta[c]))
    }
  }
}

/// A layer norm's output and the caches its backward needs.
public struct LayerNormOutput {
  /// `[…, D]`, the shape of the input.
  public var output: Tensor
  /// `[N]` with N the product of the leading dimensions: each row's mean.
  public var mean: Tensor
  /// `[N]`: each row's 1/√(var + eps).
  public var rstd: Tensor
}

/// Layer norm over the last dimension of `x` (`[…, D]`) with `gamma`, `beta` (`[D]`).
public func layerNorm(_ x: Tensor, gamma: Tensor, beta: Tensor, epsilon: Float = 1e-5)
  -> LayerNormOutput
{
  let (rows, width) = layerNormSizes(x, gamma, "layerNorm")
  kernelPrecondition(
    beta.shape == [width], "layerNorm: beta \(beta.shape) must be [\(width)] for input \(x.shape)")
  var y = Tensor(uninitializedShape: x.shape)
  var mean = Tensor(uninitializedShape: [rows])
  var rstd = Tensor(uninitializedShape: [rows])
  y.withUnsafeMutableBufferPointer { py in
    mean.withUnsafeMutableBufferPointer { pm in
      rstd.withUnsafeMutableBufferPointer { pr in
        layerNormForward(
          x.storage.pointer, gamma: gamma.storage.pointer, beta: beta.storage.pointer,
          into: py.baseAddress!,
          mean: pm.baseAddress!, rstd: pr.baseAddress!, rows: rows, width: width, epsilon: epsilon)
      }
    }
  }
  return LayerNormOutput(output: y, mean: mean, rstd: rstd)
}

/// `layerNorm(x + residual)` for inference, the sum never written as a tensor of its own (see
/// the pointer form); the caches are not kept.
///
/// - Parameters:
///   - x, residual: `[…, D]`, the same shape.
///   - gamma, beta: `[D]`.
/// - Returns: `[…, D]`.
public func layerNorm(
  _ x: Tensor, adding residual: Tensor, gamma: Tensor, beta: Tensor, epsilon: Float = 1e-5
) -> Tensor {
  let (rows, width) = layerNormSizes(x, gamma, "layerNorm")
  kernelPrecondition(
    beta.shape == [width] && residual.shape == x.shape,
    "layerNorm: beta \(beta.shape) must be [\(width)] and the residual \(residual.shape) "
      + "the input's shape \(x.shape)")
  var y = Tensor(uninitializedShape: x.shape)
  withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * Swift.max(1, rows)) { caches in
    y.withUnsafeMutableBufferPointer { py in
      layerNormForward(
        x.storage.pointer, residual: residual.storage.pointer, gamma: gamma.storage.pointer,
        beta: beta.storage.pointer, into: py.baseAddress!, mean: caches.baseAddress!,
        rstd: caches.baseAddress! + rows, rows: rows, width: width, epsilon: epsilon)
    }
  }
  return y
}

/// `inputGradient (+)=` the gradient of the layer norm's input (see the pointer form).
public func layerNormBackwardInput(
  outputGradient: Tensor, input: Tensor, gamma: Tensor, mean: Tensor, rstd: Tensor,
  into inputGradient: inout Tensor, accumulate: Bool
) {
  let (rows, width) = layerNormSizes(input, gamma, "layerNormBackwardInput")
  kernelPrecondition(
    outputGradient.shape == input.shape && inputGradient.shape == input.shape
      && mean.shape == [rows]
      && rstd.shape == [rows],
    "layerNormBackwardInput: output gradient \(outputGradient.shape), input gradient \(inputGradient.shape), "
      + "mean \(mean.shape), rstd \(rstd.shape) do not fit input \(input.shape)")
  inputGradient.withUnsafeMutableBufferPointer { dx in
    layerNormBackwardInput(
      outputGradient: outputGradient.storage.pointer, input: input.storage.pointer,
      gamma: gamma.storage.pointer,
      mean: mean.storage.pointer, rstd: rstd.storage.pointer, into: dx.baseAddress!, rows: rows,
      width: width,
      accumulate: accumulate)
  }
}

/// `gammaGradient (+)=` Σ over rows of dy ⊙ x̂ (see the pointer form). The gradient of beta is
/// `columnSums(of: outputGradient, into: &betaGradient, accumulate:)`.
public func layerNormBackwardGamma(
  outputGradient: Tensor, input: Tensor, mean: Tensor, rstd: Tensor,
  into gammaGradient: inout Tensor,
  accumulate: Bool
) {
  let (rows, width) = layerNormSizes(input, gammaGradient, "layerNormBackwardGamma")
  kernelPrecondition(
    outputGradient.shape == input.shape && mean.shape == [rows] && rstd.shape == [rows],
    "layerNormBackwardGamma: output gradient \(outputGradient.shape), mean \(mean.shape), rstd \(rstd.shape) "
      + "do not fit input \(input.shape)")
  gammaGradient.withUnsafeMutableBufferPointer { dgamma in
    layerNormBackwardGamma(
      outputGradient: outputGradient.storage.pointer, input: input.storage.pointer,
      mean: mean.storage.pointer,
      rstd: rstd.storage.pointer, into: dgamma.baseAddress!, rows: rows, width: width,
      accumulate: accumulate)
  }
}

/// Rows N and width D of `x` (`[…, D]`), checking that `vector` is `[D]`.
private func layerNormSizes(_ x: Tensor, _ vector: Tensor, _ name: String) -> (
  rows: Int, width: Int
) {
  kernelPrecondition(x.rank >= 1, "\(name): input needs rank ≥ 1, got \(x.shape)")
  let width = x.shape[x.rank - 1]
  kernelPrecondition(
    vector.shape == [width],
    "\(name): gamma \(vector.shape) must be [\(width)] for input \(x.shape)")
  return (width == 0 ? 0 : x.count / width, width)
}
