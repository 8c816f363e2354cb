import Foundation
import XCTest

@testable import Tensors

final class LogSoftmaxTests: XCTestCase {
  func testForwardMatchesReferenceAndIsStable() {
    for columns in [1, 15, 16, 17, 33, 1000] {
      let rows = 5
      let x = randomArray(rows * columns, seed: UInt64(columns), low: -9, high: 9)
      let fast = [Float](repeating: .nan, count: x.count).mutated {
        logSoftmaxForward(x, into: $0, rows: rows, columns: columns)
      }
      let slow = [Float](repeating: .nan, count: x.count).mutated {
        logSoftmaxForwardReference(x, into: $0, rows: rows, columns: columns)
      }
      assertClose(fast, slow, absolute: 2e-6, relative: 1e-6, "V = \(columns)")
    }
    let huge = logSoftmax(Tensor(shape: [1, 3], scalars: [1e4, -1e4, 1e4])).scalars
    assertClose(huge, [-log(2.0), -2e4 - log(2.0), -log(2.0)], absolute: 1e-3, relative: 1e-6)
  }

  func testArgMaxPicksTheFirstLargestCandidateWithItsLogProbability() {
    for columns in [1, 15, 16, 17, 33, 1000] {
      let rows = 6
      var x = randomArray(rows * columns, seed: UInt64(columns) + 100, low: -9, high: 9)
      // Row 1 ties its two largest candidates, row 2 has its maximum before its first candidate.
      if columns > 20 {
        x[columns + 3] = 20
        x[columns + 19] = 20
        x[2 * columns] = 30
      }
      let first: (Int) -> Int = { r in columns > 20 ? [0, 2, 1, 5, 17, 3][r] : 0 }
      let picks = logSoftmaxArgMax(x, rows: rows, columns: columns, firstColumn: first)
      // Greedy search's pick without a score: the same columns.
      XCTAssertEqual(
        argMax(x, rows: rows, columns: columns, firstColumn: first), picks.map(\.column),
        "V = \(columns)")
      let logProbabilities = [Float](repeating: .nan, count: x.count).mutated {
        logSoftmaxForward(x, into: $0, rows: rows, columns: columns)
      }
      for r in 0..<rows {
        var best = first(r)
        for c in first(r)..<columns where x[r * columns + c] > x[r * columns + best] { best = c }
        XCTAssertEqual(picks[r].column, best, "row \(r), V = \(columns)")
        XCTAssertEqual(
          picks[r].logProbability, logProbabilities[r * columns + best], "row \(r), V = \(columns)")
      }
      if columns > 20 {
        XCTAssertEqual(picks[1].column, 3)
        XCTAssertNotEqual(picks[2].column, 0)
      }
    }
  }

  /// Beam search's pick against sorting every `offset + logSoftmaxForward` score of each group:
  /// the same candidates and scores bit for bit, ties to the lower (row, column), rows with a
  /// −∞ offset and −∞ scores left out, groups spread over threads.
  func testTopCandidatesMatchSortingEveryScore() {
    let cases = [(1, 1, 2), (5, 4, 3), (17, 3, 8), (33, 4, 8), (1000, 4, 8), (8000, 2, 3)]
    for (columns, groupSize, count) in cases {
      let rows = 12 * groupSize
      // Few distinct logits, so that many scores tie.
      var x = randomArray(rows * columns, seed: UInt64(columns * 7 + groupSize), low: -4, high: 4)
        .map { ($0 * 2).rounded() / 2 }
      x[min(5, x.count - 1)] = -.infinity
      // Rows 0 and 2 of a group hold the same logits at the same offset: every score ties.
      if groupSize >= 3 {
        for group in 0..<(rows / groupSize) {
          let (from, to) = (group * groupSize * columns, (group * groupSize + 2) * columns)
          x.replaceSubrange(to..<(to + columns), with: x[from..<(from + columns)])
        }
      }
      // Rows 3, 8, … are impossible; odd rows start lower.
      let offsets: [Float] = (0..<rows).map { r in
        if r % 5 == 3 { return -Float.infinity }
        return r % 2 == 0 ? 0 : -Float(r) / 4
      }
      let logProbabilities = [Float](repeating: .nan, count: x.count).mutated {
        logSoftmaxForward(x, into: $0, rows: rows, columns: columns)
      }
      for firstColumn in Set([0, min(3, columns - 1), columns]) {
        let picks = logSoftmaxTopCandidates(
          x, rows: rows, columns: columns, groupSize: groupSize, offsets: offsets,
          firstColumn: firstColumn, count: count)
        XCTAssertEqual(picks.count, rows / groupSize)
        for group in 0..<(rows / groupSize) {
          var all: [ScoredCandidate] = []
          for r in (group * groupSize)..<((group + 1) * groupSize) where offsets[r] > -.infinity {
            for c in firstColumn..<columns {
              let score = offsets[r] + logProbabilities[r * columns + c]
              if score > -.infinity { all.append(ScoredCandidate(row: r, column: c, score: score)) }
            }
          }
          // A stable sort by score keeps (row, column) order among ties.
          let expected = all.enumerated().sorted {
            ($0.element.score, -$0.offset) > ($1.element.score, -$1.offset)
          }.prefix(count).map(\.element)
          XCTAssertEqual(
            picks[group], expected, "V \(columns), group \(group), first \(firstColumn)")
        }
      }
    }
  }

  func testBackwardMatchesFiniteDifferences() {
    for columns in [1, 15, 16, 17, 33] {
      let x = randomArray(2 * columns, seed: 3)
      let dy = randomArray(2 * columns, seed: 4)
      let y = logSoftmax(Tensor(shape: [2, columns], scalars: x))
      let numeric = finiteDifferences(x.map(Double.init)) { p in
        var total = 0.0
        for r in 0..<2 {
          let row = Array(p[r * columns..<(r + 1) * columns])
          let m = row.max()!
          let lse = m + log(row.map { exp($0 - m) }.reduce(0, +))
          for c in 0..<columns { total += Double(dy[r * columns + c]) * (row[c] - lse) }
        }
        return total
      }
      var dx = Tensor(shape: [2, columns], repeating: .nan)
      logSoftmaxBackward(
        output: y, outputGradient: Tensor(shape: [2, columns], scalars: dy), into: &dx,
        accumulate: false)
      assertClose(dx.scalars, numeric, absolute: 1e-5, relative: 1e-3, "V = \(columns)")
    }
  }
}
