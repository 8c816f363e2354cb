import XCTest

@testable import Tensors

/// The awkward sizes every kernel is tested on: empty, one, around one and two SIMD widths.
let awkwardCounts = [0, 1, 15, 16, 17, 33]

/// `count` uniform values in [low, high) from a seeded generator.
func randomArray(_ count: Int, seed: UInt64, low: Float = -2, high: Float = 2) -> [Float] {
  var generator = RandomGenerator(seed: seed)
  return (0..<count).map { _ in generator.uniform(low: low, high: high) }
}

/// Runs `body` with `Parallel.threadCount` set to `threads`, restoring it afterwards.
func withThreads<R>(_ threads: Int, _ body: () throws -> R) rethrows -> R {
  let saved = Parallel.threadCount
  Parallel.threadCount = threads
  defer { Parallel.threadCount = saved }
  return try body()
}

/// Runs `body` once with 1 thread and once with 2 and checks that it returns identical bits.
func assertSameWithOneAndTwoThreads(
  _ body: () -> [Float], file: StaticString = #filePath, line: UInt = #line
) {
  let one = withThreads(1, body)
  let two = withThreads(2, body)
  XCTAssertEqual(one.count, two.count, file: file, line: line)
  let differing = zip(one, two).filter { $0.bitPattern != $1.bitPattern }.count
  XCTAssertEqual(
    differing, 0, "\(differing) elements differ between 1 and 2 threads", file: file, line: line)
}

/// Checks |actual − expected| ≤ absolute + relative·|expected| element-wise, naming the worst index.
func assertClose(
  _ actual: [Float], _ expected: [Double], absolute: Double = 1e-6, relative: Double = 1e-5,
  _ message: String = "", file: StaticString = #filePath, line: UInt = #line
) {
  XCTAssertEqual(actual.count, expected.count, "count \(message)", file: file, line: line)
  for i in 0..<min(actual.count, expected.count) {
    let error = abs(Double(actual[i]) - expected[i])
    if !(error <= absolute + relative * abs(expected[i])) {
      XCTFail(
        "element \(i): \(actual[i]) vs expected \(expected[i]) (error \(error)) \(message)",
        file: file, line: line)
      return
    }
  }
}

/// As `assertClose`, for two Float arrays.
func assertClose(
  _ actual: [Float], _ expected: [Float], absolute: Double = 1e-6, relative: Double = 1e-5,
  _ message: String = "", file: StaticString = #filePath, line: UInt = #line
) {
  assertClose(
    actual, expected.map(Double.init), absolute: absolute, relative: relative, message, file: file,
    line: line)
}

/// Central finite differences of the scalar function `f` at `x`, in Double: ∂f/∂x[i].
func finiteDifferences(_ x: [Double], step: Double = 1e-4, _ f: ([Double]) -> Double) -> [Double] {
  var point = x
  return (0..<x.count).map { i in
    let saved = point[i]
    point[i] = saved + step
    let plus = f(point)
    point[i] = saved - step
    let minus = f(point)
    point[i] = saved
    return (plus - minus) / (2 * step)
  }
}

extension Array where Element == Float {
  /// Calls `body` with a mutable pointer to a copy's elements and returns the copy.
  func mutated(_ body: (UnsafeMutablePointer<Float>) -> Void) -> [Float] {
    var copy = self
    copy.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
    return copy
  }
}
