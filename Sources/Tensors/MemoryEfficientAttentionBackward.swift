// The backward of memory-efficient attention (FlashAttention Algorithm 2, split into two passes
// as FlashAttention-2 §3.1 suggests for deterministic results): probabilities are recomputed
// tile by tile from the saved log-sum-exp, P = exp(x − LSE), never stored.
//
// With Z the dropout scales, A = P ⊙ Z the probabilities the forward multiplied by v, and
// G = dO:
//   dV = Aᵀ·G,   dP = (G·vᵀ) ⊙ Z,   dX = P ⊙ (dP − D),   D_t = Σ_s P·dP = G_t·O_t,
//   dQ = scale·dX·k,   dK = scale·dXᵀ·q
// (D from the output alone is what makes the row sums unnecessary; dropout does not change it,
// since Σ_s P·Z·(G·v_s) = G·O). Pass 1 owns query rows, (batch, head, query tile), and
// accumulates dQ over key tiles; pass 2 owns key rows, (batch, key/value head, key tile), and
// accumulates dK and dV over the query heads of its group and their query tiles, reading the
// tile transposed so that LSE and D are per-column vectors. No locks, no atomics: every
// gradient element is summed by one task in a fixed order, whatever the thread count.
// When the (batch, key/value head) pairs are enough to keep every thread busy, one pass
// (MemoryEfficientAttentionFusedBackward.swift) computes all three from each tile at once,
// with the same sums in the same order: bit for bit these gradients, for about 5/7 of the
// tile products and half the exponentials.

import Foundation

/// Memory-efficient attention backward: the gradients of `memoryEfficientAttentionForward`.
///
/// - Parameters:
///   - query, output, outputGradient: `[B, H, T, K]`.
///   - key, value: `[B, G, S, K]`.
///   - logSumExp: `[B, H, T]`, as the forward wrote it.
///   - queryGradient: `[B, H, T, K]` or nil when not needed.
///   - keyGradient, valueGradient: `[B, G, S, K]` or nil.
///   - accumulate: per gradient, add into it rather than overwrite.
///   - shape, mask, modifiers: as given to the forward.
public func memoryEfficientAttentionBackward(
  query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>,
  output: UnsafePointer<Float>, logSumExp: UnsafePointer<Float>,
  outputGradient: UnsafePointer<Float>,
  queryGradient: UnsafeMutablePointer<Float>?, keyGradient: UnsafeMutablePointer<Float>?,
  valueGradient: UnsafeMutablePointer<Float>?,
  accumulate: (query: Bool, key: Bool, value: Bool) = (false, false, false),
  shape: AttentionShape, mask: AttentionMask = .none, modifiers: AttentionModifiers = .none
) {
  memoryEfficientAttentionBackward(
    query: query, key: key, value: value, output: output, logSumExp: logSumExp,
    outputGradient: outputGradient, queryGradient: queryGradient, keyGradient: keyGradient,
    valueGradient: valueGradient, accumulate: accumulate, shape: shape, mask: mask,
    modifiers: modifiers, schedule: .automatic)
}

/// How the backward walks the tiles. Both schedules give bit-identical gradients (see
/// MemoryEfficientAttentionFusedBackward.swift), so the choice may depend on the thread count.
enum AttentionBackwardSchedule {
  /// One pass when there are enough (batch, key/value head) tasks for the threads, else two.
  case automatic
  /// dQ by query tiles, then dK and dV by key tiles: every tile recomputed twice.
  case twoPasses
  /// dQ, dK and dV together, one task per (batch, key/value head).
  case onePass

  /// The schedule `automatic` resolves to for `tasks` (batch, key/value head) pairs: one pass
  /// when every thread gets an equal share, or at least four tasks so the last round idles
  /// little.
  static func resolve(tasks: Int, threads: Int) -> AttentionBackwardSchedule {
    tasks >= threads && (tasks % threads == 0 || tasks >= 4 * threads) ? .onePass : .twoPasses
  }
}

