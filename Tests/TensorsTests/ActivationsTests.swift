import XCTest

@testable import Tensors

final class ActivationsTests: XCTestCase {
  func testForwardMatchesReference() {
    for n in awkwardCounts + [70_001] {
      let x = randomArray(n, seed: 21, low: -6, high: 6)
      let relu = [Float](repeating: .nan, count: n).mutated { reluForward(x, into: $0, count: n) }
      XCTAssertEqual(relu, x.map { Float(reluReference(Double($0))) })
      let gelu = [Float](repeating: .nan, count: n).mutated { geluForward(x, into: $0, count: n) }
      assertClose(
        gelu, x.map { geluReference(Double($0)) }, absolute: 1e-7, relative: 1e-6, "n = \(n)")
    }
  }

  func testGeluKnownValuesAndTail() {
    // PyTorch: torch.nn.GELU()(torch.tensor([-3., -1., 0., 0.5, 1., 3.])).
    let x: [Float] = [-3, -1, 0, 0.5, 1, 3, -10]
    let y = gelu(Tensor(shape: [7], scalars: x)).scalars
    assertClose(
      y, [-0.0040496936, -0.15865526, 0, 0.34573123, 0.8413447, 2.9959502, -7.619853e-23],
      absolute: 1e-30, relative: 2e-6)
  }

  func testBackwardMatchesFiniteDifferencesAndAccumulates() {
    for n in awkwardCounts {
      // Keep ReLU inputs away from the kink at 0, where finite differences are meaningless.
      let x = randomArray(n, seed: 22, low: -4, high: 4).map { abs($0) < 0.01 ? $0 + 0.05 : $0 }
      let dy = randomArray(n, seed: 23)
      let start = randomArray(n, seed: 24)
      let xd = x.map(Double.init)
      for (name, backward, reference) in [
        (
          "relu",
          reluBackward
            as (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Bool)
            -> Void, reluReference as (Double) -> Double
        ),
        ("gelu", geluBackward, geluReference),
      ] {
        let numeric = finiteDifferences(xd) { p in
          zip(p, dy).map { reference($0) * Double($1) }.reduce(0, +)
        }
        let written = start.mutated { backward(x, dy, $0, n, false) }
        assertClose(written, numeric, absolute: 1e-5, relative: 1e-4, "\(name) n = \(n)")
        let added = start.mutated { backward(x, dy, $0, n, true) }
        assertClose(
          added, (0..<n).map { Double(start[$0]) + numeric[$0] }, absolute: 1e-5, relative: 1e-4,
          name)
      }
    }
  }

  func testGeluDerivativeMatchesReferenceOnLargeInput() {
    let n = 70_001
    let x = randomArray(n, seed: 25, low: -8, high: 8)
    let ones = [Float](repeating: 1, count: n)
    let run = {
      [Float](repeating: 0, count: n).mutated {
        geluBackward(input: x, outputGradient: ones, into: $0, count: n, accumulate: true)
      }
    }
    assertClose(
      run(), x.map { geluDerivativeReference(Double($0)) }, absolute: 1e-6, relative: 1e-5)
    assertSameWithOneAndTwoThreads(run)
  }

  func testTensorForms() {
    let x = Tensor(shape: [2, 2], scalars: [-1, 2, 0, 3])
    XCTAssertEqual(relu(x).scalars, [0, 2, 0, 3])
    var dx = Tensor(shape: [2, 2], repeating: 1)
    reluBackward(
      input: x, outputGradient: Tensor(shape: [2, 2], repeating: 2), into: &dx, accumulate: true)
    XCTAssertEqual(dx.scalars, [1, 3, 1, 3])
    geluBackward(
      input: x, outputGradient: Tensor(shape: [2, 2], repeating: 1), into: &dx, accumulate: false)
    assertClose(dx.scalars, x.scalars.map { geluDerivativeReference(Double($0)) })
  }

  func testBiasReLUIsBiasAddThenReLUBitForBit() {
    // Widths with a tail, and 700 rows so that two threads split them; the in-place form too.
    for columns in [1, 15, 16, 17, 100] {
      let rows = 700
      let x = randomArray(rows * columns, seed: 26, low: -3, high: 3)
      let bias = randomArray(columns, seed: 27)
      var separate = [Float](repeating: .nan, count: rows * columns)
      separate = separate.mutated {
        vectorAddRowVector(x, bias, into: $0, rows: rows, columns: columns)
      }
      separate = separate.mutated { reluForward($0, into: $0, count: rows * columns) }
      let fused = x.mutated {
        biasReLUForward($0, bias: bias, into: $0, rows: rows, columns: columns)
      }
      XCTAssertEqual(fused.map(\.bitPattern), separate.map(\.bitPattern), "D = \(columns)")
      XCTAssertTrue(fused.contains(0) && fused.contains { $0 > 0 })
      assertSameWithOneAndTwoThreads {
        [Float](repeating: .nan, count: rows * columns).mutated {
          biasReLUForward(x, bias: bias, into: $0, rows: rows, columns: columns)
        }
      }
    }
  }
}
