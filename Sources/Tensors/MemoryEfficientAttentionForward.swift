// The forward of memory-efficient attention (FlashAttention Algorithm 1): per (batch, head, query
// tile), walk the visible key tiles keeping each row's running maximum m and sum l of
// exp(x − m), rescaling the output accumulator whenever m grows. Writes the output and one
// log-sum-exp per row, m + log l, which is all the backward needs to recompute probabilities.
// See MemoryEfficientAttention.swift for the contract and the legend.

import Foundation

/// Memory-efficient attention forward: `output = softmax(q·kᵀ/√K + bias, mask) · v`, without
/// storing the `[T, S]` probabilities.
///
/// Each output row is computed by one task from key tiles in a fixed order, so the result is
/// the same for every thread count.
/// - Parameters:
///   - query: `[B, H, T, K]`.
///   - key: `[B, G, S, K]`.
///   - value: `[B, G, S, K]`.
///   - output: `[B, H, T, K]`, overwritten; 0 for a query with no visible key.
///   - logSumExp: `[B, H, T]`, overwritten: log Σ_visible exp(x), −∞ for a query with no
///     visible key.
///   - mask: key lengths, key-padding matrix, causal offset (as `softmaxForward`).
///   - modifiers: ALiBi slopes, window, dropout.
public func memoryEfficientAttentionForward(
  query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>,
  output: UnsafeMutablePointer<Float>, logSumExp: UnsafeMutablePointer<Float>,
  shape: AttentionShape, mask: AttentionMask = .none, modifiers: AttentionModifiers = .none
) {
  let visibility = AttentionVisibility(shape: shape, mask: mask, modifiers: modifiers)
  let (heads, queries, keys, headSize) = (shape.heads, shape.queries, shape.keys, shape.headSize)
  let paddedSize = AttentionTile.roundUp(headSize, 16)
  let (tileRows, tileKeys) = (AttentionTile.queries, AttentionTile.keys)
  let tiles = (queries + tileRows - 1) / tileRows
  let scale = 1 / Float(headSize).squareRoot()
  let dropout =
    modifiers.dropoutProbability > 0
    ? AttentionDropoutLanes(probability: modifiers.dropoutProbability, seed: modifiers.dropoutSeed)
    : nil

  // The keys of a head transposed once, tile by tile, and reused by all its query tiles:
  // transposing them per query tile cost a seventh of the forward.
  let keyTiles = (keys + tileKeys - 1) / tileKeys
  let panelSize = paddedSize * tileKeys
  withOptionalPointers(modifiers.alibiSlopes, visibility.keep) { slopes, keep in
    parallelForRanges(shape.batch * heads * tiles) { range in
      var scratch = AttentionScratch(
        capacity: 2 * tileRows * paddedSize + keyTiles * panelSize + tileKeys * paddedSize
          + tileRows * tileKeys + 2 * tileRows)
      defer { scratch.deallocate() }
      let queryTile = scratch.take(tileRows * paddedSize)  // [Tq, K′]
      let keyPanels = scratch.take(keyTiles * panelSize)  // per key tile [K′, Sk]: kᵀ
      var transposedHead = -1  // the key/value head in keyPanels
      let valueTile = scratch.take(tileKeys * paddedSize)  // [Sk, K′]
      let scores = scratch.take(tileRows * tileKeys)  // [Tq, Sk]: scores, then probabilities
      let accumulator = scratch.take(tileRows * paddedSize)  // [Tq, K′]: Σ exp(x − m)·z·v
      let rowMax = scratch.take(tileRows)  // [Tq]: m
      let rowSum = scratch.take(tileRows)  // [Tq]: l = Σ exp(x − m), before dropout

      for task in range {
        let (headIndex, tile) = task.quotientAndRemainder(dividingBy: tiles)
        let (b, h) = headIndex.quotientAndRemainder(dividingBy: heads)
        let kvHead = b * shape.keyValueHeads + shape.keyValueHead(h)
        let t0 = tile * tileRows
        let rows = Swift.min(tileRows, queries - t0)
        let paddedRows = AttentionTile.roundUp(rows, 4)
        let keyBase = key + kvHead * keys * headSize  // [S, K]
        let valueBase = value + kvHead * keys * headSize  // [S, K]
        let firstRow = headIndex * queries + t0

        AttentionTile.copyRows(
          query + firstRow * headSize, rows: rows, width: headSize, into: queryTile,
          ldd: paddedSize, paddedRows: paddedRows)
        accumulator.update(repeating: 0, count: paddedRows * paddedSize)
        rowMax.update(repeating: -.infinity, count: rows)
        rowSum.update(repeating: 0, count: rows)
        let rowScores = (0..<rows).map { r in
          visibility.scoreRow(
            batch: b, head: h, query: t0 + r, scale: scale, slopes: slopes, keep: keep)
        }

        if kvHead != transposedHead {
          for keyTile in 0..<keyTiles {
            let s0 = keyTile * tileKeys
            let count = Swift.min(tileKeys, keys - s0)
            AttentionTile.copyTransposed(
              keyBase + s0 * headSize, rows: count, width: headSize,
              into: keyPanels + keyTile * panelSize, ldd: tileKeys,
              paddedRows: AttentionTile.roundUp(count, 16), paddedWidth: headSize)
          }
          transposedHead = kvHead
        }

        // Key tiles on multiples of Sk, to use the panels; keys before a row's first visible
        // one are hidden by its ScoreRow.
        let visible = visibility.keyRange(batch: b, queries: t0..<(t0 + rows))
        var s0 = visible.lowerBound / tileKeys * tileKeys
        while s0 < visible.upperBound {
          let columns = Swift.min(tileKeys, visible.upperBound - s0)
          let paddedColumns = AttentionTile.roundUp(columns, 16)
          // Rows of v in place when they need no padding.
          var values = UnsafePointer(valueBase + s0 * headSize)
          if headSize != paddedSize {
            AttentionTile.copyRows(
              valueBase + s0 * headSize, rows: columns, width: headSize, into: valueTile,
              ldd: paddedSize, paddedRows: columns)
            values = UnsafePointer(valueTile)
          }
          // [Tq, K]·[K, Sk]
          AttentionTile.product(
            queryTile, paddedSize, keyPanels + s0 / tileKeys * panelSize, tileKeys, scores,
            tileKeys, rows: paddedRows, depth: headSize, columns: paddedColumns,
            accumulate: false)

          for r in 0..<rows {
            let row = scores + r * tileKeys
            let scoreRow = rowScores[r]
            var best = SIMD16<Float>(repeating: -.infinity)
            var j = 0
            while j < paddedColumns {
              let x = scoreRow.scores(VectorMath.load(row, j), firstKey: s0 + j)
              VectorMath.store(x, row, j)
              best = VectorMath.maximum(best, x)
              j += 16
            }
            let newMax = Swift.max(rowMax[r], VectorMath.horizontalMax(best))
            guard newMax > -.infinity else {
              row.update(repeating: 0, count: paddedColumns)
              continue
            }
            // The sum and accumulator so far were relative to the old maximum; exp(−∞) = 0
            // for a row that saw nothing visible before.
            let correction = Foundation.exp(rowMax[r] - newMax)
            var total = SIMD16<Float>()
            let firstElement = (firstRow + r) * keys + s0  // flat [B, H, T, S] index
            j = 0
            while j < paddedColumns {
              var p = VectorMath.exp(VectorMath.load(row, j) - newMax)
              total += p
              if let dropout { p *= dropout.scales(first: firstElement + j, stride: 1) }
              VectorMath.store(p, row, j)
              j += 16
            }
            rowSum[r] = rowSum[r] * correction + VectorMath.horizontalSum(total)
            rowMax[r] = newMax
            if correction != 1 {
              let accumulated = accumulator + r * paddedSize
              VectorMath.map(UnsafePointer(accumulated), accumulated, 0..<paddedSize) {
                $0 * correction
              }
            }
          }
          for r in rows..<paddedRows {
            (scores + r * tileKeys).update(repeating: 0, count: paddedColumns)
          }
          // [Tq, Sk]·[Sk, K]
          AttentionTile.product(
            scores, tileKeys, values, paddedSize, accumulator, paddedSize, rows: paddedRows,
            depth: columns, columns: paddedSize, accumulate: true)
          s0 += tileKeys
        }

        for r in 0..<rows {
          let out = output + (firstRow + r) * headSize
          let total = rowSum[r]
          guard total > 0 else {
            out.update(repeating: 0, count: headSize)
            logSumExp[firstRow + r] = -.infinity
            continue
          }
          let inverse = 1 / total
          VectorMath.map(UnsafePointer(accumulator + r * paddedSize), out, 0..<headSize) {
            $0 * inverse
          }
          logSumExp[firstRow + r] = rowMax[r] + Foundation.log(total)
        }
      }
    }
  }
}
