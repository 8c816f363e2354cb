import Tensors

/// `alpha · op(a) · op(b)`, recorded, in every form `Tensors.matmul` accepts:
/// - `[M, K] · [K, N] → [M, N]`;
/// - `[…, M, K] · [K, N] → […, M, N]`, a linear layer on `[B, T, D]` (no `transposeA`);
/// - `[…, M, K] · […, K, N] → […, M, N]`, batched over equal leading dimensions (attention).
///
/// `transposeA` means `a` is stored K×M, `transposeB` that `b` is stored N×K.
public func matmul(
  _ a: Variable, _ b: Variable, transposeA: Bool = false, transposeB: Bool = false, alpha: Float = 1
) -> Variable {
  let value = matmul(a.value, b.value, transposeA: transposeA, transposeB: transposeB, alpha: alpha)
  guard let tape = Tape.active(a, b) else { return Variable(value) }
  // dA reads B and dB reads A: keep each operand only if the other one needs a gradient.
  let product = MatmulPullback(
    a: b.cell == nil ? nil : a.value, b: a.cell == nil ? nil : b.value,
    transposeA: transposeA, transposeB: transposeB, alpha: alpha)
  let (da, db) = (a.cell, b.cell)
  return tape.append("matmul", value) { g in product.backward(g, da, db) }
}

/// What the pullback of `C = alpha · op(A) · op(B)` keeps, and the pullback itself.
struct MatmulPullback {
  /// A, kept when B needs a gradient.
  let a: Tensor?
  /// B, kept when A needs a gradient.
  let b: Tensor?
  let transposeA: Bool, transposeB: Bool, alpha: Float

  /// Adds the gradients of A and B for upstream gradient `G` (shape of C):
  ///
  ///     plain      dA = α G Bᵀ        dB = α Aᵀ G
  ///     Aᵀ         dA = α B Gᵀ        dB = α A G
  ///     Bᵀ         dA = α G B         dB = α Gᵀ A
  ///     Aᵀ and Bᵀ  dA = α Bᵀ Gᵀ       dB = α Gᵀ Aᵀ
  ///
  /// Each product is written straight into the input's gradient buffer, accumulating.
  func backward(_ g: Tensor, _ da: GradientCell?, _ db: GradientCell?) {
    if let da, let b {
      da.update(from: "matmul") { da, accumulate in
        if g.rank > 2 && b.rank == 2 {
          // A linear layer: [R, N] · op(B)ᵀ with R the flattened leading dimensions.
          matmul(
            g, b, transposeB: !transposeB, alpha: alpha, into: &da, accumulate: accumulate)
        } else if transposeA {
          matmul(
            b, g, transposeA: transposeB, transposeB: true, alpha: alpha,
            into: &da, accumulate: accumulate)
        } else {
          matmul(
            g, b, transposeA: false, transposeB: !transposeB, alpha: alpha,
            into: &da, accumulate: accumulate)
        }
      }
    }
    if let db, let a {
      db.update(from: "matmul") { db, accumulate in
        // A linear layer's weight gradient sums over every row of A: view A and G as matrices.
        let isLinear = a.rank > 2 && db.rank == 2
        let aMatrix = isLinear ? a.reshaped([a.count / a.shape.last!, a.shape.last!]) : a
        let gMatrix = isLinear ? g.reshaped([g.count / g.shape.last!, g.shape.last!]) : g
        if transposeB {
          matmul(
            gMatrix, aMatrix, transposeA: true, transposeB: transposeA, alpha: alpha,
            into: &db, accumulate: accumulate)
        } else {
          matmul(
            aMatrix, gMatrix, transposeA: !transposeA, transposeB: false, alpha: alpha,
            into: &db, accumulate: accumulate)
        }
      }
    }
  }
}
