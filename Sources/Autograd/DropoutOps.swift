import Tensors

/// Inverted dropout (Srivastava et al., 2014; Vaswani et al. §5.4): each element is zeroed with
/// probability `probability` and the survivors are scaled by 1/(1 − p).
///
/// Outside training, or with p = 0, `x` itself is returned: the identity, nothing recorded and
/// no random draw. In training one seed is drawn from `generator`; the mask is a pure function
/// of that seed, so the backward regenerates it instead of keeping one Float per element.
///
/// - Parameters:
///   - x: any shape.
///   - probability: p in [0, 1).
///   - isTraining: false in evaluation and inference.
///   - generator: supplies the seed; the same generator state gives the same mask.
public func dropout(
  _ x: Variable, probability: Float, isTraining: Bool = true, using generator: inout RandomGenerator
) -> Variable {
  guard isTraining && probability > 0 else { return x }
  let seed = generator.next()
  let count = x.count
  var value = Tensor(uninitializedShape: x.shape)
  value.withUnsafeMutableBufferPointer { y in
    dropoutApply(
      x.value.storage.pointer, into: y.baseAddress!, count: count, probability: probability,
      seed: seed, accumulate: false)
  }
  guard let tape = Tape.active(x), let dx = x.cell else { return Variable(value) }
  return tape.append("dropout", value) { g in
    // dx (+)= g ⊙ mask, the mask made again from the same seed, on the fly.
    dx.update(from: "dropout") { dx, accumulate in
      dx.withUnsafeMutableBufferPointer { d in
        dropoutApply(
          g.storage.pointer, into: d.baseAddress!, count: count, probability: probability,
          seed: seed, accumulate: accumulate)
      }
    }
  }
}

/// `residual + Dropout(x)`: the residual connection around a sub-layer with the sub-layer's
/// dropout (Vaswani et al. §3.1, §5.4), recorded as one operation.
///
/// The same value, gradients and random draw as `residual + dropout(x, …)`, bit for bit, with
/// one pass less over the output and no intermediate tensor: the mask is made on the fly in
/// both directions. Outside training, or with p = 0, this is `residual + x` and draws nothing.
///
/// - Parameters:
///   - x: the sub-layer's output, any shape.
///   - residual: the sub-layer's input, the shape of `x`.
///   - probability: p in [0, 1).
///   - isTraining: false in evaluation and inference.
///   - generator: supplies the mask's one seed.
public func dropoutAdd(
  _ x: Variable, residual: Variable, probability: Float, isTraining: Bool = true,
  using generator: inout RandomGenerator
) -> Variable {
  guard isTraining && probability > 0 else { return residual + x }
  precondition(
    x.shape == residual.shape,
    "dropoutAdd: shapes differ: \(x.shape) and residual \(residual.shape)")
  let seed = generator.next()
  let count = x.count
  var value = Tensor(uninitializedShape: x.shape)
  value.withUnsafeMutableBufferPointer { y in
    dropoutAdd(
      x.value.storage.pointer, residual: residual.value.storage.pointer, into: y.baseAddress!,
      count: count, probability: probability, seed: seed)
  }
  guard let tape = Tape.active(x, residual) else { return Variable(value) }
  let (dx, dResidual) = (x.cell, residual.cell)
  return tape.append("dropoutAdd", value) { g in
    // d residual (+)= g; dx (+)= g ⊙ mask, the mask made again from the same seed.
    dResidual?.accumulate(g, from: "dropoutAdd")
    dx?.update(from: "dropoutAdd") { dx, accumulate in
      dx.withUnsafeMutableBufferPointer { d in
        dropoutApply(
          g.storage.pointer, into: d.baseAddress!, count: count, probability: probability,
          seed: seed, accumulate: accumulate)
      }
    }
  }
}
