import XCTest

@testable import Autograd
@testable import Tensors

/// The checker is only worth something if it fails on wrong gradients: these tests record ops
/// with deliberately broken pullbacks and require a rejection, next to the correct pullback's
/// acceptance with the same step and tolerances.
final class GradientCheckTests: XCTestCase {
  /// `a · b` with a pullback for `a` that `mistake` may corrupt; `b` is a constant.
  private func product(_ a: Variable, _ b: Tensor, mistake: @escaping (Tensor, Tensor) -> Tensor)
    -> Variable
  {
    let value = matmul(a.value, b)
    guard let tape = Tape.active(a) else { return Variable(value) }
    return tape.append("test product", value) { g in
      a.cell!.accumulate(mistake(g, b), from: "test product")
    }
  }

  func testRejectsWrongSignAndTransposedGradient() {
    var inputs = Inputs(seed: 11)
    let a = inputs.variable([4, 4], "a")
    let b = inputs.constant([4, 4]).value
    let right = GradientCheck().check([a]) {
      self.product(a, b) { g, b in matmul(g, b, transposeB: true) }
    }
    XCTAssertTrue(right.passed, "\(right)")
    let negated = GradientCheck().check([a]) {
      self.product(a, b) { g, b in matmul(g, b, transposeB: true, alpha: -1) }
    }
    XCTAssertFalse(negated.passed, "a negated gradient was accepted")
    // dA = (G·Bᵀ)ᵀ: the right shape (A is square) and the right numbers in the wrong places.
    let transposed = GradientCheck().check([a]) {
      self.product(a, b) { g, b in matmul(b, g, transposeB: true) }
    }
    XCTAssertFalse(transposed.passed, "a transposed gradient was accepted")
  }

  func testRejectsAFivePercentScaling() {
    var inputs = Inputs(seed: 12)
    let a = inputs.variable([3, 4], "a")
    let b = inputs.constant([4, 5]).value
    let scaled = GradientCheck().check([a]) {
      self.product(a, b) { g, b in matmul(g, b, transposeB: true, alpha: 1.05) }
    }
    XCTAssertFalse(scaled.passed, "a gradient 5% too large was accepted")
  }

  /// The softmax pullback without its `− Σ g·y` term, and x ⊙ x differentiated as if one factor
  /// were constant: the typical missing term.
  func testRejectsMissingTerms() {
    var inputs = Inputs(seed: 13)
    let x = inputs.variable([3, 5], "x", low: -2, high: 2)
    func square(missingTerm: Bool) -> Variable {
      let value = x.value * x.value
      guard let tape = Tape.active(x) else { return Variable(value) }
      return tape.append("test square", value) { g in
        x.cell!.accumulate((missingTerm ? 1 : 2) * (g * x.value), from: "test square")
      }
    }
    XCTAssertTrue(GradientCheck().check([x]) { square(missingTerm: false) }.passed)
    XCTAssertFalse(GradientCheck().check([x]) { square(missingTerm: true) }.passed)

    func rowSoftmax(missingTerm: Bool) -> Variable {
      let columns = 5
      var y = x.value
      for r in 0..<3 {
        let row = (0..<columns).map { x.value[r, $0] }
        let top = row.max()!
        let total = row.reduce(0) { $0 + exp($1 - top) }
        for c in 0..<columns { y[r, c] = exp(row[c] - top) / total }
      }
      guard let tape = Tape.active(x) else { return Variable(y) }
      return tape.append("test softmax", y) { g in
        var dx = g * y
        if !missingTerm {
          for r in 0..<3 {
            let dot = (0..<columns).reduce(Float(0)) { $0 + g[r, $1] * y[r, $1] }
            for c in 0..<columns { dx[r, c] -= y[r, c] * dot }
          }
        }
        x.cell!.accumulate(dx, from: "test softmax")
      }
    }
    XCTAssertTrue(GradientCheck().check([x]) { rowSoftmax(missingTerm: false) }.passed)
    XCTAssertFalse(GradientCheck().check([x]) { rowSoftmax(missingTerm: true) }.passed)
  }

  /// A gradient that forgets one input's contribution entirely (zero) is rejected too, and the
  /// report names the failing input.
  func testReportNamesTheFailingInput() {
    var inputs = Inputs(seed: 14)
    let a = inputs.variable([2, 3], "a")
    let b = inputs.variable([2, 3], "b")
    let report = GradientCheck().check([a, b]) {
      let value = a.value * b.value
      guard let tape = Tape.active(a, b) else { return Variable(value) }
      return tape.append("test forgetful product", value) { g in
        a.cell!.accumulate(g * b.value, from: "test forgetful product")
      }
    }
    XCTAssertTrue(report.inputs[0].passed)
    XCTAssertFalse(report.inputs[1].passed)
    XCTAssertTrue(report.description.contains("b: FAILED"), report.description)
  }
}
