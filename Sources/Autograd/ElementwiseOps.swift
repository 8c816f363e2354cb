import Tensors

// Element-wise arithmetic. `+` and `-` broadcast a right operand whose shape is a suffix of the
// left one's (a bias `[D]` over `[B, T, D]`, a positional table `[T, D]` over `[B, T, D]`): the
// right operand is then a row vector of width `b.count` added to every row of `a` viewed as
// `[a.count / b.count, b.count]`, and its gradient is the column sums of the output gradient.

extension Variable {
  /// `a + b`; `b`'s shape equals `a`'s or is a suffix of it (broadcast over the leading
  /// dimensions), or the other way round.
  public static func + (a: Variable, b: Variable) -> Variable {
    if a.shape != b.shape && isSuffix(a.shape, of: b.shape) { return addOrSubtract(b, a, sign: 1) }
    return addOrSubtract(a, b, sign: 1)
  }

  /// `a − b`; `b`'s shape equals `a`'s or is a suffix of it (broadcast over the leading dimensions).
  public static func - (a: Variable, b: Variable) -> Variable {
    addOrSubtract(a, b, sign: -1)
  }

  /// The element-wise (Hadamard) product `a ⊙ b` of two variables of one shape.
  public static func * (a: Variable, b: Variable) -> Variable {
    precondition(a.shape == b.shape, "multiply: shapes differ: \(a.shape) and \(b.shape)")
    let value = a.value * b.value
    guard let tape = Tape.active(a, b) else { return Variable(value) }
    // d(a ⊙ b) = da ⊙ b + a ⊙ db: each operand's gradient is g ⊙ the other operand, so each
    // operand is kept only if the other needs a gradient (b for da, a for db).
    let pairs = [(a.cell, a.cell == nil ? nil : b.value), (b.cell, b.cell == nil ? nil : a.value)]
    return tape.append("multiply", value) { g in
      for case (let cell?, let other?) in pairs {
        cell.update(from: "multiply") { d, accumulate in
          let count = g.count
          d.withUnsafeMutableBufferPointer { d in
            if accumulate {
              vectorAddProduct(
                g.storage.pointer, other.storage.pointer, to: d.baseAddress!, count: count)
            } else {
              vectorMultiply(
                g.storage.pointer, other.storage.pointer, into: d.baseAddress!, count: count)
            }
          }
        }
      }
    }
  }

  /// `alpha · x`.
  public static func * (alpha: Float, x: Variable) -> Variable {
    let value = alpha * x.value
    guard let tape = Tape.active(x), let dx = x.cell else { return Variable(value) }
    return tape.append("scale", value) { g in
      dx.update(from: "scale") { dx, accumulate in
        let count = g.count
        dx.withUnsafeMutableBufferPointer { dx in
          if accumulate {
            vectorAddScaled(g.storage.pointer, scale: alpha, to: dx.baseAddress!, count: count)
          } else {
            vectorScale(g.storage.pointer, by: alpha, into: dx.baseAddress!, count: count)
          }
        }
      }
    }
  }

  /// `x · alpha`.
  public static func * (x: Variable, alpha: Float) -> Variable { alpha * x }

  /// `a + sign·b`, `b` equal in shape to `a` or broadcast over its leading dimensions.
  private static func addOrSubtract(_ a: Variable, _ b: Variable, sign: Float) -> Variable {
    let op: StaticString = sign > 0 ? "add" : "subtract"
    precondition(
      isSuffix(b.shape, of: a.shape),
      "\(op): shape \(b.shape) neither equals nor is a suffix of \(a.shape)")
    let broadcast = a.shape != b.shape
    let columns = b.count
    let value: Tensor
    if !broadcast {
      value = sign > 0 ? a.value + b.value : a.value - b.value
    } else if sign > 0 {
      value = a.value.reshaped([a.count / max(columns, 1), columns])
        .addingRowVector(b.value.reshaped([columns])).reshaped(a.shape)
    } else {
      value = a.value.reshaped([a.count / max(columns, 1), columns])
        .addingRowVector((-1 * b.value).reshaped([columns])).reshaped(a.shape)
    }
    guard let tape = Tape.active(a, b) else { return Variable(value) }
    let (da, db, bShape) = (a.cell, b.cell, b.shape)
    return tape.append(op, value) { g in
      da?.accumulate(g, from: op)
      guard let db else { return }
      if !broadcast && sign > 0 {
        db.accumulate(g, from: op)
        return
      }
      db.update(from: op) { db, accumulate in
        if !broadcast {
          if accumulate { db.addScaled(g, scale: sign) } else { db = sign * g }
          return
        }
        // b was broadcast over the rows of g viewed as [R, b.count]: its gradient sums them.
        let rows = g.reshaped([g.count / max(columns, 1), columns])
        if sign > 0 && bShape == [columns] {
          columnSums(of: rows, into: &db, accumulate: accumulate)
        } else {
          let sums = rows.columnSums().reshaped(bShape)
          if accumulate { db.addScaled(sums, scale: sign) } else { db = sign * sums }
        }
      }
    }
  }
}

/// Whether `suffix` equals the trailing dimensions of `shape`.
private func isSuffix(_ suffix: [Int], of shape: [Int]) -> Bool {
  suffix.count <= shape.count && Array(shape.suffix(suffix.count)) == suffix
}
