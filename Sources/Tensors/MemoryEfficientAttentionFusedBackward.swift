// The one-pass backward of memory-efficient attention (FlashAttention-2, Dao 2023, Algorithm 2):
// each tile of probabilities is recomputed once and gives its share of dQ, dK and dV together,
// instead of once for dQ and once more for dK and dV (MemoryEfficientAttentionBackward.swift).
//
// Ownership, so that no two threads write one element: a task owns a (batch, key/value head)
// pair, every query head of its group, all their keys and queries. It walks the key tiles in
// order; for each, every query head of the group and every query tile that may see the keys:
//   S = q·kᵀ, dP = dO·vᵀ                    (the products of both passes)
//   P = exp(x − LSE), A = P ⊙ Z, dX = scale·P ⊙ (dP ⊙ Z − D)
//   dV_tile += Aᵀ·dO, dK_tile += dXᵀ·q      (summed over the group's heads and queries)
//   dQ_rows += dX·k_tile                    (the task's own [group, T, K′] accumulator)
// The work per task is a whole head, so this needs B·G ≥ threads; the two-pass form splits
// finer and serves the rest (AttentionBackwardSchedule).
//
// Bit-identical to the two passes. Each gradient element is one FMA chain in the tile products
// (`AttentionTile.product` and `productTransposedA` continue from the value in C), so tile
// boundaries along the summed dimension do not change it, only the order of the terms does:
// dQ sums over keys in ascending order, dK and dV over the group's heads and then queries in
// ascending order, as in the two passes; terms of hidden keys are exact zeros. The scores are
// the same FMA chains (q·k and k·q multiply the same pairs), masked and exponentiated by the
// same functions.

extension BackwardPass {
  /// dQ, dK and dV in one pass, one task per (batch, key/value head).
  func allGradients(
    query queryGradient: UnsafeMutablePointer<Float>?, accumulateQuery: Bool,
    key keyGradient: UnsafeMutablePointer<Float>?, accumulateKey: Bool,
    value valueGradient: UnsafeMutablePointer<Float>?, accumulateValue: Bool,
    slopes: UnsafePointer<Float>?, keep: UnsafePointer<Float>?
  ) {
    let shape = visibility.shape
    let (heads, queries, keys, headSize) = (shape.heads, shape.queries, shape.keys, shape.headSize)
    let group = heads / shape.keyValueHeads
    let paddedSize = AttentionTile.roundUp(headSize, 16)
    let (tileKeys, tileRows) = (AttentionTile.keys, AttentionTile.queries)
    let tiles = (keys + tileKeys - 1) / tileKeys
    // dQ rows per head, with 3 spare rows: a query tile starts anywhere and its rows are
    // padded to a multiple of 4 (they add zeros).
    let headStride = (queries + 3) * paddedSize
    parallelForRanges(shape.batch * shape.keyValueHeads) { range in
      var scratch = AttentionScratch(
        capacity: 3 * paddedSize * tileKeys + 2 * tileRows * paddedSize
          + 2 * tileRows * tileKeys + 2 * tileKeys * paddedSize + group * headStride)
      defer { scratch.deallocate() }
      let keyColumns = scratch.take(paddedSize * tileKeys)  // [K′, Sk]: kᵀ
      let valueColumns = scratch.take(paddedSize * tileKeys)  // [K′, Sk]: vᵀ
      let keyTile = scratch.take(tileKeys * paddedSize)  // [Sk, K′]
      let queryTile = scratch.take(tileRows * paddedSize)  // [Tq, K′]
      let gradientTile = scratch.take(tileRows * paddedSize)  // [Tq, K′]: dO
      let scores = scratch.take(tileRows * tileKeys)  // [Tq, Sk]: scores, then scale·dX
      let probabilities = scratch.take(tileRows * tileKeys)  // [Tq, Sk]: dO·vᵀ, then A
      let keyAccumulator = scratch.take(tileKeys * paddedSize)  // [Sk, K′]: dK
      let valueAccumulator = scratch.take(tileKeys * paddedSize)  // [Sk, K′]: dV
      let queryAccumulator = scratch.take(group * headStride)  // [group, T, K′]: dQ

      for kvIndex in range {
        let (b, g) = kvIndex.quotientAndRemainder(dividingBy: shape.keyValueHeads)
        queryAccumulator.update(repeating: 0, count: group * headStride)
        for tile in 0..<tiles {
          let s0 = tile * tileKeys
          let keyRows = Swift.min(tileKeys, keys - s0)
          let paddedKeys = AttentionTile.roundUp(keyRows, 16)
          let paddedKeyRows = AttentionTile.roundUp(keyRows, 4)
          let kvOffset = (kvIndex * keys + s0) * headSize
          keyAccumulator.update(repeating: 0, count: paddedKeyRows * paddedSize)
          valueAccumulator.update(repeating: 0, count: paddedKeyRows * paddedSize)
          let seen = visibility.queryRange(batch: b, keys: s0..<(s0 + keyRows))
          if !seen.isEmpty {
            AttentionTile.copyTransposed(
              key + kvOffset, rows: keyRows, width: headSize, into: keyColumns, ldd: tileKeys,
              paddedRows: paddedKeys, paddedWidth: headSize)
            AttentionTile.copyTransposed(
              value + kvOffset, rows: keyRows, width: headSize, into: valueColumns,
              ldd: tileKeys, paddedRows: paddedKeys, paddedWidth: headSize)
            AttentionTile.copyRows(
              key + kvOffset, rows: keyRows, width: headSize, into: keyTile, ldd: paddedSize,
              paddedRows: keyRows)
          }
          for h in (g * group)..<((g + 1) * group) {
            let headRow = (b * heads + h) * queries
            let headAccumulator = queryAccumulator + (h - g * group) * headStride
            var t0 = seen.lowerBound
            while t0 < seen.upperBound {
              let rows = Swift.min(tileRows, seen.upperBound - t0)
              let paddedRows = AttentionTile.roundUp(rows, 4)
              let firstRow = headRow + t0
              AttentionTile.copyRows(
                query + firstRow * headSize, rows: rows, width: headSize, into: queryTile,
                ldd: paddedSize, paddedRows: paddedRows)
              AttentionTile.copyRows(
                outputGradient + firstRow * headSize, rows: rows, width: headSize,
                into: gradientTile, ldd: paddedSize, paddedRows: paddedRows)
              // [Tq, K]·[K, Sk], twice
              AttentionTile.product(
                queryTile, paddedSize, keyColumns, tileKeys, scores, tileKeys, rows: paddedRows,
                depth: headSize, columns: paddedKeys, accumulate: false)
              AttentionTile.product(
                gradientTile, paddedSize, valueColumns, tileKeys, probabilities, tileKeys,
                rows: paddedRows, depth: headSize, columns: paddedKeys, accumulate: false)
              probabilitiesAndScoreGradients(
                scores: scores, probabilities: probabilities, batch: b, head: h, firstQuery: t0,
                rows: rows, paddedRows: paddedRows, firstKey: s0, paddedKeys: paddedKeys,
                slopes: slopes, keep: keep)
              // [Tq, Sk]·[Sk, K]: dQ; [Sk, Tq]·[Tq, K], twice: dV and dK
              AttentionTile.product(
                scores, tileKeys, keyTile, paddedSize, headAccumulator + t0 * paddedSize,
                paddedSize, rows: paddedRows, depth: keyRows, columns: paddedSize,
                accumulate: true)
              AttentionTile.productTransposedA(
                probabilities, tileKeys, gradientTile, paddedSize, valueAccumulator, paddedSize,
                rows: paddedKeyRows, depth: rows, columns: paddedSize)
              AttentionTile.productTransposedA(
                scores, tileKeys, queryTile, paddedSize, keyAccumulator, paddedSize,
                rows: paddedKeyRows, depth: rows, columns: paddedSize)
              t0 += tileRows
            }
          }
          storeKeyValueRows(
            key: keyAccumulator, value: valueAccumulator, rows: keyRows, paddedSize: paddedSize,
            headSize: headSize, into: keyGradient, accumulateKey: accumulateKey, valueGradient,
            accumulateValue: accumulateValue, at: kvOffset)
        }
        guard let queryGradient else { continue }
        for h in (g * group)..<((g + 1) * group) {
          let headRow = (b * heads + h) * queries
          let headAccumulator = queryAccumulator + (h - g * group) * headStride
          for t in 0..<queries {
            storeRow(
              headAccumulator + t * paddedSize, into: queryGradient + (headRow + t) * headSize,
              count: headSize, accumulate: accumulateQuery)
          }
        }
      }
    }
  }

