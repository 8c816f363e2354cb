import XCTest

@testable import Autograd
@testable import Tensors

/// The memory-efficient attention op: the same values and gradients as the standard fused
/// `attention` op, and gradients that agree with finite differences for what only it has
/// (ALiBi, windows, grouped-query heads).
final class MemoryEfficientAttentionOpTests: XCTestCase {
  /// The output and the gradients of `inputs` for the projection seed, from one recorded call.
  private func valueAndGradients(_ inputs: [Variable], _ f: () -> Variable) -> [Tensor] {
    for x in inputs { x.zeroGradient() }
    let tape = Tape()
    let y = tape.record(f)
    tape.backward(from: y, seed: GradientCheck.projection(shape: y.shape, seed: 11))
    defer { for x in inputs { x.zeroGradient() } }
    return [y.value] + inputs.map { $0.gradient ?? Tensor(shape: $0.shape) }
  }

  /// Element-wise |a − b| ≤ 1e-5·(largest |b| of the tensor, at least 1e-2 of the largest |b|
  /// of all) + 1e-5·|b|: the floor keeps gradients that are exactly 0 in theory (one visible
  /// key) from comparing rounding noise with rounding noise.
  private func assertMatch(
    _ actual: [Tensor], _ expected: [Tensor], _ message: String, line: UInt = #line
  ) {
    let overall = expected.map { $0.scalars.map { abs(Double($0)) }.max() ?? 0 }.max() ?? 0
    for (index, (a, b)) in zip(actual, expected).enumerated() {
      XCTAssertEqual(a.shape, b.shape, line: line)
      let expected = b.scalars.map { Double($0) }
      let scale: Double = max(expected.map { abs($0) }.max() ?? 0, 1e-2 * overall)
      var worst = 0.0
      for (x, y) in zip(a.scalars, expected) {
        let tolerance: Double = 1e-5 * scale + 1e-5 * abs(y) + 1e-30
        worst = max(worst, abs(Double(x) - y) / tolerance)
      }
      XCTAssertLessThanOrEqual(
        worst, 1, "tensor \(index) (0 output, 1 dq, 2 dk, 3 dv) \(message)", line: line)
    }
  }

  func testValuesAndGradientsMatchTheStandardOp() {
    var inputs = Inputs(seed: 51)
    for (queries, keys, headSize) in [(1, 1, 7), (15, 16, 13), (17, 17, 64), (33, 70, 8)] {
      let q = inputs.variable([2, 2, queries, headSize], "query")  // [B, H, T, K]
      let k = inputs.variable([2, 2, keys, headSize], "key")  // [B, H, S, K]
      let v = inputs.variable([2, 2, keys, headSize], "value")
      for mask in [
        AttentionMask.none, AttentionMask(keyLengths: [keys, keys / 2]), .causal(),
        AttentionMask(keyLengths: [keys, 0], causalOffset: keys - queries),
        AttentionMask(keyIsPadding: (0..<(2 * keys)).map { $0 % 3 == 1 }, causalOffset: -1),
      ] {
        let standard = valueAndGradients([q, k, v]) {
          attention(query: q, key: k, value: v, mask: mask)
        }
        let tiled = valueAndGradients([q, k, v]) {
          memoryEfficientAttention(query: q, key: k, value: v, mask: mask)
        }
        assertMatch(tiled, standard, "T \(queries) S \(keys) K \(headSize) \(mask)")
      }
    }
  }

  /// A thousand queries and keys: gradients summed over 16 key tiles (dQ) and 32 query tiles
  /// (dK, dV) still agree with the standard op's.
  func testLongSequenceGradientsMatchTheStandardOp() {
    var inputs = Inputs(seed: 59)
    let q = inputs.variable([1, 2, 1000, 16], "query")
    let k = inputs.variable([1, 2, 1000, 16], "key")
    let v = inputs.variable([1, 2, 1000, 16], "value")
    for mask in [AttentionMask.causal(), AttentionMask(keyLengths: [900])] {
      let standard = valueAndGradients([q, k, v]) {
        attention(query: q, key: k, value: v, mask: mask)
      }
      let tiled = valueAndGradients([q, k, v]) {
        memoryEfficientAttention(query: q, key: k, value: v, mask: mask)
      }
      assertMatch(tiled, standard, "T 1000 \(mask)")
    }
  }

