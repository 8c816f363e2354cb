import XCTest

@testable import Tensors

/// The vectorised mask (`dropoutMask`) and the mask-free `dropoutApply` against the scalar
/// reference mask, bit for bit, on sizes that exercise full vectors, tails and thread splits.
final class DropoutApplyTests: XCTestCase {
  private let counts = awkwardCounts + [2, 7, 8, 9, 31, 47, 1000, 70_001]
  private let settings: [(probability: Float, seed: UInt64)] = [
    (0.1, 42), (0.5, 0), (0.9, .max), (0.999, 0x9E37_79B9_7F4A_7C15), (0, 5),
  ]

  func testMaskMatchesReferenceBits() {
    for n in counts {
      for (p, seed) in settings {
        let fast = [Float](repeating: .nan, count: n).mutated {
          dropoutMask(into: $0, count: n, probability: p, seed: seed)
        }
        let slow = [Float](repeating: .nan, count: n).mutated {
          dropoutMaskReference(into: $0, count: n, probability: p, seed: seed)
        }
        XCTAssertEqual(fast.map(\.bitPattern), slow.map(\.bitPattern), "n = \(n), p = \(p)")
      }
    }
  }

  func testApplyIsInputTimesReferenceMask() {
    for n in counts {
      for (p, seed) in settings {
        let x = randomArray(n, seed: 1)
        let start = randomArray(n, seed: 2)
        let mask = [Float](repeating: 0, count: n).mutated {
          dropoutMaskReference(into: $0, count: n, probability: p, seed: seed)
        }
        let y = [Float](repeating: .nan, count: n).mutated {
          dropoutApply(x, into: $0, count: n, probability: p, seed: seed, accumulate: false)
        }
        XCTAssertEqual(y.map(\.bitPattern), zip(x, mask).map { ($0 * $1).bitPattern }, "n = \(n)")
        let added = start.mutated {
          dropoutApply(x, into: $0, count: n, probability: p, seed: seed, accumulate: true)
        }
        let expected = (0..<n).map { start[$0] + x[$0] * mask[$0] }
        XCTAssertEqual(added.map(\.bitPattern), expected.map(\.bitPattern), "n = \(n)")
      }
    }
  }

  func testApplyInPlaceAndThreadIndependent() {
    let n = 70_001
    let x = randomArray(n, seed: 3)
    let separate = [Float](repeating: 0, count: n).mutated {
      dropoutApply(x, into: $0, count: n, probability: 0.3, seed: 11, accumulate: false)
    }
    let inPlace = x.mutated {
      dropoutApply($0, into: $0, count: n, probability: 0.3, seed: 11, accumulate: false)
    }
    XCTAssertEqual(inPlace, separate)
    assertSameWithOneAndTwoThreads {
      [Float](repeating: 0, count: n).mutated {
        dropoutApply(x, into: $0, count: n, probability: 0.3, seed: 11, accumulate: false)
      }
    }
  }

  func testAddIsResidualPlusInputTimesReferenceMask() {
    for n in counts {
      for (p, seed) in settings {
        let x = randomArray(n, seed: 4)
        let residual = randomArray(n, seed: 5)
        let mask = [Float](repeating: 0, count: n).mutated {
          dropoutMaskReference(into: $0, count: n, probability: p, seed: seed)
        }
        let y = [Float](repeating: .nan, count: n).mutated {
          dropoutAdd(x, residual: residual, into: $0, count: n, probability: p, seed: seed)
        }
        let expected = (0..<n).map { residual[$0] + x[$0] * mask[$0] }
        XCTAssertEqual(y.map(\.bitPattern), expected.map(\.bitPattern), "n = \(n), p = \(p)")
        // In place over the residual, as the residual stream could be.
        let inPlace = residual.mutated {
          dropoutAdd(x, residual: $0, into: $0, count: n, probability: p, seed: seed)
        }
        XCTAssertEqual(inPlace.map(\.bitPattern), expected.map(\.bitPattern), "n = \(n)")
      }
    }
    let n = 70_001
    let (x, residual) = (randomArray(n, seed: 6), randomArray(n, seed: 7))
    assertSameWithOneAndTwoThreads {
      [Float](repeating: 0, count: n).mutated {
        dropoutAdd(x, residual: residual, into: $0, count: n, probability: 0.3, seed: 12)
      }
    }
  }
}
