import Foundation
import XCTest

@testable import Tensors

final class CrossEntropyTests: XCTestCase {
  private let ignore = 0

  /// Targets in 1..<V with every third row the ignore index 0 (V = 1 has only ignored rows).
  private func targets(rows: Int, vocabulary: Int, seed: UInt64) -> [Int] {
    var generator = RandomGenerator(seed: seed)
    return (0..<rows).map { r in
      r % 3 == 1 || vocabulary == 1 ? 0 : 1 + Int(generator.next() % UInt64(vocabulary - 1))
    }
  }

  func testForwardMatchesReference() {
    for vocabulary in [1, 15, 16, 17, 33, 1000] {
      let rows = 7
      let logits = randomArray(rows * vocabulary, seed: UInt64(vocabulary), low: -6, high: 6)
      let ids = targets(rows: rows, vocabulary: vocabulary, seed: 3)
      for smoothing: Float in [0, 0.1] {
        for ignoreIndex in [ignore, nil] as [Int?] {
          var statistics = [Float](repeating: 0, count: 2 * rows)
          let fast = crossEntropyForward(
            logits: logits, targets: ids, rows: rows, vocabularySize: vocabulary,
            labelSmoothing: smoothing,
            ignoreIndex: ignoreIndex, statistics: &statistics)
          let slow = crossEntropyForwardReference(
            logits: logits, targets: ids, rows: rows, vocabularySize: vocabulary,
            labelSmoothing: smoothing,
            ignoreIndex: ignoreIndex)
          XCTAssertEqual(fast.count, slow.count)
          XCTAssertEqual(
            fast.loss, slow.loss, accuracy: 1e-5 * max(1, slow.loss),
            "V = \(vocabulary) ε = \(smoothing)")
          XCTAssertEqual(
            fast.negativeLogLikelihood, slow.negativeLogLikelihood,
            accuracy: 1e-5 * max(1, slow.loss))
        }
      }
    }
  }

  func testKnownValueWithSmoothing() {
    // PyTorch: F.cross_entropy(torch.tensor([[1., 2., 3.]]), torch.tensor([0]), label_smoothing=0.1)
    // = 0.9·(lse − 1) + 0.1·(lse − mean(logits)) = 2.3076060, lse = log(e + e² + e³).
    let result = crossEntropy(
      logits: Tensor(shape: [1, 3], scalars: [1, 2, 3]), targets: [0], labelSmoothing: 0.1)
    let lse = log(exp(1.0) + exp(2.0) + exp(3.0))
    XCTAssertEqual(result.totals.negativeLogLikelihood, lse - 1, accuracy: 1e-6)
    XCTAssertEqual(result.totals.loss, 0.9 * (lse - 1) + 0.1 * (lse - 2), accuracy: 1e-6)
    XCTAssertEqual(result.totals.loss, 2.3076060, accuracy: 1e-6)
  }

  func testHugeLogitsAreFiniteAndCorrect() {
    let v = 40
    var logits = [Float](repeating: -1e4, count: 3 * v)
    logits[0] = 1e4  // row 0: target 0 is certain → loss 0
    logits[v + 5] = 1e4  // row 1: target 7 has logit −1e4 against one at 1e4 → NLL 2e4
    for i in 2 * v..<3 * v { logits[i] = i % 2 == 0 ? 1e4 : -1e4 }  // row 2: 20 tied maxima
    let ids = [0, 7, 2]
    let result = crossEntropy(
      logits: Tensor(shape: [3, v], scalars: logits), targets: ids, labelSmoothing: 0.1)
    XCTAssertTrue(result.totals.loss.isFinite && result.totals.negativeLogLikelihood.isFinite)
    let reference = crossEntropyForwardReference(
      logits: logits, targets: ids, rows: 3, vocabularySize: v, labelSmoothing: 0.1)
    XCTAssertEqual(result.totals.negativeLogLikelihood, 2e4 + log(20.0), accuracy: 1e-3)
    XCTAssertEqual(result.totals.loss, reference.loss, accuracy: 1e-3)
    var gradient = Tensor(shape: [3, v], repeating: .nan)
    crossEntropyBackward(
      logits: Tensor(shape: [3, v], scalars: logits), targets: ids, statistics: result.statistics,
      labelSmoothing: 0.1, scale: 1, into: &gradient, accumulate: false)
    XCTAssertTrue(gradient.scalars.allSatisfy { $0.isFinite })
    XCTAssertEqual(gradient[0, 0], 1 - (0.9 + 0.1 / 40), accuracy: 1e-6)
    XCTAssertEqual(gradient[1, 5], 1 - 0.1 / 40, accuracy: 1e-6)
    XCTAssertEqual(gradient[1, 7], -0.9 - 0.1 / 40, accuracy: 1e-6)
    XCTAssertEqual(gradient[2, 2], 1.0 / 20 - 0.9 - 0.1 / 40, accuracy: 1e-6)
  }

