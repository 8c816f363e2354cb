import Tensors

/// An affine map on the last dimension, `y = x·W + b`, recorded as one operation.
///
/// The same value and gradients as `matmul(x, weight) + bias`, bit for bit, without the second
/// node: the forward adds the bias in place to the product (no second `[…, out]` tensor), and
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
  var value = matmul(x.value, weight.value)  // [B, T, out]
  value.addRowVector(bias.value)  // unique, so in place
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
