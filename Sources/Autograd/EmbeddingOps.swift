import Tensors

/// Looks up the rows of `table` at `ids`, times `scale` (√D in the Transformer, Vaswani et al.
/// §3.4).
///
/// The backward scatter-adds the output gradient into the table's gradient, so an id that
/// occurs several times receives the sum of its rows' gradients, and a table shared by the
/// encoder input, the decoder input and the output projection accumulates all three.
///
/// - Parameters:
///   - table: `[V, D]`.
///   - ids: the token ids, row-major over `shape`, each in `0..<V`.
///   - shape: the shape of the ids, e.g. `[B, T]`; `[ids.count]` when nil.
///   - scale: multiplies every looked-up row.
/// - Returns: `shape + [D]`, e.g. `[B, T, D]`.
public func embedding(_ table: Variable, ids: [Int], shape: [Int]? = nil, scale: Float = 1)
  -> Variable
{
  precondition(table.value.rank == 2, "embedding: the table must be [V, D], got \(table.shape)")
  let idShape = shape ?? [ids.count]
  precondition(
    Tensor.elementCount(idShape) == ids.count,
    "embedding: \(ids.count) ids do not fill the shape \(idShape)")
  let value = embedding(table.value, ids: ids, scale: scale).reshaped(idShape + [table.shape[1]])
  guard let tape = Tape.active(table), let dTable = table.cell else { return Variable(value) }
  // Only the ids are kept.
  return tape.append("embedding", value) { g in
    dTable.update(from: "embedding") { dTable, accumulate in
      embeddingBackward(
        outputGradient: g, ids: ids, scale: scale, into: &dTable, accumulate: accumulate)
    }
  }
}