  func testBackwardMatchesFiniteDifferencesAndIgnoredRowsAreZero() {
    for vocabulary in [1, 15, 16, 17, 33] {
      let rows = 4
      let logits = randomArray(rows * vocabulary, seed: 20 + UInt64(vocabulary), low: -3, high: 3)
      let ids = targets(rows: rows, vocabulary: vocabulary, seed: 21)
      let smoothing: Float = 0.1
      let scale: Float = 0.7
      var statistics = [Float](repeating: 0, count: 2 * rows)
      _ = crossEntropyForward(
        logits: logits, targets: ids, rows: rows, vocabularySize: vocabulary,
        labelSmoothing: smoothing,
        ignoreIndex: ignore, statistics: &statistics)
      let numeric = finiteDifferences(logits.map(Double.init), step: 1e-3) { point in
        // scale × the summed smoothed loss, in Double.
        var total = 0.0
        for r in 0..<rows where ids[r] != self.ignore {
          let row = Array(point[r * vocabulary..<(r + 1) * vocabulary])
          let m = row.max()!
          let lse = m + log(row.map { exp($0 - m) }.reduce(0, +))
          for v in 0..<vocabulary {
            let q =
              (v == ids[r] ? 1 - Double(smoothing) : 0) + Double(smoothing) / Double(vocabulary)
            total -= q * (row[v] - lse)
          }
        }
        return Double(scale) * total
      }
      let start = randomArray(rows * vocabulary, seed: 22)
      let written = [Float](repeating: .nan, count: rows * vocabulary).mutated {
        crossEntropyBackward(
          logits: logits, targets: ids, statistics: statistics, rows: rows,
          vocabularySize: vocabulary,
          labelSmoothing: smoothing, ignoreIndex: ignore, scale: scale, into: $0, accumulate: false)
      }
      assertClose(written, numeric, absolute: 1e-5, relative: 1e-3, "V = \(vocabulary)")
      let added = start.mutated {
        crossEntropyBackward(
          logits: logits, targets: ids, statistics: statistics, rows: rows,
          vocabularySize: vocabulary,
          labelSmoothing: smoothing, ignoreIndex: ignore, scale: scale, into: $0, accumulate: true)
      }
      assertClose(
        added, zip(start, numeric).map { Double($0) + $1 }, absolute: 1e-5, relative: 1e-3)
      for r in 0..<rows where ids[r] == ignore {
        XCTAssertEqual(
          Array(written[r * vocabulary..<(r + 1) * vocabulary]),
          [Float](repeating: 0, count: vocabulary))
        XCTAssertEqual(
          Array(added[r * vocabulary..<(r + 1) * vocabulary]),
          Array(start[r * vocabulary..<(r + 1) * vocabulary]))
      }
    }
  }

  func testSameWithOneAndTwoThreads() {
    let (rows, vocabulary) = (300, 100)
    let logits = randomArray(rows * vocabulary, seed: 30, low: -5, high: 5)
    let ids = targets(rows: rows, vocabulary: vocabulary, seed: 31)
    assertSameWithOneAndTwoThreads {
      let output = crossEntropy(
        logits: Tensor(shape: [rows, vocabulary], scalars: logits), targets: ids,
        labelSmoothing: 0.1, ignoreIndex: ignore)
      var gradient = Tensor(shape: [rows, vocabulary], repeating: 0)
      crossEntropyBackward(
        logits: Tensor(shape: [rows, vocabulary], scalars: logits), targets: ids,
        statistics: output.statistics,
        labelSmoothing: 0.1, ignoreIndex: ignore, scale: 1 / Float(output.totals.count),
        into: &gradient, accumulate: false)
      return [Float(output.totals.loss), Float(output.totals.negativeLogLikelihood)]
        + output.statistics.scalars + gradient.scalars
    }
  }

  func testForwardWithGradientMatchesBackward() {
    // The gradient written by the forward against the backward's, and the same totals.
    for vocabulary in [1, 15, 16, 17, 1000] {
      let rows = 301  // odd, split over two threads
      let logits = Tensor(
        shape: [rows, vocabulary],
        scalars: randomArray(rows * vocabulary, seed: UInt64(40 + vocabulary), low: -8, high: 8))
      let ids = targets(rows: rows, vocabulary: vocabulary, seed: 41)
      for smoothing: Float in [0, 0.1] {
        let plain = crossEntropy(
          logits: logits, targets: ids, labelSmoothing: smoothing, ignoreIndex: ignore)
        let scale = 1 / Float(max(plain.totals.count, 1))
        var expected = Tensor(shape: [rows, vocabulary], repeating: 0)
        crossEntropyBackward(
          logits: logits, targets: ids, statistics: plain.statistics, labelSmoothing: smoothing,
          ignoreIndex: ignore, scale: scale, into: &expected, accumulate: false)
        let (totals, gradient) = crossEntropyWithGradient(
          logits: logits, targets: ids, labelSmoothing: smoothing, ignoreIndex: ignore,
          gradientScale: scale)
        XCTAssertEqual(totals, plain.totals, "V = \(vocabulary)")
        XCTAssertEqual(gradient.shape, [rows, vocabulary])
        assertClose(
          gradient.scalars, expected.scalars.map(Double.init), absolute: 1e-9, relative: 1e-5,
          "V = \(vocabulary) ε = \(smoothing)")
        // Ignored rows (every third) are exactly 0.
        XCTAssertTrue(gradient.scalars[vocabulary..<2 * vocabulary].allSatisfy { $0 == 0 })
      }
    }
    let logits = Tensor(shape: [300, 100], scalars: randomArray(30_000, seed: 42))
    let ids = targets(rows: 300, vocabulary: 100, seed: 43)
    assertSameWithOneAndTwoThreads {
      crossEntropyWithGradient(
        logits: logits, targets: ids, labelSmoothing: 0.1, ignoreIndex: ignore,
        gradientScale: 0.01
      ).gradient.scalars
    }
  }
}