  /// One seed drawn the same way gives the standard op's dropout mask bit for bit, so values
  /// and gradients agree with dropout too, and the generator advances alike.
  func testDropoutMatchesTheStandardOp() {
    var inputs = Inputs(seed: 52)
    let q = inputs.variable([2, 2, 20, 13], "query")
    let k = inputs.variable([2, 2, 37, 13], "key")
    let v = inputs.variable([2, 2, 37, 13], "value")
    let mask = AttentionMask(keyLengths: [37, 20], causalOffset: 17)
    var standardGenerator = RandomGenerator(seed: 4)
    var tiledGenerator = RandomGenerator(seed: 4)
    let standard = valueAndGradients([q, k, v]) {
      attention(query: q, key: k, value: v, mask: mask, dropout: 0.3, using: &standardGenerator)
    }
    let tiled = valueAndGradients([q, k, v]) {
      memoryEfficientAttention(
        query: q, key: k, value: v, mask: mask, dropout: 0.3, using: &tiledGenerator)
    }
    assertMatch(tiled, standard, "dropout 0.3")
    XCTAssertEqual(standardGenerator, tiledGenerator)
    // Not training: no dropout and no draw.
    let before = tiledGenerator
    let evaluation = memoryEfficientAttention(
      query: q, key: k, value: v, mask: mask, dropout: 0.3, isTraining: false,
      using: &tiledGenerator)
    XCTAssertEqual(tiledGenerator, before)
    assertMatch(
      [evaluation.value], [attention(query: q, key: k, value: v, mask: mask).value], "eval")
  }

  func testGradientsMatchFiniteDifferences() {
    var inputs = Inputs(seed: 53)
    let q = inputs.variable([2, 2, 5, 3], "query")  // [B, H, T, K]
    let k = inputs.variable([2, 2, 6, 3], "key")  // [B, H, S, K]
    let v = inputs.variable([2, 2, 6, 3], "value")
    let slopes: [Float] = [0.5, 0.3]
    for (mask, window, alibi) in [
      (AttentionMask.none, nil, nil), (AttentionMask(keyLengths: [6, 4]), nil, slopes),
      (.causal(offset: 1), 3, nil),
      (AttentionMask(keyLengths: [6, 0], causalOffset: 1), 2, slopes),
      (AttentionMask(keyIsPadding: (0..<12).map { $0 % 4 == 2 }), 4, slopes),
    ] as [(AttentionMask, Int?, [Float]?)] {
      assertGradientsMatch([q, k, v]) {
        memoryEfficientAttention(
          query: q, key: k, value: v, mask: mask, alibiSlopes: alibi, window: window)
      }
    }
  }

  /// The encoder's bidirectional window (|i − s| < W), alone, with padding, ALiBi and a
  /// grouped key/value head.
  func testBidirectionalWindowGradientsMatchFiniteDifferences() {
    var inputs = Inputs(seed: 57)
    let q = inputs.variable([2, 2, 7, 3], "query")  // [B, H, T, K]
    let k = inputs.variable([2, 1, 7, 3], "key")  // [B, G, S, K]
    let v = inputs.variable([2, 1, 7, 3], "value")
    for (mask, window, alibi) in [
      (AttentionMask.none, 2, nil), (AttentionMask(keyLengths: [7, 4]), 3, [0.5, 0.3]),
      (AttentionMask(keyIsPadding: (0..<14).map { $0 % 3 == 1 }), 1, nil),
    ] as [(AttentionMask, Int, [Float]?)] {
      assertGradientsMatch([q, k, v]) {
        memoryEfficientAttention(
          query: q, key: k, value: v, mask: mask, alibiSlopes: alibi, window: window,
          bidirectionalWindow: true)
      }
    }
  }

