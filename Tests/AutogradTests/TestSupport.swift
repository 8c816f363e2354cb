import XCTest

@testable import Autograd
@testable import Tensors

/// Seeded random leaves and a gradient assertion shared by the autograd tests.
struct Inputs {
  var generator: RandomGenerator

  init(seed: UInt64) { generator = RandomGenerator(seed: seed) }

  /// A leaf that requires a gradient, uniform in [low, high).
  mutating func variable(_ shape: [Int], _ name: String, low: Float = -1, high: Float = 1)
    -> Variable
  {
    Variable(
      Tensor.uniform(shape: shape, low: low, high: high, using: &generator), requiresGradient: true,
      name: name)
  }

  /// A leaf whose elements all lie in ±[0.2, 1), away from the kinks of ReLU.
  mutating func awayFromZero(_ shape: [Int], _ name: String) -> Variable {
    var value = Tensor.uniform(shape: shape, low: 0.2, high: 1, using: &generator)
    for i in 0..<value.count where generator.nextUniform() < 0.5 {
      value[flat: i] = -value[flat: i]
    }
    return Variable(value, requiresGradient: true, name: name)
  }

  /// A constant (no gradient) uniform in [low, high).
  mutating func constant(_ shape: [Int], low: Float = -1, high: Float = 1) -> Variable {
    Variable(Tensor.uniform(shape: shape, low: low, high: high, using: &generator))
  }
}

/// Asserts that backward agrees with finite differences for every input of `function`.
func assertGradientsMatch(
  _ inputs: [Variable], checker: GradientCheck = GradientCheck(), file: StaticString = #filePath,
  line: UInt = #line, _ function: () -> Variable
) {
  let report = checker.check(inputs, function)
  if ProcessInfo.processInfo.environment["GRADIENT_CHECK_VERBOSE"] != nil { print(report) }
  XCTAssertTrue(report.passed, "gradient check failed:\n\(report)", file: file, line: line)
}

/// Asserts that every element is finite.
func assertFinite(
  _ tensor: Tensor?, _ what: String, file: StaticString = #filePath, line: UInt = #line
) {
  guard let tensor else { return }
  XCTAssertTrue(
    tensor.scalars.allSatisfy(\.isFinite), "\(what) has non-finite elements: \(tensor)", file: file,
    line: line)
}
