import XCTest

@testable import Autograd
@testable import Tensors

/// The engine itself: what is recorded, what is kept, how gradients accumulate.
final class TapeTests: XCTestCase {
  func testNoGradModeRecordsNothing() {
    var inputs = Inputs(seed: 21)
    let w = inputs.variable([4, 3], "w")
    let x = inputs.constant([2, 4])
    // No tape recording: the result is a constant, nothing is kept for backward.
    let outside = relu(matmul(x, w))
    XCTAssertFalse(outside.requiresGradient)
    XCTAssertFalse(outside.isIntermediate)
    XCTAssertFalse(Tape.isRecording)

    let tape = Tape()
    let inside = tape.record { () -> Variable in
      XCTAssertTrue(Tape.isRecording)
      let noGrad = Tape.withoutRecording { () -> Variable in
        XCTAssertFalse(Tape.isRecording)
        return gelu(matmul(x, w))
      }
      XCTAssertFalse(noGrad.requiresGradient)
      // Operations on constants alone need no gradient and are not recorded either.
      _ = relu(x) + x
      return noGrad
    }
    XCTAssertEqual(tape.recordedCount, 0)
    XCTAssertFalse(inside.requiresGradient)

    // The same computation, recorded, gives the same values.
    let recorded = tape.record { gelu(matmul(x, w)) }
    XCTAssertEqual(tape.recordedCount, 2)
    XCTAssertEqual(recorded.value.scalars, inside.value.scalars)
    tape.reset()
    XCTAssertEqual(tape.recordedCount, 0)
  }

  /// The tape keeps exactly what the pullbacks read, and releases it in backward.
  func testTapeKeepsOnlyWhatBackwardReadsAndReleasesIt() {
    var inputs = Inputs(seed: 22)
    let w = inputs.variable([4, 4], "w")
    let bias = inputs.variable([4], "bias")
    let x = inputs.constant([3, 4])
    let tape = Tape()
    weak var product: TensorStorage?  // read by no pullback (an addition's input)
    weak var hidden: TensorStorage?  // read by the pullback of matmul(h, w)
    weak var hiddenVariable: Variable?
    let loss = tape.record { () -> Variable in
      let p = matmul(x, w)  // [3, 4]
      product = p.value.storage
      let h = relu(p + bias)  // [3, 4]
      hidden = h.value.storage
      hiddenVariable = h
      return sum(matmul(h, w))
    }
    XCTAssertNil(product, "a tensor no backward reads was kept")
    XCTAssertNil(hiddenVariable, "the tape keeps tensors, not variables")
    XCTAssertNotNil(hidden, "a tensor the backward reads was dropped")
    loss.backward()
    XCTAssertEqual(tape.recordedCount, 0)
    XCTAssertNil(hidden, "a tensor saved for backward outlived it")
    XCTAssertNil(loss.gradient, "an intermediate's gradient is transient")
    XCTAssertNotNil(w.gradient)
    XCTAssertNotNil(bias.gradient)
  }

  func testParameterGradientsAccumulateAcrossBackwardsUntilZeroed() {
    var inputs = Inputs(seed: 23)
    let w = inputs.variable([3, 2], "w")
    let x = inputs.constant([4, 3])
    func step() {
      let tape = Tape()
      tape.record { mean(gelu(matmul(x, w))) }.backward()
    }
    step()
    let once = w.gradient!.scalars
    step()
    for (twice, single) in zip(w.gradient!.scalars, once) {
      XCTAssertEqual(twice, 2 * single, accuracy: 1e-6)
    }
    w.zeroGradient()
    step()
    XCTAssertEqual(w.gradient!.scalars, once)
  }

  /// A variable used in several places receives the sum of every use's gradient.
  func testVariableUsedThriceAccumulatesAllContributions() {
    var inputs = Inputs(seed: 24)
    let shared = inputs.variable([4, 4], "shared")
    let x = inputs.constant([3, 4])
    let gamma = inputs.constant([4], low: 0.5, high: 1.5)
    let beta = inputs.constant([4])
    let uses: [(Variable) -> Variable] = [
      { e in matmul(x, e) },
      { e in layerNorm(e, gamma: gamma, beta: beta) * e },
      { e in matmul(x, e, transposeB: true) },
    ]
    let total = { sum(uses[0](shared)) + 2 * sum(uses[1](shared)) + 3 * sum(uses[2](shared)) }
    let tape = Tape()
    tape.backward(from: tape.record(total))
    let together = shared.gradient!.scalars

    var separate = [Float](repeating: 0, count: shared.count)
    for (weight, use) in zip([Float(1), 2, 3], uses) {
      let copy = Variable(shared.value, requiresGradient: true)
      let tape = Tape()
      tape.backward(from: tape.record { weight * sum(use(copy)) })
      for (i, g) in copy.gradient!.scalars.enumerated() { separate[i] += g }
    }
    for (a, b) in zip(together, separate) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    assertGradientsMatch([shared], total)
  }

  /// The completion hook reports each parameter once, right after its last contribution (a
  /// weight read twice completes at its earlier read), and its gradient is final by then, also
  /// when it accumulates over an earlier backward.
  func testBackwardReportsEachParameterWhenItsGradientIsFinal() {
    var inputs = Inputs(seed: 24)
    let w = inputs.variable([3, 3], "w")
    let bias = inputs.variable([3], "bias")
    let v = inputs.variable([3, 3], "v")
    let unused = inputs.variable([2], "unused")
    let x = inputs.constant([4, 3])
    let parameters = [w, bias, v, unused]
    func loss() -> Variable {
      let a = matmul(x, w)  // [4, 3], the first read of w
      let b = relu(a + bias)
      let c = matmul(b, v)
      return mean(matmul(c, w))  // the second read of w, first in backward
    }
    let earlier = Tape()
    earlier.record(loss).backward()  // an earlier batch: the hook must see the sum
    var order: [Int] = []
    var atCompletion: [Int: [Float]] = [:]
    let tape = Tape()
    tape.record(loss).backward(reporting: parameters) { index in
      order.append(index)
      atCompletion[index] = parameters[index].gradient!.scalars
    }
    XCTAssertEqual(order, [2, 1, 0], "v, then bias, then w at its first read; unused never")
    for index in order {
      XCTAssertEqual(atCompletion[index], parameters[index].gradient!.scalars, parameters[index].name)
    }
    XCTAssertNil(unused.gradient)
  }
}
