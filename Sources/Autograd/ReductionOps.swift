import Tensors

/// The sum of every element of `x`, a scalar (shape `[]`).
public func sum(_ x: Variable) -> Variable {
  let value = Tensor(shape: [], scalars: [x.value.sum()])
  guard let tape = Tape.active(x), let dx = x.cell else { return Variable(value) }
  // d(Σ x)/dx = 1 for every element: the scalar gradient spread over x's shape.
  return tape.append("sum", value) { g in
    dx.accumulate(Tensor(shape: dx.shape, repeating: g[flat: 0]), from: "sum")
  }
}

/// The mean of every element of `x`, a scalar (shape `[]`).
public func mean(_ x: Variable) -> Variable {
  let value = Tensor(shape: [], scalars: [x.value.mean()])
  guard let tape = Tape.active(x), let dx = x.cell else { return Variable(value) }
  let count = Float(x.count)
  return tape.append("mean", value) { g in
    dx.accumulate(Tensor(shape: dx.shape, repeating: g[flat: 0] / count), from: "mean")
  }
}
