import XCTest

@testable import Autograd
@testable import Tensors

/// The fused `linear(x, weight:, bias:)` against finite differences and, bit for bit, against
/// the two ops it replaces (`matmul(x, W) + b`).
final class LinearOpTests: XCTestCase {
  func testGradientsMatchFiniteDifferences() {
    var inputs = Inputs(seed: 21)
    let x = inputs.variable([2, 3, 4], "x")  // [B, T, in]
    let w = inputs.variable([4, 5], "w")  // [in, out]
    let b = inputs.variable([5], "b")  // [out]
    assertGradientsMatch([x, w, b]) { linear(x, weight: w, bias: b) }
    assertGradientsMatch([x, w]) { linear(x, weight: w, bias: nil) }
    let matrix = inputs.variable([3, 4], "matrix")  // [R, in]
    assertGradientsMatch([matrix, w, b]) { linear(matrix, weight: w, bias: b) }
    // x used twice: both contributions reach its gradient.
    let square = inputs.variable([4, 4], "square")
    assertGradientsMatch([x, square]) {
      linear(linear(x, weight: square, bias: nil), weight: square, bias: nil)
    }
  }

  func testMultiplyByAConstantPassesTheGradient() {
    // `x ⊙ c` with c constant: x's gradient is g ⊙ c (it once kept c only when c needed a
    // gradient, so x got none).
    var inputs = Inputs(seed: 23)
    let x = inputs.variable([2, 5], "x")
    let c = inputs.constant([2, 5])
    assertGradientsMatch([x]) { x * c }
    assertGradientsMatch([x]) { c * x }
  }

  func testSameBitsAsMatmulPlusBias() {
    var inputs = Inputs(seed: 22)
    // Odd sizes: edge tiles of the GEMM and a partial vector in the bias add and column sums.
    let x = inputs.variable([3, 7, 37], "x")
    let w = inputs.variable([37, 19], "w")
    let b = inputs.variable([19], "b")
    let upstream = inputs.constant([3, 7, 19])
    // Value and the three gradients, from a fresh backward of sum(y ⊙ upstream).
    func run(_ f: () -> Variable) -> [[UInt32]] {
      for v in [x, w, b] { v.zeroGradient() }
      let tape = Tape()
      var value: Tensor?
      tape.record { () -> Variable in
        let y = f()
        value = y.value
        return sum(y * upstream)
      }.backward()
      return ([value!] + [x, w, b].map { $0.gradient! }).map { $0.scalars.map(\.bitPattern) }
    }
    let fused = run { linear(x, weight: w, bias: b) }
    let separate = run { matmul(x, w) + b }
    XCTAssertEqual(fused, separate)
  }

  func testLinearReLUGradientsMatchFiniteDifferences() {
    var inputs = Inputs(seed: 24)
    let x = inputs.variable([2, 3, 4], "x", low: -0.25, high: 0.25)  // [B, T, in]
    let w = inputs.variable([4, 6], "w", low: -0.25, high: 0.25)  // [in, out]
    // |x·W| ≤ 0.25, so a bias of ±1 keeps every sum away from ReLU's kink at 0: three columns
    // pass the gradient, three block it.
    let b = Variable(
      Tensor(shape: [6], scalars: [1, -1, 1, -1, 1, -1]), requiresGradient: true, name: "b")
    assertGradientsMatch([x, w, b]) { linearReLU(x, weight: w, bias: b) }
  }

  func testLinearReLUSameBitsAsReLUOfLinear() {
    var inputs = Inputs(seed: 25)
    // Odd sizes, about half the sums negative.
    let x = inputs.variable([3, 7, 37], "x")
    let w = inputs.variable([37, 19], "w")
    let b = inputs.variable([19], "b")
    let upstream = inputs.constant([3, 7, 19])
    func run(_ f: () -> Variable) -> [[UInt32]] {
      for v in [x, w, b] { v.zeroGradient() }
      let tape = Tape()
      var value: Tensor?
      tape.record { () -> Variable in
        let y = f()
        value = y.value
        return sum(y * upstream)
      }.backward()
      return ([value!] + [x, w, b].map { $0.gradient! }).map { $0.scalars.map(\.bitPattern) }
    }
    let fused = run { linearReLU(x, weight: w, bias: b) }
    let separate = run { relu(linear(x, weight: w, bias: b)) }
    XCTAssertEqual(fused, separate)
    let zeros = fused[0].filter { $0 == 0 }.count
    XCTAssertGreaterThan(zeros, 0)
    XCTAssertLessThan(zeros, fused[0].count)
  }

  func testDropoutAddSameBitsAndDrawAsResidualPlusDropout() {
    var inputs = Inputs(seed: 26)
    let x = inputs.variable([3, 5, 17], "x")  // a sub-layer's output
    let residual = inputs.variable([3, 5, 17], "residual")
    let upstream = inputs.constant([3, 5, 17])
    func run(_ f: (inout RandomGenerator) -> Variable) -> (bits: [[UInt32]], next: UInt64) {
      for v in [x, residual] { v.zeroGradient() }
      var generator = RandomGenerator(seed: 9)
      let tape = Tape()
      var value: Tensor?
      tape.record { () -> Variable in
        let y = f(&generator)
        value = y.value
        return sum(y * upstream)
      }.backward()
      let bits = ([value!] + [x, residual].map { $0.gradient! }).map {
        $0.scalars.map(\.bitPattern)
      }
      return (bits, generator.next())
    }
    let fused = run { dropoutAdd(x, residual: residual, probability: 0.3, using: &$0) }
    let separate = run { residual + dropout(x, probability: 0.3, using: &$0) }
    XCTAssertEqual(fused.bits, separate.bits)
    XCTAssertEqual(fused.next, separate.next, "the same draws from the generator")
    // Some of x's gradient is ±0: elements were dropped.
    XCTAssertTrue(fused.bits[1].contains { $0 & 0x7FFF_FFFF == 0 })
    assertGradientsMatch([x, residual]) {
      var generator = RandomGenerator(seed: 7)
      return dropoutAdd(x, residual: residual, probability: 0.4, using: &generator)
    }
    // Evaluation: the plain sum, no draw.
    var generator = RandomGenerator(seed: 7)
    let before = generator
    let plain = dropoutAdd(
      x, residual: residual, probability: 0.4, isTraining: false, using: &generator)
    XCTAssertEqual(plain.value.scalars, (residual.value + x.value).scalars)
    XCTAssertEqual(generator, before)
  }
}
