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
