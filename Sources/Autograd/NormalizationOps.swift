import Tensors

/// Layer normalisation over the last dimension (Ba, Kiros & Hinton, 2016), fused:
/// `y = (x − mean)·rstd·gamma + beta` per row, `rstd = 1/√(var + epsilon)`, biased variance.
///
/// The forward keeps only each row's mean and rstd (`[N]`, N the rows) beside the input; the
/// backward computes the three gradients with one kernel each, accumulating.
///
/// - Parameters:
///   - x: `[…, D]`, e.g. the residual stream `[B, T, D]`.
///   - gamma: `[D]`, the gain.
///   - beta: `[D]`, the bias.
/// - Returns: `[…, D]`.
public func layerNorm(_ x: Variable, gamma: Variable, beta: Variable, epsilon: Float = 1e-5)
  -> Variable
{
  let result = layerNorm(x.value, gamma: gamma.value, beta: beta.value, epsilon: epsilon)
  guard let tape = Tape.active(x, gamma, beta) else { return Variable(result.output) }
  // dx reads x, gamma and the caches; dgamma reads x and the caches; dbeta only g.
  let (dx, dGamma, dBeta) = (x.cell, gamma.cell, beta.cell)
  let input = dx != nil || dGamma != nil ? x.value : nil  // [N, D]
  let gain = dx != nil ? gamma.value : nil  // [D]
  let (mean, rstd) = (result.mean, result.rstd)  // [N], [N]
  return tape.append("layerNorm", result.output) { g in
    if let dx, let input, let gain {
      dx.update(from: "layerNorm") { dx, accumulate in
        layerNormBackwardInput(
          outputGradient: g, input: input, gamma: gain, mean: mean, rstd: rstd,
          into: &dx, accumulate: accumulate)
      }
    }
    if let dGamma, let input {
      dGamma.update(from: "layerNorm") { dGamma, accumulate in
        layerNormBackwardGamma(
          outputGradient: g, input: input, mean: mean, rstd: rstd, into: &dGamma,
          accumulate: accumulate)
      }
    }
    // beta is added to every row: its gradient is the column sums of g.
    dBeta?.update(from: "layerNorm") { dBeta, accumulate in
      columnSums(of: g, into: &dBeta, accumulate: accumulate)
    }
  }
}
