import Tensors

/// ReLU, `max(x, 0)`, of every element. The backward keeps the input (the gradient is 0 at 0).
public func relu(_ x: Variable) -> Variable {
  let value = relu(x.value)
  guard let tape = Tape.active(x), let dx = x.cell else { return Variable(value) }
  let input = x.value
  return tape.append("relu", value) { g in
    dx.update(from: "relu") { dx, accumulate in
      reluBackward(input: input, outputGradient: g, into: &dx, accumulate: accumulate)
    }
  }
}

/// The exact GELU, `x·Φ(x)`, of every element (Hendrycks & Gimpel, 2016). The backward keeps
/// the input.
public func gelu(_ x: Variable) -> Variable {
  let value = gelu(x.value)
  guard let tape = Tape.active(x), let dx = x.cell else { return Variable(value) }
  let input = x.value
  return tape.append("gelu", value) { g in
    dx.update(from: "gelu") { dx, accumulate in
      geluBackward(input: input, outputGradient: g, into: &dx, accumulate: accumulate)
    }
  }
}
