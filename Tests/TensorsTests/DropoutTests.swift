import XCTest

@testable import Tensors

final class DropoutTests: XCTestCase {
  func testMaskMatchesReferenceAndRate() {
    for n in awkwardCounts + [70_001] {
      let fast = [Float](repeating: .nan, count: n).mutated {
        dropoutMask(into: $0, count: n, probability: 0.1, seed: 42)
      }
      let slow = [Float](repeating: .nan, count: n).mutated {
        dropoutMaskReference(into: $0, count: n, probability: 0.1, seed: 42)
      }
      XCTAssertEqual(fast, slow, "n = \(n)")
      XCTAssertTrue(fast.allSatisfy { $0 == 0 || $0 == 1 / Float(0.9) })
    }
    let n = 70_001
    let mask = [Float](repeating: 0, count: n).mutated {
      dropoutMask(into: $0, count: n, probability: 0.3, seed: 7)
    }
    let dropped = Double(mask.filter { $0 == 0 }.count) / Double(n)
    XCTAssertEqual(dropped, 0.3, accuracy: 0.01)
    let other = [Float](repeating: 0, count: n).mutated {
      dropoutMask(into: $0, count: n, probability: 0.3, seed: 8)
    }
    XCTAssertNotEqual(mask, other)
  }

  func testForwardBackwardAndIdentity() {
    let n = 33
    let x = randomArray(n, seed: 1)
    let dy = randomArray(n, seed: 2)
    let start = randomArray(n, seed: 3)
    var mask = [Float](repeating: 0, count: n)
    let y = [Float](repeating: 0, count: n).mutated {
      dropoutForward(x, into: $0, mask: &mask, count: n, probability: 0.5, seed: 9)
    }
    XCTAssertEqual(y, zip(x, mask).map(*))
    XCTAssertTrue(mask.contains(0) && mask.contains(2))
    let dx = start.mutated {
      dropoutBackward(outputGradient: dy, mask: mask, into: $0, count: n, accumulate: true)
    }
    XCTAssertEqual(dx, (0..<n).map { start[$0] + dy[$0] * mask[$0] })

    var generator = RandomGenerator(seed: 5)
    let before = generator
    let tensor = Tensor(shape: [3, 11], scalars: x)
    let identity = dropout(tensor, probability: 0, using: &generator)
    XCTAssertNil(identity.mask)
    XCTAssertEqual(identity.output.scalars, x)
    XCTAssertEqual(generator, before, "p = 0 draws nothing")
    var gradient = Tensor(shape: [3, 11], repeating: 1)
    dropoutBackward(
      outputGradient: Tensor(shape: [3, 11], scalars: dy), mask: nil, into: &gradient,
      accumulate: true)
    XCTAssertEqual(gradient.scalars, dy.map { $0 + 1 })
  }

  func testTensorFormIsReproducibleAndIndependentOfThreads() {
    let x = Tensor(shape: [100, 700], scalars: randomArray(70_000, seed: 4))
    assertSameWithOneAndTwoThreads {
      var generator = RandomGenerator(seed: 11)
      let first = dropout(x, probability: 0.1, using: &generator)
      let second = dropout(x, probability: 0.1, using: &generator)
      XCTAssertNotEqual(first.mask!.scalars, second.mask!.scalars, "each call draws a new seed")
      var dx = Tensor(shape: [100, 700], repeating: 0)
      dropoutBackward(outputGradient: x, mask: first.mask, into: &dx, accumulate: false)
      XCTAssertEqual(dx.scalars, first.output.scalars)
      return first.output.scalars + second.mask!.scalars
    }
  }
}
