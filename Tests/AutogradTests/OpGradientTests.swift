import XCTest

@testable import Autograd
@testable import Tensors

/// Every differentiable operation's gradients, for all inputs, against finite differences.
final class OpGradientTests: XCTestCase {
  func testMatmulPlainAndTransposed() {
    var inputs = Inputs(seed: 1)
    for (transposeA, transposeB) in [(false, false), (true, false), (false, true), (true, true)] {
      let a = inputs.variable(transposeA ? [4, 3] : [3, 4], "a")
      let b = inputs.variable(transposeB ? [5, 4] : [4, 5], "b")
      assertGradientsMatch([a, b]) {
        matmul(a, b, transposeA: transposeA, transposeB: transposeB, alpha: 0.7)
      }
    }
  }

  func testMatmulBatched() {
    var inputs = Inputs(seed: 2)
    for (transposeA, transposeB) in [(false, false), (true, false), (false, true), (true, true)] {
      let a = inputs.variable(transposeA ? [2, 2, 4, 3] : [2, 2, 3, 4], "a")  // [B, H, T, K]
      let b = inputs.variable(transposeB ? [2, 2, 5, 4] : [2, 2, 4, 5], "b")
      assertGradientsMatch([a, b]) {
        matmul(a, b, transposeA: transposeA, transposeB: transposeB)
      }
    }
  }

  func testMatmulLinear() {
    var inputs = Inputs(seed: 3)
    for transposeB in [false, true] {
      let x = inputs.variable([2, 3, 4], "x")  // [B, T, D]
      let w = inputs.variable(transposeB ? [5, 4] : [4, 5], "w")
      assertGradientsMatch([x, w]) { matmul(x, w, transposeB: transposeB) }
    }
  }

  func testAddSubtractBroadcast() {
    var inputs = Inputs(seed: 4)
    let a = inputs.variable([2, 3, 4], "a")
    let b = inputs.variable([2, 3, 4], "b")
    let bias = inputs.variable([4], "bias")
    let table = inputs.variable([3, 4], "table")
    assertGradientsMatch([a, b]) { a + b }
    assertGradientsMatch([a, b]) { a - b }
    assertGradientsMatch([a, bias]) { a + bias }
    assertGradientsMatch([a, bias]) { bias + a }
    assertGradientsMatch([a, bias]) { a - bias }
    assertGradientsMatch([a, table]) { a + table }
    assertGradientsMatch([a, table]) { a - table }
  }

  func testMultiplyScaleReshape() {
    var inputs = Inputs(seed: 5)
    let a = inputs.variable([3, 4], "a")
    let b = inputs.variable([3, 4], "b")
    assertGradientsMatch([a, b]) { a * b }
    assertGradientsMatch([a]) { a * a }
    assertGradientsMatch([a]) { -2.5 * a }
    assertGradientsMatch([a, b]) { (a.reshaped([2, 6]) * b.reshaped([2, 6])).reshaped([12]) }
  }

  func testSumAndMean() {
    var inputs = Inputs(seed: 6)
    let a = inputs.variable([3, 5], "a")
    assertGradientsMatch([a]) { sum(a) }
    assertGradientsMatch([a]) { mean(a * a) }
  }

  func testReLUAndGELU() {
    var inputs = Inputs(seed: 7)
    let x = inputs.awayFromZero([4, 6], "x")
    assertGradientsMatch([x]) { relu(x) }
    let y = inputs.variable([4, 6], "y", low: -3, high: 3)
    assertGradientsMatch([y]) { gelu(y) }
  }
}

extension OpGradientTests {
  func testLayerNorm() {
    var inputs = Inputs(seed: 8)
    let x = inputs.variable([2, 3, 6], "x", low: -2, high: 2)
    let gamma = inputs.variable([6], "gamma", low: 0.5, high: 1.5)
    let beta = inputs.variable([6], "beta")
    assertGradientsMatch([x, gamma, beta]) { layerNorm(x, gamma: gamma, beta: beta) }
  }

  func testMaskedSoftmax() {
    var inputs = Inputs(seed: 9)
    let scores = inputs.variable([2, 2, 3, 4], "scores", low: -2, high: 2)  // [B, H, T, S]
    let masks: [AttentionMask] = [
      .none, .causal(), AttentionMask(keyLengths: [4, 2]),
      AttentionMask(keyLengths: [3, 2], causalOffset: 1),
      AttentionMask(keyIsPadding: [false, true, false, false, false, false, true, true]),
    ]
    for mask in masks {
      assertGradientsMatch([scores]) { softmax(scores, scale: 0.6, mask: mask) }
    }
  }
}

extension OpGradientTests {
  func testLabelSmoothedCrossEntropy() {
    var inputs = Inputs(seed: 10)
    let logits = inputs.variable([2, 3, 5], "logits", low: -3, high: 3)  // [B, T, V]
    let targets = [1, 4, 0, 2, 0, 0]  // 0 is padding
    for smoothing: Float in [0, 0.1] {
      for reduction in [LossReduction.mean, .sum] {
        assertGradientsMatch([logits]) {
          crossEntropy(
            logits: logits, targets: targets, labelSmoothing: smoothing, ignoreIndex: 0,
            reduction: reduction
          ).loss
        }
      }
    }
    assertGradientsMatch([logits]) {
      crossEntropy(logits: logits, targets: targets, labelSmoothing: 0.2).loss
    }
  }
}

