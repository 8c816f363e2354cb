import XCTest

@testable import Tensors

final class HeadLayoutTests: XCTestCase {
  func testSplitAndMergeFollowTheIndexFormulas() {
    for (batch, length, heads, headSize) in [
      (1, 1, 1, 1), (2, 3, 4, 15), (3, 17, 2, 16), (2, 5, 3, 17), (1, 33, 1, 33),
    ] {
      let width = heads * headSize
      let x = randomArray(batch * length * width, seed: 1)
      let split = [Float](repeating: .nan, count: x.count).mutated {
        splitHeads(x, into: $0, batch: batch, length: length, heads: heads, headSize: headSize)
      }
      for b in 0..<batch {
        for h in 0..<heads {
          for t in 0..<length {
            for k in 0..<headSize {
              XCTAssertEqual(
                split[((b * heads + h) * length + t) * headSize + k],
                x[(b * length + t) * width + h * headSize + k])
            }
          }
        }
      }
      let merged = [Float](repeating: .nan, count: x.count).mutated {
        mergeHeads(split, into: $0, batch: batch, length: length, heads: heads, headSize: headSize)
      }
      XCTAssertEqual(merged, x, "merge undoes split")
      // Each is the other's backward: with accumulate, merge adds the head gradients back.
      let start = randomArray(x.count, seed: 2)
      let added = start.mutated {
        mergeHeads(
          split, into: $0, batch: batch, length: length, heads: heads, headSize: headSize,
          accumulate: true)
      }
      XCTAssertEqual(added, zip(start, x).map(+))
      let addedSplit = start.mutated {
        splitHeads(
          x, into: $0, batch: batch, length: length, heads: heads, headSize: headSize,
          accumulate: true)
      }
      XCTAssertEqual(addedSplit, zip(start, split).map(+))
    }
  }

  /// With a capacity, split writes positions `0..<T` of a longer per-head buffer (a key–value
  /// cache) and leaves the rest alone.
  func testSplitIntoALongerBufferLeavesTheOtherPositions() {
    for (batch, length, heads, headSize, capacity) in [
      (1, 1, 1, 1, 2), (3, 1, 2, 17, 5), (2, 2, 3, 16, 7),
    ] {
      let width = heads * headSize
      let x = randomArray(batch * length * width, seed: 5)
      let start = randomArray(batch * heads * capacity * headSize, seed: 6)
      let position = capacity - length  // written at the last positions
      let y = start.mutated {
        splitHeads(
          x, into: $0 + position * headSize, batch: batch, length: length, heads: heads,
          headSize: headSize, capacity: capacity)
      }
      for b in 0..<batch {
        for h in 0..<heads {
          for c in 0..<capacity {
            for k in 0..<headSize {
              let index = ((b * heads + h) * capacity + c) * headSize + k
              let t = c - position
              XCTAssertEqual(
                y[index], t >= 0 ? x[(b * length + t) * width + h * headSize + k] : start[index])
            }
          }
        }
      }
    }
  }

  func testTransposeLastTwo() {
    for (batch, rows, columns) in [(1, 1, 1), (2, 15, 17), (3, 16, 33)] {
      let x = randomArray(batch * rows * columns, seed: 3)
      let y = transposedLastTwo(Tensor(shape: [batch, rows, columns], scalars: x))
      XCTAssertEqual(y.shape, [batch, columns, rows])
      for b in 0..<batch {
        for r in 0..<rows {
          for c in 0..<columns { XCTAssertEqual(y[b, c, r], x[(b * rows + r) * columns + c]) }
        }
      }
      let back = y.scalars
      let again = [Float](repeating: 1, count: x.count).mutated {
        transposeLastTwo(
          back, into: $0, batch: batch, rows: columns, columns: rows, accumulate: true)
      }
      XCTAssertEqual(again, x.map { $0 + 1 })
    }
  }

  func testSameWithOneAndTwoThreadsAndTensorForms() {
    // 800 rows: enough to split over two threads.
    let x = Tensor(shape: [8, 100, 96], scalars: randomArray(8 * 100 * 96, seed: 4))
    assertSameWithOneAndTwoThreads {
      splitHeads(x, heads: 6).scalars + mergeHeads(splitHeads(x, heads: 6)).scalars
    }
    var split = splitHeads(x, heads: 6)
    XCTAssertEqual(split.shape, [8, 6, 100, 16])
    XCTAssertEqual(mergeHeads(split).scalars, x.scalars)
    var gradient = Tensor(shape: [8, 100, 96], repeating: 1)
    mergeHeads(split, into: &gradient, accumulate: true)
    XCTAssertEqual(gradient.scalars, x.scalars.map { $0 + 1 })
    splitHeads(x, heads: 6, into: &split, accumulate: true)
    XCTAssertEqual(split.scalars, splitHeads(x, heads: 6).scalars.map { 2 * $0 })
  }
}
