import Foundation
import XCTest

@testable import Tensors

final class SoftmaxTests: XCTestCase {
  /// The masks exercised on every size: none, lengths, padding matrix, causal, and all combined.
  private func masks(batch: Int, keys: Int, queries: Int) -> [AttentionMask] {
    let lengths = (0..<batch).map { b in b == 0 ? keys : max(0, keys - 1 - 3 * b) }
    var generator = RandomGenerator(seed: 99)
    let padding = (0..<batch * keys).map { _ in generator.nextUniform() < 0.3 }
    return [
      .none, AttentionMask(keyLengths: lengths), AttentionMask(keyIsPadding: padding), .causal(),
      .causal(offset: keys - queries),
      AttentionMask(keyLengths: lengths, keyIsPadding: padding, causalOffset: 1),
    ]
  }

  func testForwardMatchesReferenceOnAwkwardSizes() {
    for keys in [1, 15, 16, 17, 33] {
      let (batch, heads, queries) = (3, 2, 5)
      let n = batch * heads * queries * keys
      let x = randomArray(n, seed: UInt64(keys), low: -8, high: 8)
      for mask in masks(batch: batch, keys: keys, queries: queries) {
        for scale: Float in [1, 0.125] {
          let fast = [Float](repeating: .nan, count: n).mutated {
            softmaxForward(
              x, into: $0, batch: batch, heads: heads, queries: queries, keys: keys, scale: scale,
              mask: mask)
          }
          let slow = [Float](repeating: .nan, count: n).mutated {
            softmaxForwardReference(
              x, into: $0, batch: batch, heads: heads, queries: queries, keys: keys, scale: scale,
              mask: mask)
          }
          assertClose(fast, slow, absolute: 1e-7, relative: 2e-6, "S = \(keys) \(mask)")
          // Masked entries are exactly 0; rows sum to 1, or are all 0 with no visible key.
          for row in 0..<batch * heads * queries {
            let probabilities = fast[row * keys..<(row + 1) * keys]
            let reference = slow[row * keys..<(row + 1) * keys]
            for (p, q) in zip(probabilities, reference) where q == 0 { XCTAssertEqual(p, 0) }
            let total = probabilities.reduce(0, +)
            XCTAssertTrue(total == 0 || abs(total - 1) < 1e-5, "row sum \(total)")
            XCTAssertFalse(probabilities.contains { $0.isNaN })
          }
        }
      }
    }
  }

  func testFullyMaskedRowIsZeroNotNaN() {
    let x = randomArray(2 * 4 * 5, seed: 3)
    let mask = AttentionMask(keyLengths: [0, 3], causalOffset: -2)
    let y = softmax(Tensor(shape: [2, 4, 5], scalars: x), mask: mask).scalars
    XCTAssertEqual(Array(y[0..<20]), [Float](repeating: 0, count: 20), "key length 0")
    // Batch 1, queries 0 and 1 see no key (t − 2 < 0); query 2 sees key 0 only.
    XCTAssertEqual(Array(y[20..<30]), [Float](repeating: 0, count: 10))
    XCTAssertEqual(Array(y[30..<35]), [1, 0, 0, 0, 0])
    let allPadding = AttentionMask(keyIsPadding: [Bool](repeating: true, count: 5))
    XCTAssertEqual(
      softmax(Tensor(shape: [1, 5], scalars: [1, 2, 3, 4, 5]), mask: allPadding).scalars,
      [0, 0, 0, 0, 0])
  }

  func testStableForHugeScores() {
    let y = softmax(Tensor(shape: [2, 3], scalars: [1e4, -1e4, 1e4 - 1, -1e30, 1e30, 3e38])).scalars
    XCTAssertFalse(y.contains { !$0.isFinite })
    XCTAssertEqual(y[0], Float(1 / (1 + exp(-1.0))), accuracy: 1e-6)
    XCTAssertEqual(y[1], 0)
    XCTAssertEqual(y[5], 1)
  }

