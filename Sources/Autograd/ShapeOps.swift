import Tensors

extension Variable {
  /// The same elements viewed with another shape of the same element count (no copy).
  public func reshaped(_ shape: [Int]) -> Variable {
    let value = self.value.reshaped(shape)
    guard let tape = Tape.active(self), let dx = cell else { return Variable(value) }
    let inputShape = self.shape
    return tape.append("reshape", value) { g in
      dx.accumulate(g.reshaped(inputShape), from: "reshape")
    }
  }
}

/// Splits the model width into heads: `[B, T, H·K] → [B, H, T, K]` (Vaswani et al. §3.2.2).
public func splitHeads(_ x: Variable, heads: Int) -> Variable {
  let value = splitHeads(x.value, heads: heads)  // [B, H, T, K]
  guard let tape = Tape.active(x), let dx = x.cell else { return Variable(value) }
  // Moving the elements back is the merge.
  return tape.append("splitHeads", value) { g in
    dx.update(from: "splitHeads") { dx, accumulate in
      mergeHeads(g, into: &dx, accumulate: accumulate)
    }
  }
}

/// Concatenates the heads again: `[B, H, T, K] → [B, T, H·K]`.
public func mergeHeads(_ x: Variable) -> Variable {
  let value = mergeHeads(x.value)  // [B, T, H·K]
  guard let tape = Tape.active(x), let dx = x.cell else { return Variable(value) }
  let heads = x.shape[1]
  return tape.append("mergeHeads", value) { g in
    dx.update(from: "mergeHeads") { dx, accumulate in
      splitHeads(g, heads: heads, into: &dx, accumulate: accumulate)
    }
  }
}
