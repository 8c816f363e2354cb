// Token embeddings: gather rows of a table [V, D] by token id, and the backward that
// scatter-adds the gradient rows back into the table.
//
// Pointer level:
//   embeddingForward(table:, vocabularySize:, width:, ids:, count:, scale:, into: y)        y [N, D]
//   embeddingBackward(outputGradient:, ids:, count:, vocabularySize:, width:, scale:, into: dTable, accumulate:)
// Tensor level: embedding(table, ids:, scale:) -> [N, D];
//   embeddingBackward(outputGradient:, ids:, scale:, into: &tableGradient, accumulate:).
// References: embeddingForwardReference, embeddingBackwardReference.
//
// The scale is √D in the Transformer (Vaswani et al. §3.4: "we multiply those weights by √d_model").
// The backward is deterministic: threads own disjoint column blocks of the table and visit the ids
// in order, so repeated ids accumulate in the same order on every run, without locks.

/// `y[i, :] = scale · table[ids[i], :]`.
///
/// - Parameters:
///   - table: `[V, D]`.
///   - ids: `[N]`, each in `0..<V` (checked: an id outside traps).
///   - y: `[N, D]`, overwritten.
public func embeddingForward(
  table: UnsafePointer<Float>, vocabularySize: Int, width: Int, ids: UnsafePointer<Int>, count: Int,
  scale: Float = 1, into y: UnsafeMutablePointer<Float>
) {
  checkIds(ids, count: count, vocabularySize: vocabularySize)
  parallelForRanges(
    count, minimumPerThread: Swift.max(1, VectorMath.elementwiseGrain / Swift.max(1, width))
  ) { range in
    for i in range {
      let source = table + ids[i] * width
      if scale == 1 {
        (y + i * width).update(from: source, count: width)
      } else {
        VectorMath.map(source, y + i * width, 0..<width) { $0 * scale }
      }
    }
  }
}

/// `dTable[ids[i], :] += scale · dy[i, :]` for every i in order; with `accumulate == false` the
/// table gradient is first set to zero (rows of ids that do not occur stay 0).
///
/// - Parameters:
///   - dy: `[N, D]`.
///   - ids: `[N]`, each in `0..<V`; repeated ids add up.
///   - dTable: `[V, D]`.
public func embeddingBackward(
  outputGradient dy: UnsafePointer<Float>, ids: UnsafePointer<Int>, count: Int, vocabularySize: Int,
  width: Int, scale: Float = 1, into dTable: UnsafeMutablePointer<Float>, accumulate: Bool
) {
  checkIds(ids, count: count, vocabularySize: vocabularySize)
  if !accumulate { vectorFill(dTable, with: 0, count: vocabularySize * width) }
  let columnBlocks = (width + 15) / 16
  let grain = Swift.max(1, VectorMath.elementwiseGrain / Swift.max(1, count * 16))
  parallelForRanges(columnBlocks, minimumPerThread: grain) { blockRange in
    let start = blockRange.lowerBound * 16
    let end = Swift.min(width, blockRange.upperBound * 16)
    for i in 0..<count {
      let row = dTable + ids[i] * width
      VectorMath.map(dy + i * width, row, row, start..<end) { g, old in old + scale * g }
    }
  }
}

/// Traps unless every id is in `0..<vocabularySize`: an id outside would touch memory outside the table.
private func checkIds(_ ids: UnsafePointer<Int>, count: Int, vocabularySize: Int) {
  for i in 0..<count {
    kernelPrecondition(
      ids[i] >= 0 && ids[i] < vocabularySize,
      "embedding: id \(ids[i]) at position \(i) is outside the vocabulary 0..<\(vocabularySize)")
  }
}

/// The reference gather, one element at a time; same contract as `embeddingForward`.
public func embeddingForwardReference(
  table: UnsafePointer<Float>, vocabularySize: Int, width: Int, ids: UnsafePointer<Int>, count: Int,
  scale: Float = 1, into y: UnsafeMutablePointer<Float>
) {
  for i in 0..<count {
    for c in 0..<width { y[i * width + c] = scale * table[ids[i] * width + c] }
  }
}

/// The reference scatter-add, one element at a time; same contract as `embeddingBackward`.
public func embeddingBackwardReference(
  outputGradient dy: UnsafePointer<Float>, ids: UnsafePointer<Int>, count: Int, vocabularySize: Int,
  width: Int, scale: Float = 1, into dTable: UnsafeMutablePointer<Float>, accumulate: Bool
) {
  if !accumulate { dTable.update(repeating: 0, count: vocabularySize * width) }
  for i in 0..<count {
    for c in 0..<width { dTable[ids[i] * width + c] += scale * dy[i * width + c] }
  }
}

/// The rows of `table` (`[V, D]`) at `ids`, times `scale`: `[N, D]` with N = `ids.count`.
public func embedding(_ table: Tensor, ids: [Int], scale: Float = 1) -> Tensor {
  kernelPrecondition(table.rank == 2, "embedding: the table must be [V, D], got \(table.shape)")
  let (vocabulary, width) = (table.shape[0], table.shape[1])
  var result = Tensor(uninitializedShape: [ids.count, width])
  guard !ids.isEmpty else { return result }
  result.withUnsafeMutableBufferPointer { y in
    ids.withUnsafeBufferPointer { idPointer in
      embeddingForward(
        table: table.storage.pointer, vocabularySize: vocabulary, width: width,
        ids: idPointer.baseAddress!,
        count: ids.count, scale: scale, into: y.baseAddress!)
    }
  }
  return result
}

/// `tableGradient (+)=` the scatter-add of `outputGradient` (`[N, D]`, or any `[…, D]` with N
/// rows) into the rows `ids`; see `embeddingBackward`.
public func embeddingBackward(
  outputGradient: Tensor, ids: [Int], scale: Float = 1, into tableGradient: inout Tensor,
  accumulate: Bool
) {
  kernelPrecondition(
    tableGradient.rank == 2,
    "embeddingBackward: the table gradient must be [V, D], got \(tableGradient.shape)")
  let (vocabulary, width) = (tableGradient.shape[0], tableGradient.shape[1])
  kernelPrecondition(
    outputGradient.count == ids.count * width && outputGradient.shape.last == width,
    "embeddingBackward: output gradient \(outputGradient.shape) must hold \(ids.count) rows of D = \(width)"
  )
  tableGradient.withUnsafeMutableBufferPointer { dTable in
    ids.withUnsafeBufferPointer { idPointer in
      guard let idBase = idPointer.baseAddress, !ids.isEmpty else {
        if !accumulate { vectorFill(dTable.baseAddress!, with: 0, count: dTable.count) }
        return
      }
      embeddingBackward(
        outputGradient: outputGradient.storage.pointer, ids: idBase, count: ids.count,
        vocabularySize: vocabulary,
        width: width, scale: scale, into: dTable.baseAddress!, accumulate: accumulate)
    }
  }
}