  /// Turns a tile's scores `[Tq, Sk]` into scale·dX and its dO·vᵀ into A = P ⊙ Z, in place,
  /// row by row with the forward's `ScoreRow`; rows with no visible key and the padded rows
  /// become zeros.
  @inline(__always)
  private func probabilitiesAndScoreGradients(
    scores: UnsafeMutablePointer<Float>, probabilities: UnsafeMutablePointer<Float>, batch b: Int,
    head h: Int, firstQuery t0: Int, rows: Int, paddedRows: Int, firstKey s0: Int,
    paddedKeys: Int, slopes: UnsafePointer<Float>?, keep: UnsafePointer<Float>?
  ) {
    let (queries, keys) = (visibility.shape.queries, visibility.shape.keys)
    let tileKeys = AttentionTile.keys
    let firstRow = (b * visibility.shape.heads + h) * queries + t0
    for r in 0..<rows {
      let scoreRow = scores + r * tileKeys
      let probabilityRow = probabilities + r * tileKeys
      let lse = logSumExp[firstRow + r]
      guard lse > -.infinity else {  // no visible key: P = 0
        scoreRow.update(repeating: 0, count: paddedKeys)
        probabilityRow.update(repeating: 0, count: paddedKeys)
        continue
      }
      let row = visibility.scoreRow(
        batch: b, head: h, query: t0 + r, scale: scale, slopes: slopes, keep: keep)
      let d = delta[firstRow + r]
      let firstElement = (firstRow + r) * keys + s0  // flat [B, H, T, S] index
      var j = 0
      while j < paddedKeys {
        let x = row.scores(VectorMath.load(scoreRow, j), firstKey: s0 + j)
        let p = VectorMath.exp(x - lse)
        var dp = VectorMath.load(probabilityRow, j)
        var a = p
        if let dropout {
          let z = dropout.scales(first: firstElement + j, stride: 1)
          a *= z
          dp *= z
        }
        VectorMath.store(p * (dp - d) * scale, scoreRow, j)
        VectorMath.store(a, probabilityRow, j)
        j += 16
      }
    }
    for r in rows..<paddedRows {
      (scores + r * tileKeys).update(repeating: 0, count: paddedKeys)
      (probabilities + r * tileKeys).update(repeating: 0, count: paddedKeys)
    }
  }
}
