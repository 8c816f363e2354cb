import Foundation
import Tensors
import XCTest

@testable import NN

/// A minimal parameter class, standing in for autograd's `Variable`.
private final class TestParameter: TrainableParameter {
  let name: String
  var value: Tensor
  var gradient: Tensor?

  init(_ name: String, _ value: Tensor, gradient: Tensor? = nil) {
    self.name = name
    self.value = value
    self.gradient = gradient
  }
}

/// Adam in Double, written out from Kingma & Ba's Algorithm 1, one element at a time.
private struct ReferenceAdam {
  var beta1 = 0.9, beta2 = 0.98, epsilon = 1e-9
  var m: [Double], v: [Double], t = 0

  init(count: Int) {
    m = Array(repeating: 0, count: count)
    v = Array(repeating: 0, count: count)
  }

  mutating func step(_ theta: inout [Double], _ g: [Double], learningRate: Double) {
    t += 1
    for i in theta.indices {
      m[i] = beta1 * m[i] + (1 - beta1) * g[i]
      v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i]
      let mHat = m[i] / (1 - pow(beta1, Double(t)))
      let vHat = v[i] / (1 - pow(beta2, Double(t)))
      theta[i] -= learningRate * mHat / (vHat.squareRoot() + epsilon)
    }
  }
}

final class AdamTests: XCTestCase {
  func testFirstStepMovesEachElementByTheLearningRate() {
    // At t = 1, m̂ = g and v̂ = g², so the step is lr · g / (|g| + ε) ≈ lr · sign(g).
    var values = [Tensor(shape: [2], scalars: [1, -2])]
    var adam = Adam(parameters: [(name: "w", shape: [2])])
    adam.step(&values, gradients: [Tensor(shape: [2], scalars: [0.5, -1])], learningRate: 0.01)
    XCTAssertEqual(values[0].scalars[0], 0.99, accuracy: 1e-6)
    XCTAssertEqual(values[0].scalars[1], -1.99, accuracy: 1e-6)
    XCTAssertEqual(adam.stepCount, 1)
  }

  func testFewStepsMatchHandComputedDouble() {
    // Two elements, four steps with changing gradients and rates, one gradient exactly 0.
    let gradients: [[Double]] = [[0.5, -1], [0.1, 0.3], [-0.2, 0], [2, -0.05]]
    let rates: [Double] = [0.01, 0.02, 0.005, 0.01]
    var reference = ReferenceAdam(count: 2)
    var expected: [Double] = [1, -2]
    var values = [Tensor(shape: [2], scalars: [1, -2])]
    var adam = Adam(parameters: [(name: "w", shape: [2])])
    for (g, rate) in zip(gradients, rates) {
      reference.step(&expected, g, learningRate: rate)
      adam.step(
        &values, gradients: [Tensor(shape: [2], scalars: g.map(Float.init))],
        learningRate: Float(rate))
      for i in 0..<2 {
        XCTAssertEqual(Double(values[0].scalars[i]), expected[i], accuracy: 1e-6, "element \(i)")
        XCTAssertEqual(Double(adam.firstMoments[0].scalars[i]), reference.m[i], accuracy: 1e-7)
        XCTAssertEqual(Double(adam.secondMoments[0].scalars[i]), reference.v[i], accuracy: 1e-7)
      }
    }
  }

  func testVectorisedPathMatchesReference() {
    // 37 elements: two SIMD16 blocks and a tail of 5, with a gradient scale folded in.
    let count = 37
    var random = RandomGenerator(seed: 3)
    let start = (0..<count).map { _ in random.normal() }
    var expected = start.map(Double.init)
    var reference = ReferenceAdam(count: count)
    var values = [Tensor(shape: [count], scalars: start)]
    var adam = Adam(parameters: [(name: "w", shape: [count])])
    for _ in 0..<5 {
      let g = (0..<count).map { _ in random.normal() }
      reference.step(&expected, g.map { Double($0) * 0.5 }, learningRate: 1e-3)
      adam.step(
        &values, gradients: [Tensor(shape: [count], scalars: g)], learningRate: 1e-3,
        gradientScale: 0.5)
    }
    for i in 0..<count {
      XCTAssertEqual(Double(values[0].scalars[i]), expected[i], accuracy: 1e-6, "element \(i)")
    }
  }