extension OpGradientTests {
  func testEmbeddingWithRepeatedIds() {
    var inputs = Inputs(seed: 31)
    let table = inputs.variable([6, 4], "table")  // [V, D]
    let ids = [1, 3, 1, 0, 5, 1]  // id 1 three times, ids 2 and 4 unused
    assertGradientsMatch([table]) { embedding(table, ids: ids, shape: [2, 3], scale: 2) }
    XCTAssertNil(table.gradient)
    let tape = Tape()
    let output = tape.record { embedding(table, ids: ids, shape: [2, 3]) }
    XCTAssertEqual(output.shape, [2, 3, 4])
    tape.backward(from: output)  // seed of ones: each row's gradient is the number of its uses
    let gradient = table.gradient!
    for (id, uses) in [(0, 1), (1, 3), (2, 0), (3, 1), (4, 0), (5, 1)] {
      for c in 0..<4 { XCTAssertEqual(gradient[id, c], Float(uses)) }
    }
  }

  func testSplitAndMergeHeads() {
    var inputs = Inputs(seed: 32)
    let x = inputs.variable([2, 3, 6], "x")  // [B, T, H·K]
    let y = inputs.variable([2, 3, 3, 2], "y")  // [B, H, T, K]
    assertGradientsMatch([x]) { splitHeads(x, heads: 3) }
    assertGradientsMatch([y]) { mergeHeads(y) }
    let roundTrip = Tape.withoutRecording { mergeHeads(splitHeads(x, heads: 2)) }
    XCTAssertEqual(roundTrip.value.scalars, x.value.scalars)
  }

  func testDropout() {
    var inputs = Inputs(seed: 33)
    let x = inputs.variable([4, 8], "x")
    assertGradientsMatch([x]) {
      var generator = RandomGenerator(seed: 7)
      return dropout(x, probability: 0.4, using: &generator)
    }
    var generator = RandomGenerator(seed: 7)
    let y = Tape.withoutRecording { dropout(x, probability: 0.4, using: &generator) }.value
    let kept = zip(y.scalars, x.value.scalars).filter { $0.0 != 0 }
    XCTAssertGreaterThan(kept.count, 8)
    XCTAssertLessThan(kept.count, 32)
    for (out, original) in kept { XCTAssertEqual(out, original / 0.6, accuracy: 1e-6) }
    // Evaluation: the identity, no draw.
    let before = generator
    XCTAssertTrue(dropout(x, probability: 0.4, isTraining: false, using: &generator) === x)
    XCTAssertEqual(generator, before)
  }

  func testLogSoftmax() {
    var inputs = Inputs(seed: 34)
    let x = inputs.variable([3, 5], "x", low: -3, high: 3)
    assertGradientsMatch([x]) { logSoftmax(x) }
  }

  func testAttention() {
    var inputs = Inputs(seed: 35)
    let q = inputs.variable([2, 2, 3, 4], "query")  // [B, H, T, K]
    let k = inputs.variable([2, 2, 5, 4], "key")  // [B, H, S, K]
    let v = inputs.variable([2, 2, 5, 4], "value")
    for mask in [
      AttentionMask.none, AttentionMask(keyLengths: [5, 3]),
      AttentionMask(keyLengths: [4, 2], causalOffset: 1),
    ] {
      assertGradientsMatch([q, k, v]) { attention(query: q, key: k, value: v, mask: mask) }
    }
    assertGradientsMatch([q, k, v]) {
      var generator = RandomGenerator(seed: 3)
      return attention(
        query: q, key: k, value: v, mask: AttentionMask(keyLengths: [5, 3]), dropout: 0.3,
        using: &generator)
    }
  }

  /// The fused attention equals the same computation from separate ops, values and gradients.
  func testAttentionMatchesComposedOps() {
    var inputs = Inputs(seed: 36)
    let q = inputs.variable([2, 2, 4, 4], "query")
    let k = inputs.variable([2, 2, 4, 4], "key")
    let v = inputs.variable([2, 2, 4, 4], "value")
    let mask = AttentionMask(keyLengths: [4, 3], causalOffset: 0)
    func gradients(_ f: () -> Variable) -> (Tensor, [Tensor]) {
      for x in [q, k, v] { x.zeroGradient() }
      let tape = Tape()
      let y = tape.record(f)
      tape.backward(from: y, seed: GradientCheck.projection(shape: y.shape, seed: 1))
      return (y.value, [q, k, v].map { $0.gradient! })
    }
    let fused = gradients { attention(query: q, key: k, value: v, mask: mask) }
    let composed = gradients {
      matmul(softmax(matmul(q, k, transposeB: true), scale: 0.5, mask: mask), v)
    }
    for (a, b) in zip([fused.0] + fused.1, [composed.0] + composed.1) {
      for (x, y) in zip(a.scalars, b.scalars) { XCTAssertEqual(x, y, accuracy: 1e-5) }
    }
  }
}
