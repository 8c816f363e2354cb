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
}
