import Foundation

/// One product's operands, as `gemm` received them.
struct GEMMProblem {
  var m: Int, n: Int, k: Int
  var a: UnsafePointer<Float>, lda: Int, transposeA: Bool
  var b: UnsafePointer<Float>, ldb: Int, transposeB: Bool
  var c: UnsafeMutablePointer<Float>, ldc: Int
  var alpha: Float, accumulate: Bool
}

/// The cache-blocked GEMM (the Goto/BLIS loop nest).
///
/// For each column block of `nc` columns and each depth block of `kc`: B's block is packed once
/// into `NR`-wide panels (shared by all threads); then each thread takes row blocks of `mc` rows,
/// packs A's block into `MR`-tall panels of its own and runs the `MR×NR` micro-kernel over every
/// (row panel, column panel) pair. Packed A (`mc×kc`, ~120 KB) stays in L2, a packed B panel
/// (`kc×NR`, 16 KB) in L1, and the whole packed B block in L3. Threads own disjoint blocks of C,
/// so no locks are needed and results do not depend on the thread count.
enum GEMM {
  /// Rows of the micro-kernel's register tile.
  static let mr = MicroKernel.rows
  /// Columns of the micro-kernel's register tile.
  static let nr = MicroKernel.columns
  /// Depth of a packed block: a `kc×NR` panel of B is 16 KB, half of L1.
  static let kc = 256
  /// Largest row block: `mc×kc` of packed A is ~120 KB, a quarter of L2.
  static let maxRowBlock = 120
  /// Widest column block: `kc×nc` of packed B is 3 MB, well inside the shared L3.
  static let nc = 3072
  /// Below this many multiply-adds a product is not worth a second thread.
  static let parallelThreshold = 1 << 17

  static func run(_ p: GEMMProblem, batch: Int, strideA: Int, strideB: Int, strideC: Int) {
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
      parallelForRanges(batch, threads: threads, minimumPerThread: max(1, parallelThreshold / work)) { range in
        computeSerially({ offset(p, range.lowerBound + $0, strideA, strideB, strideC) }, count: range.count)
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
  static func compute(_ p: GEMMProblem, threads: Int) {
    let plan = BlockPlan(p, threads: threads)
    ScratchPool.withBuffer(count: plan.packedBCount) { packedB in
      if threads == 1 {
        ScratchPool.withBuffer(count: plan.packedACount) { packedA in
          compute(p, plan, packedA: packedA, packedB: packedB)
        }
      } else {
        compute(p, plan, packedA: nil, packedB: packedB)
      }
    }
  }

  /// Products of the same sizes, one after another on the calling thread, reusing its buffers.
  static func computeSerially(_ problems: (Int) -> GEMMProblem, count: Int) {
    guard count > 0 else { return }
    let plan = BlockPlan(problems(0), threads: 1)
    ScratchPool.withBuffer(count: plan.packedBCount) { packedB in
      ScratchPool.withBuffer(count: plan.packedACount) { packedA in
        for i in 0..<count { compute(problems(i), plan, packedA: packedA, packedB: packedB) }
      }
    }
  }

  /// The loop nest. `packedA` is nil when several threads run, each taking a buffer of its own.
  private static func compute(
    _ p: GEMMProblem, _ plan: BlockPlan, packedA: UnsafeMutablePointer<Float>?,
    packedB: UnsafeMutablePointer<Float>
  ) {
    if p.k == 0 {
      // An empty sum: C = 0 (or C unchanged when accumulating).
      if !p.accumulate {
        for i in 0..<p.m { (p.c + i * p.ldc).update(repeating: 0, count: p.n) }
      }
      return
    }
    let threads = plan.threads
    let mc = plan.rowBlockHeight
    var jc = 0
    while jc < p.n {
      let ncBlock = min(nc, p.n - jc)
      let columnPanels = (ncBlock + nr - 1) / nr
      // When there are fewer row blocks than threads (short, wide products such as decoding
      // one token against the vocabulary), threads split the column panels as well.
      let columnSplits =
        plan.rowBlocks >= threads ? 1 : min(columnPanels, (threads + plan.rowBlocks - 1) / plan.rowBlocks)
      var pc = 0
      while pc < p.k {
        let kcBlock = min(kc, p.k - pc)
        let accumulate = p.accumulate || pc > 0
        parallelForRanges(columnPanels, threads: threads, minimumPerThread: 8) { panels in
          for panel in panels {
            let j0 = panel * nr
            Packing.packB(
              p, row: pc, depth: kcBlock, column: jc + j0, width: min(nr, ncBlock - j0),
              into: packedB + panel * kcBlock * nr)
          }
        }
        parallelForRanges(plan.rowBlocks * columnSplits, threads: threads) { items in
          let body = { (packedA: UnsafeMutablePointer<Float>) in
            var packedRowBlock = -1
            for item in items {
              let rowBlock = item / columnSplits
              let split = item % columnSplits
              let i0 = rowBlock * mc
              let mcBlock = min(mc, p.m - i0)
              let rowPanels = (mcBlock + mr - 1) / mr
              if rowBlock != packedRowBlock {
                for panel in 0..<rowPanels {
                  Packing.packA(
                    p, row: i0 + panel * mr, height: min(mr, mcBlock - panel * mr), depth: pc,
                    count: kcBlock, into: packedA + panel * kcBlock * mr)
                }
                packedRowBlock = rowBlock
              }
              let firstPanel = columnPanels * split / columnSplits
              let lastPanel = columnPanels * (split + 1) / columnSplits
              for columnPanel in firstPanel..<lastPanel {
                let j = columnPanel * nr
                let width = min(nr, ncBlock - j)
                let bPanel = packedB + columnPanel * kcBlock * nr
                for rowPanel in 0..<rowPanels {
                  let i = rowPanel * mr
                  MicroKernel.run(
                    depth: kcBlock, a: packedA + rowPanel * kcBlock * mr, b: bPanel,
                    c: p.c + (i0 + i) * p.ldc + jc + j, ldc: p.ldc, height: min(mr, mcBlock - i),
                    width: width, alpha: p.alpha, accumulate: accumulate)
                }
              }
            }
          }
          if let packedA {
            body(packedA)
          } else {
            ScratchPool.withBuffer(count: plan.packedACount, body)
          }
        }
        pc += kcBlock
      }
      jc += ncBlock
    }
  }

  /// How a product is cut into row blocks.
  struct BlockPlan {
    var threads: Int
    var rowBlocks: Int
    var rowBlockHeight: Int
    var packedACount: Int
    var packedBCount: Int

    init(_ p: GEMMProblem, threads: Int) {
      self.threads = threads
      let rowPanels = max(1, (p.m + mr - 1) / mr)
      // As few row blocks as fit `maxRowBlock`, rounded up to a multiple of the thread count
      // so that every thread gets the same number of equally tall blocks.
      var blocks = (p.m + maxRowBlock - 1) / maxRowBlock
      if threads > 1 { blocks = (blocks + threads - 1) / threads * threads }
      blocks = max(1, min(blocks, rowPanels))
      rowBlockHeight = (rowPanels + blocks - 1) / blocks * mr
      rowBlocks = max(1, (p.m + rowBlockHeight - 1) / rowBlockHeight)
      packedACount = rowBlockHeight * min(kc, max(p.k, 1))
      packedBCount = min(kc, max(p.k, 1)) * min(nc, roundUp(max(p.n, 1), nr))
    }
  }

  @inline(__always)
  static func roundUp(_ x: Int, _ multiple: Int) -> Int { (x + multiple - 1) / multiple * multiple }
}
