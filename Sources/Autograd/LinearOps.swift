import Tensors

/// An affine map on the last dimension, `y = x·W + b`, recorded as one operation.
///
/// The same value and gradients as `matmul(x, weight) + bias`, bit for bit, without the second
/// node: the product adds the bias as it stores its output (no pass over `[…, out]`), and
/// the backward writes `dx = dy·Wᵀ` and `dW = xᵀ·dy` as `matmul` does and the column sums of
/// `dy` into `db`.
///
/// - Parameters:
///   - x: `[…, in]`, rank ≥ 2, e.g. `[B, T, D]`.
///   - weight: `[in, out]`.
///   - bias: `[out]`, or nil for no bias.
/// - Returns: `[…, out]`.
public func linear(_ x: Variable, weight: Variable, bias: Variable?) -> Variable {
  guard let bias else { return matmul(x, weight) }
  precondition(
    weight.shape.count == 2 && bias.shape == [weight.shape[1]],
    "linear: bias \(bias.shape) must be [out] of weight \(weight.shape)")
  let value = matmul(x.value, weight.value, bias: bias.value)  // [B, T, out]
  guard let tape = Tape.active(x, weight, bias) else { return Variable(value) }
  let product = MatmulPullback(
    a: weight.cell == nil ? nil : x.value, b: x.cell == nil ? nil : weight.value,
    transposeA: false, transposeB: false, alpha: 1)
  let (dx, dWeight, dBias) = (x.cell, weight.cell, bias.cell)
  return tape.append("linear", value) { g in
    // y = P + b with P = x·W: dP = dy, so the product's pullback gets g as it is, and the bias,
    // broadcast over every row, gets the sum of the rows of g.
    if let dBias {
      dBias.update(from: "linear") { db, accumulate in
        columnSums(of: g, into: &db, accumulate: accumulate)
      }
    }
    product.backward(g, dx, dWeight)
  }
}

/// `max(x·W + b, 0)`: an affine map and ReLU recorded as one operation, the inner layer of the
/// feed-forward network (Vaswani et al. §3.3).
///
/// The same value and gradients as `relu(linear(x, weight:, bias:))`, bit for bit, with one
/// pass less over the `[…, out]` output: the product applies the bias and the clamp as it stores
/// its output, and the backward masks the output gradient where the output is 0 (exactly where the
/// sum was ≤ 0) before the product's pullback. It keeps the output, which the next layer reads
/// and keeps anyway, instead of a second tensor for the sum.
///
/// - Parameters:
///   - x: `[…, in]`, rank ≥ 2, e.g. `[B, T, D]`.
///   - weight: `[in, out]`.
///   - bias: `[out]`.
/// - Returns: `[…, out]`.
public func linearReLU(_ x: Variable, weight: Variable, bias: Variable) -> Variable {
  precondition(
    weight.shape.count == 2 && bias.shape == [weight.shape[1]],
    "linearReLU: bias \(bias.shape) must be [out] of weight \(weight.shape)")
  let value = matmul(x.value, weight.value, bias: bias.value, relu: true)  // [B, T, out]
  guard let tape = Tape.active(x, weight, bias) else { return Variable(value) }
  let product = MatmulPullback(
    a: weight.cell == nil ? nil : x.value, b: x.cell == nil ? nil : weight.value,
    transposeA: false, transposeB: false, alpha: 1)
  let (dx, dWeight, dBias) = (x.cell, weight.cell, bias.cell)
  let output = value  // [B, T, out]
  return tape.append("linearReLU", value) { g in
    // y = max(s, 0) with s = x·W + b: ds = dy where y > 0, else 0 (the subgradient 0 at 0).
    var masked = Tensor(uninitializedShape: g.shape)  // [B, T, out]
    reluBackward(input: output, outputGradient: g, into: &masked, accumulate: false)
    if let dBias {
      dBias.update(from: "linearReLU") { db, accumulate in
        columnSums(of: masked, into: &db, accumulate: accumulate)
      }
    }
    product.backward(masked, dx, dWeight)
  }
}