  func testIncrementalDecodingOffsetMatchesFullCausalRows() {
    // The last query of a full causal pass equals a single query with offset = past length.
    let (queries, keys) = (6, 6)
    let x = randomArray(queries * keys, seed: 8)
    let full = softmax(Tensor(shape: [queries, keys], scalars: x), mask: .causal()).scalars
    let last = softmax(
      Tensor(shape: [1, keys], scalars: Array(x[30..<36])), mask: .causal(offset: 5)
    ).scalars
    XCTAssertEqual(Array(full[30..<36]), last)
    let third = softmax(
      Tensor(shape: [1, keys], scalars: Array(x[12..<18])), mask: .causal(offset: 2)
    ).scalars
    XCTAssertEqual(Array(full[12..<18]), third)
  }

  /// Masked, scaled softmax of one row in Double.
  private func softmaxRow(_ x: [Double], visible: [Bool], scale: Double) -> [Double] {
    let z = x.map { $0 * scale }
    guard let best = zip(z, visible).filter({ $0.1 }).map({ $0.0 }).max() else {
      return x.map { _ in 0 }
    }
    let e = zip(z, visible).map { $1 ? exp($0 - best) : 0 }
    let total = e.reduce(0, +)
    return e.map { $0 / total }
  }

  func testBackwardMatchesFiniteDifferences() {
    for keys in [1, 15, 16, 17, 33] {
      let x = randomArray(keys, seed: 40 + UInt64(keys), low: -3, high: 3)
      let dy = randomArray(keys, seed: 50 + UInt64(keys))
      let visible = (0..<keys).map { $0 % 5 != 3 }
      let padding = visible.map { !$0 }
      let scale: Float = 0.5
      let mask = AttentionMask(keyIsPadding: padding)
      let y = [Float](repeating: 0, count: keys).mutated {
        softmaxForward(
          x, into: $0, batch: 1, heads: 1, queries: 1, keys: keys, scale: scale, mask: mask)
      }
      let numeric = finiteDifferences(x.map(Double.init)) { p in
        zip(softmaxRow(p, visible: visible, scale: Double(scale)), dy).map { $0 * Double($1) }
          .reduce(0, +)
      }
      let start = randomArray(keys, seed: 60)
      let written = start.mutated {
        softmaxBackward(
          probabilities: y, outputGradient: dy, into: $0, rows: 1, columns: keys, scale: scale,
          accumulate: false)
      }
      assertClose(written, numeric, absolute: 1e-5, relative: 1e-3, "S = \(keys)")
      for s in 0..<keys where !visible[s] { XCTAssertEqual(written[s], 0) }
      let added = start.mutated {
        softmaxBackward(
          probabilities: y, outputGradient: dy, into: $0, rows: 1, columns: keys, scale: scale,
          accumulate: true)
      }
      assertClose(
        added, (0..<keys).map { Double(start[$0]) + numeric[$0] }, absolute: 1e-5, relative: 1e-3)
    }
  }

  func testSameWithOneAndTwoThreads() {
    let (batch, heads, queries, keys) = (4, 2, 80, 33)  // 640 rows: enough to split
    let n = batch * heads * queries * keys
    let x = randomArray(n, seed: 70)
    let dy = randomArray(n, seed: 71)
    let mask = AttentionMask(keyLengths: [33, 20, 7, 1], causalOffset: 0)
    assertSameWithOneAndTwoThreads {
      let y = [Float](repeating: 0, count: n).mutated {
        softmaxForward(
          x, into: $0, batch: batch, heads: heads, queries: queries, keys: keys, scale: 0.3,
          mask: mask)
      }
      let dx = [Float](repeating: 0, count: n).mutated {
        softmaxBackward(
          probabilities: y, outputGradient: dy, into: $0, rows: n / keys, columns: keys, scale: 0.3,
          accumulate: true)
      }
      return y + dx
    }
  }

  func testTensorForms() {
    let scores = Tensor(shape: [1, 1, 2, 3], scalars: [0, 0, 0, 1, 2, 3])
    let y = softmax(scores, mask: .causal())
    XCTAssertEqual(y.shape, [1, 1, 2, 3])
    assertClose(y.scalars, [1, 0, 0, 1 / (1 + exp(1.0)), exp(1.0) / (1 + exp(1.0)), 0])
    var dx = Tensor(shape: [1, 1, 2, 3], repeating: 0)
    softmaxBackward(
      probabilities: y, outputGradient: Tensor(shape: [1, 1, 2, 3], repeating: 1), into: &dx,
      accumulate: true)
    assertClose(dx.scalars, [Double](repeating: 0, count: 6))
  }
}