/// `memoryEfficientAttentionBackward` with the tile schedule chosen by the caller (tests).
func memoryEfficientAttentionBackward(
  query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>,
  output: UnsafePointer<Float>, logSumExp: UnsafePointer<Float>,
  outputGradient: UnsafePointer<Float>,
  queryGradient: UnsafeMutablePointer<Float>?, keyGradient: UnsafeMutablePointer<Float>?,
  valueGradient: UnsafeMutablePointer<Float>?,
  accumulate: (query: Bool, key: Bool, value: Bool),
  shape: AttentionShape, mask: AttentionMask, modifiers: AttentionModifiers,
  schedule: AttentionBackwardSchedule
) {
  let visibility = AttentionVisibility(shape: shape, mask: mask, modifiers: modifiers)
  let rows = shape.batch * shape.heads * shape.queries
  let headSize = shape.headSize
  // D_t = G_t·O_t: [B, H, T], linear in T.
  let delta = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(1, rows))
  defer { delta.deallocate() }
  parallelForRanges(rows, minimumPerThread: Parallel.minimumRows(width: headSize)) { range in
    for row in range {
      delta[row] = dot(outputGradient + row * headSize, output + row * headSize, count: headSize)
    }
  }
  let pass = BackwardPass(
    visibility: visibility, modifiers: modifiers, query: query, key: key, value: value,
    logSumExp: logSumExp, outputGradient: outputGradient, delta: delta)
  let fused =
    switch schedule {
    case .automatic:
      AttentionBackwardSchedule.resolve(
        tasks: shape.batch * shape.keyValueHeads, threads: Parallel.threadCount) == .onePass
    case .twoPasses: false
    case .onePass: true
    }
  withOptionalPointers(modifiers.alibiSlopes, visibility.keep) { slopes, keep in
    if fused, queryGradient != nil, keyGradient != nil || valueGradient != nil {
      pass.allGradients(
        query: queryGradient, accumulateQuery: accumulate.query, key: keyGradient,
        accumulateKey: accumulate.key, value: valueGradient, accumulateValue: accumulate.value,
        slopes: slopes, keep: keep)
      return
    }
    if let queryGradient {
      pass.queryGradient(
        into: queryGradient, accumulate: accumulate.query, slopes: slopes, keep: keep)
    }
    if keyGradient != nil || valueGradient != nil {
      pass.keyValueGradients(
        key: keyGradient, accumulateKey: accumulate.key, value: valueGradient,
        accumulateValue: accumulate.value, slopes: slopes, keep: keep)
    }
  }
}

/// Σ a·b over `count` floats, 16 lanes at a time.
@inline(__always)
private func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
  var lanes = SIMD16<Float>()
  var i = 0
  while i < count {
    let width = Swift.min(16, count - i)
    lanes += VectorMath.load(a, i, count: width) * VectorMath.load(b, i, count: width)
    i += 16
  }
  return VectorMath.horizontalSum(lanes)
}

/// `destination[0..<count] (+)= source[0..<count]`.
@inline(__always)
func storeRow(
  _ source: UnsafeMutablePointer<Float>, into destination: UnsafeMutablePointer<Float>, count: Int,
  accumulate: Bool
) {
  if accumulate {
    VectorMath.map(UnsafePointer(source), UnsafePointer(destination), destination, 0..<count) {
      $0 + $1
    }
  } else {
    destination.update(from: source, count: count)
  }
}