  func testUpdatesParametersInPlaceAndSkipsMissingGradients() {
    let updated = TestParameter(
      "a", Tensor(shape: [20], repeating: 1), gradient: Tensor(shape: [20], repeating: 1))
    let untouched = TestParameter("b", Tensor(shape: [3], repeating: 5))
    // The address, not the storage object: holding the object would itself force a copy.
    let address = updated.value.storage.pointer
    var adam = Adam(parameters: [updated, untouched])
    XCTAssertEqual(adam.names, ["a", "b"])
    adam.step([updated, untouched], learningRate: 0.1)
    // The value was written where it lives: no copy-on-write copy was made.
    XCTAssertEqual(updated.value.storage.pointer, address)
    XCTAssertEqual(updated.value.scalars[0], 0.9, accuracy: 1e-6)
    XCTAssertEqual(untouched.value.scalars, [5, 5, 5])
    XCTAssertEqual(adam.secondMoments[1].scalars, [0, 0, 0])
  }

  func testGlobalNormClipping() {
    // 3-4-5 split over two tensors and a missing gradient; 70 elements exercise the SIMD loop.
    var gradients = [Tensor(shape: [1], scalars: [3]), Tensor(shape: [70])]
    gradients[1][flat: 69] = 4
    XCTAssertEqual(GradientClipping.globalNorm(gradients + [nil]), 5, accuracy: 1e-6)
    XCTAssertEqual(GradientClipping.scale(norm: 5, maxNorm: 1), 0.2, accuracy: 1e-7)
    XCTAssertEqual(GradientClipping.scale(norm: 5, maxNorm: 10), 1)
    XCTAssertEqual(GradientClipping.scale(norm: 5, maxNorm: 0), 1)
    let before = GradientClipping.clip(&gradients, maxNorm: 2.5)
    XCTAssertEqual(before, 5, accuracy: 1e-6)
    XCTAssertEqual(gradients[0].scalars, [1.5])
    XCTAssertEqual(gradients[1].scalars[69], 2, accuracy: 1e-6)
    XCTAssertEqual(GradientClipping.globalNorm(gradients), 2.5, accuracy: 1e-6)
  }

  func testThreadSplitGivesTheSameBits() {
    // Parameters of awkward sizes, 99,946 elements in all, so that the two threads' share
    // boundary falls inside a parameter and off a multiple of 16; a missing gradient between.
    let shapes = [[7], [300, 301], [16], [3, 5], [9_608]]
    var random = RandomGenerator(seed: 5)
    let start = shapes.map { Tensor.uniform(shape: $0, low: -1, high: 1, using: &random) }
    let gradients: [Tensor?] = shapes.enumerated().map { index, shape in
      index == 2 ? nil : Tensor.uniform(shape: shape, low: -1, high: 1, using: &random)
    }
    func run(threads: Int) -> [[UInt32]] {
      let saved = Parallel.threadCount
      Parallel.threadCount = threads
      defer { Parallel.threadCount = saved }
      var values = start
      var adam = Adam(parameters: shapes.map { (name: "p", shape: $0) })
      for step in 1...3 {
        adam.step(
          &values, gradients: gradients, learningRate: 1e-2 * Float(step), gradientScale: 0.7)
      }
      return (values + adam.firstMoments + adam.secondMoments).map {
        $0.scalars.map(\.bitPattern)
      }
    }
    let one = run(threads: 1)
    XCTAssertEqual(one, run(threads: 2))
    XCTAssertEqual(one, run(threads: 3))
    // The parameter without a gradient kept its value; the others moved.
    XCTAssertEqual(one[2], start[2].scalars.map(\.bitPattern))
    XCTAssertNotEqual(one[1], start[1].scalars.map(\.bitPattern))
  }
}
