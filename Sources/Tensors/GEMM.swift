import Foundation

/// One product's operands, as `gemm` received them.
struct GEMMProblem {
  var m: Int, n: Int, k: Int
  var a: UnsafePointer<Float>, lda: Int, transposeA: Bool
  var b: UnsafePointer<Float>, ldb: Int, transposeB: Bool
  var c: UnsafeMutablePointer<Float>, ldc: Int
  var alpha: Float, accumulate: Bool
  /// op(B) already in panels (a `PackedMatrix`): B is then not packed again, and `b`/`ldb`
  /// are not read.
  var packedB: PackedPanels? = nil
  /// Added to every row of C after the product (`[N]`): a linear layer's bias.
  var bias: UnsafePointer<Float>? = nil
  /// C clamped at 0 after the bias: the feed-forward network's ReLU.
  var relu = false
}

/// Where the panels of a `PackedMatrix` are, and which of them a product's column 0 is.
struct PackedPanels {
  /// Depth block `pc` starts at `base + pc·panelCount·NR`; its panel p is `kcBlock·NR` after
  /// the previous one.
  var base: UnsafePointer<Float>
  /// Panels across the whole matrix.
  var panelCount: Int
  /// The panel holding the product's first column (a slab's offset).
  var firstPanel: Int

  /// The first panel of columns `column…` of depth block `row` (`depth` deep).
  @inline(__always)
  func block(row: Int, depth: Int, column: Int) -> UnsafePointer<Float> {
    base + row * panelCount * GEMM.nr + (firstPanel + column / GEMM.nr) * depth * GEMM.nr
  }
}

/// The cache-blocked GEMM (the Goto/BLIS loop nest).
///
/// Each thread owns a slab of C (see `compute(_:threads:)`). On its slab, for each column block
/// of `nc` columns and each depth block of `kc`: B's block is packed into `NR`-wide panels; then
/// for each row block of up to `mc` rows, A's block is packed into `MR`-tall panels and the
/// `MR×NR` micro-kernel runs over every (row panel, column panel) pair. Packed A (`mc×kc`,
/// ~120 KB) stays in L2, a packed B panel (`kc×NR`, 16 KB; 32 KB with the wide AVX-512 tile) in
/// L1, and the packed B block in L3.
/// Slabs start on panel boundaries, so every element of C is summed in the same order whatever
/// the thread count: results are identical for any number of threads.
/// With the last depth block the micro-kernel also adds the problem's bias and clamps at 0 as
/// it stores its tile from registers (the epilogue): `C + bias` after the whole sum, the same
/// numbers as a separate pass over C, without that pass.
enum GEMM {
  /// Rows of the micro-kernel's register tile.
  static let mr = MicroKernel.rows
  /// Columns of the micro-kernel's register tile.
  static let nr = MicroKernel.columns
  /// Depth of a packed block: a `kc×NR` panel of B is 16 KB, half of a 32 KB L1 (32 KB of the
  /// 48 KB L1 of the AVX-512 machines with the wide tile).
  static let kc = 256
  /// Largest row block: `mc×kc` of packed A is ~120 KB, a quarter of L2.
  static let maxRowBlock = 120
  /// Widest column block: `kc×nc` of packed B is 3 MB, well inside the shared L3.
  static let nc = 3072
  /// Below this many multiply-adds a product is not worth a second thread.
  static let parallelThreshold = 1 << 17

  static func run(_ p: GEMMProblem, batch: Int, strideA: Int, strideB: Int, strideC: Int) {
    let started = MatmulTally.add(m: p.m, n: p.n, k: p.k, batch: batch)
    defer {
      MatmulTally.finish(
        started, m: p.m, n: p.n, k: p.k, batch: batch, transposeA: p.transposeA,
        transposeB: p.transposeB, kernel: p.packedB == nil ? .gemm : .packedGEMM)
    }
    let threads = Parallel.threadCount
    let work = p.m * p.n * max(p.k, 1)
    if batch == 1 {
      compute(p, threads: work >= parallelThreshold ? threads : 1)
    } else if work >= parallelThreshold * 4 {
      // Large items: one after another, each using every thread.
      for i in 0..<batch {
        compute(offset(p, i, strideA, strideB, strideC), threads: threads)
      }
    } else {
      // Small items (the attention heads): one thread per range of items.
      parallelForRanges(batch, threads: threads, minimumPerThread: max(1, parallelThreshold / work))
      { range in
        computeSerially(
          { offset(p, range.lowerBound + $0, strideA, strideB, strideC) }, count: range.count)
      }
    }
  }

  private static func offset(
    _ p: GEMMProblem, _ i: Int, _ strideA: Int, _ strideB: Int, _ strideC: Int
  ) -> GEMMProblem {
    var q = p
    q.a += i * strideA
    q.b += i * strideB
    q.c += i * strideC
    return q
  }

  /// One product over `threads` threads.
  ///
  /// C is cut into one slab per thread, of whole micro-tile panels: by rows when M ≥ N (each
  /// thread packs its own rows of A and all of B), else by columns (its own columns of B and all
  /// of A). Each thread then runs the serial loop nest on its slab with buffers of its own, so
  /// there is one dispatch per product and no barrier between depth blocks; the operand packed
  /// twice costs 1/slab-size of the arithmetic.
  static func compute(_ p: GEMMProblem, threads: Int) {
    let byRows = p.m >= p.n
    let panelSize = byRows ? mr : nr
    let panels = ((byRows ? p.m : p.n) + panelSize - 1) / panelSize
    let parts = max(1, min(threads, panels))
    if parts == 1 {
      computeSerially({ _ in p }, count: 1)
      return
    }
    parallelForRanges(parts, threads: parts) { range in
      for part in range {
        let extent = byRows ? p.m : p.n
        let first = min(extent, panels * part / parts * panelSize)
        let last = min(extent, panels * (part + 1) / parts * panelSize)
        guard last > first else { continue }
        var slab = p
        if byRows {
          slab.m = last - first
          slab.a = p.transposeA ? p.a + first : p.a + first * p.lda
          slab.c = p.c + first * p.ldc
        } else {
          slab.n = last - first
          slab.b = p.transposeB ? p.b + first * p.ldb : p.b + first
          slab.c = p.c + first
          slab.packedB?.firstPanel += first / nr
          slab.bias = p.bias.map { $0 + first }
        }
        computeSerially({ _ in slab }, count: 1)
      }
    }
  }

