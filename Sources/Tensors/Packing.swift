/// Copies blocks of A and B into the panel layouts the micro-kernel streams through.
///
/// Packing turns every operand form (plain or transposed, any leading dimension) into the same
/// contiguous layout, so one micro-kernel serves all four transpose combinations; edge panels
/// are padded with zeros so the micro-kernel never branches on size inside its loop.
enum Packing {
  /// Packs rows `row..<row+height` and depth `depth..<depth+count` of op(A) as one panel:
  /// `count × 6`, element (r, q) at `destination[6q + r]`, rows past `height` zero.
  @inline(__always)
  static func packA(
    _ p: GEMMProblem, row: Int, height: Int, depth: Int, count: Int,
    into destination: UnsafeMutablePointer<Float>
  ) {
    let mr = MicroKernel.rows
    if p.transposeA {
      // A is stored K×M: the six values of one depth step are contiguous.
      for q in 0..<count {
        let source = p.a + (depth + q) * p.lda + row
        let target = destination + q * mr
        for r in 0..<height { target[r] = source[r] }
        for r in height..<mr { target[r] = 0 }
      }
    } else if height == mr {
      // A is stored M×K: read six rows side by side so that both reads and writes stream.
      let r0 = p.a + row * p.lda + depth
      let r1 = r0 + p.lda
      let r2 = r1 + p.lda
      let r3 = r2 + p.lda
      let r4 = r3 + p.lda
      let r5 = r4 + p.lda
      var target = destination
      for q in 0..<count {
        target[0] = r0[q]
        target[1] = r1[q]
        target[2] = r2[q]
        target[3] = r3[q]
        target[4] = r4[q]
        target[5] = r5[q]
        target += mr
      }
    } else {
      for r in 0..<mr {
        if r < height {
          let source = p.a + (row + r) * p.lda + depth
          for q in 0..<count { destination[q * mr + r] = source[q] }
        } else {
          for q in 0..<count { destination[q * mr + r] = 0 }
        }
      }
    }
  }

  /// Packs rows `row..<row+height` of a transposed A (stored K×M) as consecutive 6-row panels,
  /// `count × 6` each. Walks storage one depth row at a time so that every read is a contiguous
  /// run of `height` floats; packing panel by panel would instead read 24 bytes from each of
  /// `count` rows an `lda` apart, which the prefetcher cannot follow.
  @inline(__always)
  static func packATransposed(
    _ p: GEMMProblem, row: Int, height: Int, depth: Int, count: Int,
    into destination: UnsafeMutablePointer<Float>
  ) {
    let mr = MicroKernel.rows
    let fullPanels = height / mr
    let panelStride = count * mr
    for q in 0..<count {
      let source = p.a + (depth + q) * p.lda + row
      var target = destination + q * mr
      // Whole panels: six floats as one 4-wide and one 2-wide copy, not a loop of unknown trip
      // count.
      for panel in 0..<fullPanels {
        let from = UnsafeRawPointer(source + panel * mr)
        let to = UnsafeMutableRawPointer(target)
        to.storeBytes(of: from.loadUnaligned(as: SIMD4<Float>.self), as: SIMD4<Float>.self)
        (to + 16).storeBytes(
          of: (from + 16).loadUnaligned(as: SIMD2<Float>.self), as: SIMD2<Float>.self)
        target += panelStride
      }
      // The last, partial panel, padded with zeros.
      let base = fullPanels * mr
      if base < height {
        for r in 0..<(height - base) { target[r] = source[base + r] }
        for r in (height - base)..<mr { target[r] = 0 }
      }
    }
  }

  /// Packs depth `row..<row+depth` and columns `column..<column+width` of op(B) as one panel:
  /// `depth × panelWidth` (NR, or NR/2 for a narrow edge panel; see `MicroKernel.panelWidth`),
  /// element (q, j) at `destination[panelWidth·q + j]`, columns past `width` zero.
  @inline(__always)
  static func packB(
    _ p: GEMMProblem, row: Int, depth: Int, column: Int, width: Int,
    into destination: UnsafeMutablePointer<Float>
  ) {
    packB(
      p.b, ldb: p.ldb, transposeB: p.transposeB, row: row, depth: depth, column: column,
      width: width, into: destination)
  }

  /// `packB` on a bare operand: `b` is K×N row-major (leading dimension `ldb`), or N×K when
  /// `transposeB`.
  @inline(__always)
  static func packB(
    _ b: UnsafePointer<Float>, ldb: Int, transposeB: Bool, row: Int, depth: Int, column: Int,
    width: Int, into destination: UnsafeMutablePointer<Float>
  ) {
    let nr = MicroKernel.panelWidth(width)
    if !transposeB {
      // B is stored K×N: each depth step is a contiguous run of columns.
      if width == MicroKernel.columns {
        for q in 0..<depth {
          MicroKernel.copyPanelRow(
            from: UnsafeRawPointer(b + (row + q) * ldb + column),
            to: UnsafeMutableRawPointer(destination + q * width))
        }
      } else {
        for q in 0..<depth {
          let source = b + (row + q) * ldb + column
          let target = destination + q * nr
          for j in 0..<width { target[j] = source[j] }
          for j in width..<nr { target[j] = 0 }
        }
      }
    } else {
      // B is stored N×K: each column of op(B) is a contiguous row of storage.
      for j in 0..<nr {
        if j < width {
          let source = b + (column + j) * ldb + row
          for q in 0..<depth { destination[q * nr + j] = source[q] }
        } else {
          for q in 0..<depth { destination[q * nr + j] = 0 }
        }
      }
    }
  }
}