/// Writes the dK and dV of a key tile's `rows` keys, accumulated in rows of `paddedSize`, into
/// the gradients' rows of `headSize` from `offset` (adding to them when `accumulate…`); a nil
/// gradient is not wanted. The two-pass and the fused backward end each key tile with it.
@inline(__always)
func storeKeyValueRows(
  key keyAccumulator: UnsafeMutablePointer<Float>,
  value valueAccumulator: UnsafeMutablePointer<Float>, rows: Int, paddedSize: Int, headSize: Int,
  into keyGradient: UnsafeMutablePointer<Float>?, accumulateKey: Bool,
  _ valueGradient: UnsafeMutablePointer<Float>?, accumulateValue: Bool, at offset: Int
) {
  for r in 0..<rows {
    if let keyGradient {
      storeRow(
        keyAccumulator + r * paddedSize, into: keyGradient + offset + r * headSize,
        count: headSize, accumulate: accumulateKey)
    }
    if let valueGradient {
      storeRow(
        valueAccumulator + r * paddedSize, into: valueGradient + offset + r * headSize,
        count: headSize, accumulate: accumulateValue)
    }
  }
}

/// The inputs every pass reads.
struct BackwardPass {
  let visibility: AttentionVisibility
  let dropout: AttentionDropoutLanes?
  let query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>
  let logSumExp: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>
  let delta: UnsafePointer<Float>
  let scale: Float

  init(
    visibility: AttentionVisibility, modifiers: AttentionModifiers, query: UnsafePointer<Float>,
    key: UnsafePointer<Float>, value: UnsafePointer<Float>, logSumExp: UnsafePointer<Float>,
    outputGradient: UnsafePointer<Float>, delta: UnsafeMutablePointer<Float>
  ) {
    self.visibility = visibility
    self.dropout =
      modifiers.dropoutProbability > 0
      ? AttentionDropoutLanes(
        probability: modifiers.dropoutProbability, seed: modifiers.dropoutSeed) : nil
    (self.query, self.key, self.value) = (query, key, value)
    (self.logSumExp, self.outputGradient) = (logSumExp, outputGradient)
    self.delta = UnsafePointer(delta)
    self.scale = 1 / Float(visibility.shape.headSize).squareRoot()
  }

