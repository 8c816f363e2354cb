import XCTest

@testable import Autograd
@testable import Tensors

/// Padding and extreme values: the cases that produce NaN in a careless implementation.
final class MaskingTests: XCTestCase {
  /// A row with no visible key (here batch element 1 has key length 0, and under a causal mask
  /// with offset −1 query 0 sees nothing) is defined as probabilities 0 and gradient 0.
  func testFullyMaskedRowsAreZeroNotNaN() {
    var inputs = Inputs(seed: 41)
    let scores = inputs.variable([2, 2, 3, 4], "scores")  // [B, H, T, S]
    for mask in [
      AttentionMask(keyLengths: [4, 0]), AttentionMask(keyLengths: [2, 3], causalOffset: -1),
    ] {
      let tape = Tape()
      let p = tape.record { softmax(scores, mask: mask) }
      tape.backward(from: p, seed: GradientCheck.projection(shape: p.shape, seed: 2))
      assertFinite(p.value, "probabilities")
      assertFinite(scores.gradient, "score gradient")
      for b in 0..<2 {
        for h in 0..<2 {
          for t in 0..<3 {
            let row = (0..<4).map { p.value[b, h, t, $0] }
            let visible = mask.causalOffset == nil ? (b == 0 ? 4 : 0) : min([2, 3][b], t)
            XCTAssertEqual(row.reduce(0, +), visible == 0 ? 0 : 1, accuracy: 1e-5)
            for s in visible..<4 {
              XCTAssertEqual(row[s], 0)
              XCTAssertEqual(scores.gradient![b, h, t, s], 0)
            }
          }
        }
      }
      scores.zeroGradient()
      assertGradientsMatch([scores]) { softmax(scores, mask: mask) }
    }

    // Through the fused attention: a batch element with no keys gives zero outputs and gradients.
    let q = inputs.variable([2, 1, 3, 4], "query")
    let k = inputs.variable([2, 1, 2, 4], "key")
    let v = inputs.variable([2, 1, 2, 4], "value")
    let tape = Tape()
    let y = tape.record {
      attention(query: q, key: k, value: v, mask: AttentionMask(keyLengths: [2, 0]))
    }
    tape.backward(from: y, seed: GradientCheck.projection(shape: y.shape, seed: 3))
    for tensor in [y.value, q.gradient!, k.gradient!, v.gradient!] {
      assertFinite(tensor, "attention")
      XCTAssertEqual(
        Array(tensor.scalars[(tensor.count / 2)...]), [Float](repeating: 0, count: tensor.count / 2)
      )
    }
  }

  func testSoftmaxAndCrossEntropyStayFiniteForHugeLogits() {
    let huge = Tensor(shape: [2, 4], scalars: [1e4, -1e4, 1e4 - 1, 0, -1e4, -1e4, 1e4, 5e3])
    let scores = Variable(huge, requiresGradient: true)
    let tape = Tape()
    let p = tape.record { softmax(scores, mask: AttentionMask(causalOffset: 2)) }
    tape.backward(from: p, seed: GradientCheck.projection(shape: p.shape, seed: 4))
    assertFinite(p.value, "softmax of ±1e4")
    assertFinite(scores.gradient, "softmax gradient for ±1e4")
    XCTAssertEqual(p.value[0, 0], 1 / (1 + exp(-1)), accuracy: 1e-6)

    let logits = Variable(huge.reshaped([2, 1, 4]), requiresGradient: true)
    let lossTape = Tape()
    let (loss, totals) = lossTape.record {
      crossEntropy(logits: logits, targets: [1, 0], labelSmoothing: 0.1)
    }
    lossTape.backward(from: loss)
    XCTAssertTrue(loss.value[flat: 0].isFinite)
    XCTAssertEqual(totals.count, 2)
    // Row 0's target has logit −1e4: its loss is about 2e4, computed, not infinite.
    XCTAssertGreaterThan(loss.value[flat: 0], 5e3)
    assertFinite(logits.gradient, "cross-entropy gradient for ±1e4")
    let sums = (0..<2).map { r in (0..<4).reduce(Float(0)) { $0 + logits.gradient![r, 0, $1] } }
    for s in sums { XCTAssertEqual(s, 0, accuracy: 1e-5) }  // softmax − q sums to 0 per row

    let logSoftmaxTape = Tape()
    let logProbabilities = logSoftmaxTape.record { logSoftmax(scores) }
    logSoftmaxTape.backward(
      from: logProbabilities, seed: GradientCheck.projection(shape: [2, 4], seed: 5))
    assertFinite(logProbabilities.value, "log-softmax of ±1e4")
  }

  func testPaddingPositionsGetZeroGradient() {
    var inputs = Inputs(seed: 42)
    let logits = inputs.variable([2, 3, 5], "logits")  // [B, T, V]
    let padding = 0
    let targets = [2, 4, padding, 1, padding, padding]
    let tape = Tape()
    let (loss, totals) = tape.record {
      crossEntropy(logits: logits, targets: targets, labelSmoothing: 0.1, ignoreIndex: padding)
    }
    tape.backward(from: loss)
    XCTAssertEqual(totals.count, 3)
    for (position, target) in targets.enumerated() {
      let row = (0..<5).map { logits.gradient![position / 3, position % 3, $0] }
      if target == padding {
        XCTAssertEqual(row, [0, 0, 0, 0, 0], "padding position \(position) got a gradient")
      } else {
        XCTAssertTrue(row.contains { $0 != 0 })
      }
    }
    // A batch that is all padding: loss 0, gradient 0, no NaN from 0/0.
    logits.zeroGradient()
    let empty = Tape()
    let (emptyLoss, emptyTotals) = empty.record {
      crossEntropy(
        logits: logits, targets: [Int](repeating: padding, count: 6), ignoreIndex: padding)
    }
    empty.backward(from: emptyLoss)
    XCTAssertEqual(emptyTotals.count, 0)
    XCTAssertEqual(emptyLoss.value[flat: 0], 0)
    XCTAssertEqual(logits.gradient!.scalars, [Float](repeating: 0, count: 30))
  }
}