  /// Products of the same sizes, one after another on the calling thread, reusing its buffers.
  static func computeSerially(_ problems: (Int) -> GEMMProblem, count: Int) {
    guard count > 0 else { return }
    let plan = BlockPlan(problems(0))
    ScratchPool.withBuffer(count: plan.packedBCount) { packedB in
      ScratchPool.withBuffer(count: plan.packedACount) { packedA in
        for i in 0..<count { compute(problems(i), plan, packedA: packedA, packedB: packedB) }
      }
    }
  }

  /// The loop nest on the calling thread.
  private static func compute(
    _ p: GEMMProblem, _ plan: BlockPlan, packedA: UnsafeMutablePointer<Float>,
    packedB: UnsafeMutablePointer<Float>
  ) {
    if p.k == 0 {
      // An empty sum: C = 0 (or C unchanged when accumulating), then the epilogue.
      let epilogue = MicroKernel.Epilogue(bias: p.bias, relu: p.relu)
      for i in 0..<p.m {
        let row = p.c + i * p.ldc
        if !p.accumulate { row.update(repeating: 0, count: p.n) }
        for j in 0..<p.n { row[j] = epilogue.apply(row[j], j) }
      }
      return
    }
    var jc = 0
    while jc < p.n {
      let ncBlock = min(nc, p.n - jc)
      let columnPanels = (ncBlock + nr - 1) / nr
      var pc = 0
      while pc < p.k {
        let kcBlock = min(kc, p.k - pc)
        let accumulate = p.accumulate || pc > 0
        // The bias and the clamp go on once C holds the whole sum: after the last depth block.
        let lastBlock = pc + kcBlock == p.k
        let bias = lastBlock ? p.bias.map { $0 + jc } : nil
        let relu = lastBlock && p.relu
        let bBlock: UnsafePointer<Float>
        if let packed = p.packedB {
          bBlock = packed.block(row: pc, depth: kcBlock, column: jc)
        } else {
          for panel in 0..<columnPanels {
            let j0 = panel * nr
            Packing.packB(
              p, row: pc, depth: kcBlock, column: jc + j0, width: min(nr, ncBlock - j0),
              into: packedB + panel * kcBlock * nr)
          }
          bBlock = UnsafePointer(packedB)
        }
        for rowBlock in 0..<plan.rowBlocks {
          // Blocks differ by at most one panel.
          let i0 = plan.rowPanels * rowBlock / plan.rowBlocks * mr
          let mcBlock = min(plan.rowPanels * (rowBlock + 1) / plan.rowBlocks * mr, p.m) - i0
          let rowPanels = (mcBlock + mr - 1) / mr
          if p.transposeA {
            Packing.packATransposed(
              p, row: i0, height: mcBlock, depth: pc, count: kcBlock, into: packedA)
          } else {
            for panel in 0..<rowPanels {
              Packing.packA(
                p, row: i0 + panel * mr, height: min(mr, mcBlock - panel * mr), depth: pc,
                count: kcBlock, into: packedA + panel * kcBlock * mr)
            }
          }
          for columnPanel in 0..<columnPanels {
            let j = columnPanel * nr
            let bPanel = bBlock + columnPanel * kcBlock * nr
            for rowPanel in 0..<rowPanels {
              let i = rowPanel * mr
              MicroKernel.run(
                depth: kcBlock, a: packedA + rowPanel * kcBlock * mr, b: bPanel,
                c: p.c + (i0 + i) * p.ldc + jc + j, ldc: p.ldc, height: min(mr, mcBlock - i),
                width: min(nr, ncBlock - j), alpha: p.alpha, accumulate: accumulate,
                epilogue: MicroKernel.Epilogue(bias: bias.map { $0 + j }, relu: relu))
            }
          }
        }
        pc += kcBlock
      }
      jc += ncBlock
    }
  }

  /// How a product is cut into row blocks.
  struct BlockPlan {
    /// Panels of `MR` rows covering M.
    var rowPanels: Int
    /// Row blocks; block b holds panels `rowPanels·b/rowBlocks ..< rowPanels·(b+1)/rowBlocks`.
    var rowBlocks: Int
    var packedACount: Int
    var packedBCount: Int

    init(_ p: GEMMProblem) {
      rowPanels = max(1, (p.m + mr - 1) / mr)
      rowBlocks = max(1, min((p.m + maxRowBlock - 1) / maxRowBlock, rowPanels))
      let panelsPerBlock = (rowPanels + rowBlocks - 1) / rowBlocks
      packedACount = panelsPerBlock * mr * min(kc, max(p.k, 1))
      packedBCount =
        p.packedB != nil ? 0 : min(kc, max(p.k, 1)) * min(nc, roundUp(max(p.n, 1), nr))
    }
  }

  @inline(__always)
  static func roundUp(_ x: Int, _ multiple: Int) -> Int { (x + multiple - 1) / multiple * multiple }
}