  /// Pass 1: dQ, one task per (batch, head, query tile), the forward's tiling.
  func queryGradient(
    into gradient: UnsafeMutablePointer<Float>, accumulate: Bool, slopes: UnsafePointer<Float>?,
    keep: UnsafePointer<Float>?
  ) {
    let shape = visibility.shape
    let (heads, queries, keys, headSize) = (shape.heads, shape.queries, shape.keys, shape.headSize)
    let paddedSize = AttentionTile.roundUp(headSize, 16)
    let (tileRows, tileKeys) = (AttentionTile.queries, AttentionTile.keys)
    let tiles = (queries + tileRows - 1) / tileRows
    parallelForRanges(shape.batch * heads * tiles) { range in
      var scratch = AttentionScratch(
        capacity: 3 * tileRows * paddedSize + 3 * paddedSize * tileKeys + 2 * tileRows * tileKeys)
      defer { scratch.deallocate() }
      let queryTile = scratch.take(tileRows * paddedSize)  // [Tq, K′]
      let gradientTile = scratch.take(tileRows * paddedSize)  // [Tq, K′]: dO
      let keyColumns = scratch.take(paddedSize * tileKeys)  // [K′, Sk]: kᵀ
      let valueColumns = scratch.take(paddedSize * tileKeys)  // [K′, Sk]: vᵀ
      let keyTile = scratch.take(tileKeys * paddedSize)  // [Sk, K′]
      let scores = scratch.take(tileRows * tileKeys)  // [Tq, Sk]: scores, then scale·dX
      let probabilityGradient = scratch.take(tileRows * tileKeys)  // [Tq, Sk]: dO·vᵀ
      let accumulator = scratch.take(tileRows * paddedSize)  // [Tq, K′]: dQ

      for task in range {
        let (headIndex, tile) = task.quotientAndRemainder(dividingBy: tiles)
        let (b, h) = headIndex.quotientAndRemainder(dividingBy: heads)
        let kvHead = b * shape.keyValueHeads + shape.keyValueHead(h)
        let t0 = tile * tileRows
        let rows = Swift.min(tileRows, queries - t0)
        let paddedRows = AttentionTile.roundUp(rows, 4)
        let firstRow = headIndex * queries + t0
        let keyBase = key + kvHead * keys * headSize  // [S, K]
        let valueBase = value + kvHead * keys * headSize  // [S, K]
        AttentionTile.copyRows(
          query + firstRow * headSize, rows: rows, width: headSize, into: queryTile,
          ldd: paddedSize, paddedRows: paddedRows)
        AttentionTile.copyRows(
          outputGradient + firstRow * headSize, rows: rows, width: headSize, into: gradientTile,
          ldd: paddedSize, paddedRows: paddedRows)
        accumulator.update(repeating: 0, count: paddedRows * paddedSize)
        let rowScores = (0..<rows).map { r in
          visibility.scoreRow(
            batch: b, head: h, query: t0 + r, scale: scale, slopes: slopes, keep: keep)
        }

        let visible = visibility.keyRange(batch: b, queries: t0..<(t0 + rows))
        var s0 = visible.lowerBound
        while s0 < visible.upperBound {
          let columns = Swift.min(tileKeys, visible.upperBound - s0)
          let paddedColumns = AttentionTile.roundUp(columns, 16)
          AttentionTile.copyTransposed(
            keyBase + s0 * headSize, rows: columns, width: headSize, into: keyColumns,
            ldd: tileKeys, paddedRows: paddedColumns, paddedWidth: headSize)
          AttentionTile.copyTransposed(
            valueBase + s0 * headSize, rows: columns, width: headSize, into: valueColumns,
            ldd: tileKeys, paddedRows: paddedColumns, paddedWidth: headSize)
          AttentionTile.copyRows(
            keyBase + s0 * headSize, rows: columns, width: headSize, into: keyTile,
            ldd: paddedSize, paddedRows: columns)
          // [Tq, K]·[K, Sk], twice
          AttentionTile.product(
            queryTile, paddedSize, keyColumns, tileKeys, scores, tileKeys, rows: paddedRows,
            depth: headSize, columns: paddedColumns, accumulate: false)
          AttentionTile.product(
            gradientTile, paddedSize, valueColumns, tileKeys, probabilityGradient, tileKeys,
            rows: paddedRows, depth: headSize, columns: paddedColumns, accumulate: false)

          for r in 0..<rows {
            let row = scores + r * tileKeys
            let lse = logSumExp[firstRow + r]
            guard lse > -.infinity else {  // no visible key: P = 0
              row.update(repeating: 0, count: paddedColumns)
              continue
            }
            let d = delta[firstRow + r]
            let firstElement = (firstRow + r) * keys + s0  // flat [B, H, T, S] index
            var j = 0
            while j < paddedColumns {
              let x = rowScores[r].scores(VectorMath.load(row, j), firstKey: s0 + j)
              let p = VectorMath.exp(x - lse)
              var dp = VectorMath.load(probabilityGradient + r * tileKeys, j)
              if let dropout { dp *= dropout.scales(first: firstElement + j, stride: 1) }
              VectorMath.store(p * (dp - d) * scale, row, j)
              j += 16
            }
          }
          for r in rows..<paddedRows {
            (scores + r * tileKeys).update(repeating: 0, count: paddedColumns)
          }
          // [Tq, Sk]·[Sk, K]
          AttentionTile.product(
            scores, tileKeys, keyTile, paddedSize, accumulator, paddedSize, rows: paddedRows,
            depth: columns, columns: paddedSize, accumulate: true)
          s0 += tileKeys
        }
        for r in 0..<rows {
          storeRow(
            accumulator + r * paddedSize, into: gradient + (firstRow + r) * headSize,
            count: headSize, accumulate: accumulate)
        }
      }
    }
  }