  /// Grouped-query attention: two query heads per key/value head; each key/value gradient sums
  /// its group's contributions.
  func testGroupedQueryGradientsMatchFiniteDifferences() {
    var inputs = Inputs(seed: 54)
    let q = inputs.variable([1, 4, 5, 3], "query")  // [B, H, T, K]
    let k = inputs.variable([1, 2, 7, 3], "key")  // [B, G, S, K]
    let v = inputs.variable([1, 2, 7, 3], "value")
    assertGradientsMatch([q, k, v]) {
      memoryEfficientAttention(
        query: q, key: k, value: v, mask: .causal(offset: 2), alibiSlopes: [0.1, 0.2, 0.4, 0.8],
        window: 4)
    }
  }

  /// With a fixed seed the dropout mask is fixed, so finite differences see the same function
  /// the backward differentiates.
  func testDropoutGradientsMatchFiniteDifferences() {
    var inputs = Inputs(seed: 55)
    let q = inputs.variable([2, 2, 5, 3], "query")
    let k = inputs.variable([2, 1, 6, 3], "key")
    let v = inputs.variable([2, 1, 6, 3], "value")
    assertGradientsMatch([q, k, v]) {
      var generator = RandomGenerator(seed: 8)
      return memoryEfficientAttention(
        query: q, key: k, value: v, mask: AttentionMask(keyLengths: [6, 3]),
        alibiSlopes: [0.2, 0.6],
        window: 5, dropout: 0.4, using: &generator)
    }
  }

  /// The finite-difference check is strict enough to catch a wrong gradient of this op: here
  /// backward differentiates attention with the keys as values, while the perturbed calls use
  /// the real values.
  func testGradientCheckCatchesAMismatch() {
    var inputs = Inputs(seed: 56)
    let q = inputs.variable([1, 1, 4, 3], "query")
    let k = inputs.variable([1, 1, 4, 3], "key")
    let v = inputs.variable([1, 1, 4, 3], "value")
    var calls = 0
    let report = GradientCheck().check([q, k, v]) {
      calls += 1
      return memoryEfficientAttention(query: q, key: k, value: calls == 1 ? k : v)
    }
    XCTAssertFalse(report.passed)
  }

  /// Self-attention on one variable (query, key and value the same) and repeated use of the op
  /// accumulate into one gradient, as the standard op does.
  func testSharedInputsAccumulate() {
    var inputs = Inputs(seed: 57)
    let x = inputs.variable([1, 2, 9, 5], "x")
    let y = inputs.variable([1, 2, 9, 5], "y")
    let mask = AttentionMask.causal()
    let standard = valueAndGradients([x, y]) {
      attention(query: x, key: x, value: x, mask: mask) + attention(query: y, key: x, value: y)
    }
    let tiled = valueAndGradients([x, y]) {
      memoryEfficientAttention(query: x, key: x, value: x, mask: mask)
        + memoryEfficientAttention(query: y, key: x, value: y)
    }
    assertMatch(tiled, standard, "shared inputs")
  }

  /// Only the needed gradients are computed; a constant input gets none.
  func testConstantInputsGetNoGradient() {
    var inputs = Inputs(seed: 58)
    let q = inputs.variable([1, 2, 6, 4], "query")
    let k = inputs.constant([1, 2, 6, 4])
    let v = inputs.variable([1, 2, 6, 4], "value")
    let standard = valueAndGradients([q, v]) { attention(query: q, key: k, value: v) }
    let tiled = valueAndGradients([q, v]) { memoryEfficientAttention(query: q, key: k, value: v) }
    assertMatch(tiled, standard, "constant key")
    XCTAssertNil(k.gradient)
  }
}