  /// Pass 2: dK and dV, one task per (batch, key/value head, key tile), reading each query tile
  /// of each query head in the group transposed: rows are keys, lanes are queries.
  func keyValueGradients(
    key keyGradient: UnsafeMutablePointer<Float>?, accumulateKey: Bool,
    value valueGradient: UnsafeMutablePointer<Float>?, accumulateValue: Bool,
    slopes: UnsafePointer<Float>?, keep: UnsafePointer<Float>?
  ) {
    let shape = visibility.shape
    let (heads, queries, keys, headSize) = (shape.heads, shape.queries, shape.keys, shape.headSize)
    let group = heads / shape.keyValueHeads
    let paddedSize = AttentionTile.roundUp(headSize, 16)
    // Key rows per tile (a multiple of 4) and query columns per tile (a multiple of 16).
    let (tileKeys, tileQueries) = (AttentionTile.keys, AttentionTile.keys)
    let tiles = (keys + tileKeys - 1) / tileKeys
    parallelForRanges(shape.batch * shape.keyValueHeads * tiles) { range in
      var scratch = AttentionScratch(
        capacity: 4 * tileKeys * paddedSize + 4 * paddedSize * tileQueries
          + 2 * tileKeys * tileQueries + 4 * tileQueries)
      defer { scratch.deallocate() }
      let keyTile = scratch.take(tileKeys * paddedSize)  // [Sk, K′]
      let valueTile = scratch.take(tileKeys * paddedSize)  // [Sk, K′]
      let queryColumns = scratch.take(paddedSize * tileQueries)  // [K′, Tq]: qᵀ
      let gradientColumns = scratch.take(paddedSize * tileQueries)  // [K′, Tq]: dOᵀ
      let queryRows = scratch.take(tileQueries * paddedSize)  // [Tq, K′]
      let gradientRows = scratch.take(tileQueries * paddedSize)  // [Tq, K′]: dO
      let scores = scratch.take(tileKeys * tileQueries)  // [Sk, Tq]: scores, then scale·dXᵀ
      let probabilities = scratch.take(tileKeys * tileQueries)  // [Sk, Tq]: v·dOᵀ, then Aᵀ
      let keyAccumulator = scratch.take(tileKeys * paddedSize)  // [Sk, K′]: dK
      let valueAccumulator = scratch.take(tileKeys * paddedSize)  // [Sk, K′]: dV
      // [Tq] per column: LSE (+∞ for a row with no visible key, so that exp(x − LSE) is 0 not
      // NaN), D, and the visible key range.
      let columnLSE = scratch.take(tileQueries)
      let columnDelta = scratch.take(tileQueries)
      let columnLower = scratch.take(tileQueries)
      let columnUpper = scratch.take(tileQueries)

      for task in range {
        let (kvIndex, tile) = task.quotientAndRemainder(dividingBy: tiles)
        let (b, g) = kvIndex.quotientAndRemainder(dividingBy: shape.keyValueHeads)
        let s0 = tile * tileKeys
        let keyRows = Swift.min(tileKeys, keys - s0)
        let paddedKeyRows = AttentionTile.roundUp(keyRows, 4)
        let kvOffset = (kvIndex * keys + s0) * headSize
        AttentionTile.copyRows(
          key + kvOffset, rows: keyRows, width: headSize, into: keyTile, ldd: paddedSize,
          paddedRows: paddedKeyRows)
        AttentionTile.copyRows(
          value + kvOffset, rows: keyRows, width: headSize, into: valueTile, ldd: paddedSize,
          paddedRows: paddedKeyRows)
        keyAccumulator.update(repeating: 0, count: paddedKeyRows * paddedSize)
        valueAccumulator.update(repeating: 0, count: paddedKeyRows * paddedSize)
        let seen = visibility.queryRange(batch: b, keys: s0..<(s0 + keyRows))

        for h in (g * group)..<((g + 1) * group) {
          let headRow = (b * heads + h) * queries
          let slope = slopes.map { $0[h] }
          var t0 = seen.lowerBound
          while t0 < seen.upperBound {
            let columns = Swift.min(tileQueries, seen.upperBound - t0)
            let paddedColumns = AttentionTile.roundUp(columns, 16)
            let firstRow = headRow + t0
            AttentionTile.copyTransposed(
              query + firstRow * headSize, rows: columns, width: headSize, into: queryColumns,
              ldd: tileQueries, paddedRows: paddedColumns, paddedWidth: headSize)
            AttentionTile.copyTransposed(
              outputGradient + firstRow * headSize, rows: columns, width: headSize,
              into: gradientColumns, ldd: tileQueries, paddedRows: paddedColumns,
              paddedWidth: headSize)
            AttentionTile.copyRows(
              query + firstRow * headSize, rows: columns, width: headSize, into: queryRows,
              ldd: paddedSize, paddedRows: columns)
            AttentionTile.copyRows(
              outputGradient + firstRow * headSize, rows: columns, width: headSize,
              into: gradientRows, ldd: paddedSize, paddedRows: columns)
            for c in 0..<paddedColumns {
              if c < columns {
                let lse = logSumExp[firstRow + c]
                let range = visibility.keyRange(batch: b, query: t0 + c)
                columnLSE[c] = lse == -.infinity ? .infinity : lse
                columnDelta[c] = delta[firstRow + c]
                columnLower[c] = Float(range.lowerBound)
                columnUpper[c] = Float(range.upperBound)
              } else {  // past the last query: hidden
                (columnLSE[c], columnDelta[c], columnLower[c], columnUpper[c]) = (
                  .infinity, 0, 0, 0
                )
              }
            }
            // [Sk, K]·[K, Tq], twice
            AttentionTile.product(
              keyTile, paddedSize, queryColumns, tileQueries, scores, tileQueries,
              rows: paddedKeyRows, depth: headSize, columns: paddedColumns, accumulate: false)
            AttentionTile.product(
              valueTile, paddedSize, gradientColumns, tileQueries, probabilities, tileQueries,
              rows: paddedKeyRows, depth: headSize, columns: paddedColumns, accumulate: false)

            for r in 0..<paddedKeyRows {
              let s = s0 + r
              let scoreRow = scores + r * tileQueries
              let probabilityRow = probabilities + r * tileQueries
              guard r < keyRows, keep.map({ $0[b * keys + s] != 0 }) ?? true else {
                scoreRow.update(repeating: 0, count: paddedColumns)
                probabilityRow.update(repeating: 0, count: paddedColumns)
                continue
              }
              let position = SIMD16<Float>(repeating: Float(s))
              var j = 0
              while j < paddedColumns {
                var x = VectorMath.load(scoreRow, j) * scale
                if let slope {
                  x += alibiBias(slope: slope, offset: s - (t0 + j + visibility.queryOffset))
                }
                x = hidingOutside(
                  x, positions: position, lower: VectorMath.load(columnLower, j),
                  upper: VectorMath.load(columnUpper, j))
                let p = VectorMath.exp(x - VectorMath.load(columnLSE, j))
                var dp = VectorMath.load(probabilityRow, j)
                var a = p
                if let dropout {
                  let z = dropout.scales(first: (firstRow + j) * keys + s, stride: keys)
                  a *= z
                  dp *= z
                }
                VectorMath.store(p * (dp - VectorMath.load(columnDelta, j)) * scale, scoreRow, j)
                VectorMath.store(a, probabilityRow, j)
                j += 16
              }
            }
            // [Sk, Tq]·[Tq, K], twice
            AttentionTile.product(
              probabilities, tileQueries, gradientRows, paddedSize, valueAccumulator, paddedSize,
              rows: paddedKeyRows, depth: columns, columns: paddedSize, accumulate: true)
            AttentionTile.product(
              scores, tileQueries, queryRows, paddedSize, keyAccumulator, paddedSize,
              rows: paddedKeyRows, depth: columns, columns: paddedSize, accumulate: true)
            t0 += tileQueries
          }
        }
        storeKeyValueRows(
          key: keyAccumulator, value: valueAccumulator, rows: keyRows, paddedSize: paddedSize,
          headSize: headSize, into: keyGradient, accumulateKey: accumulateKey, valueGradient,
          accumulateValue: accumulateValue, at: kvOffset)
      }
    }
  }
}
