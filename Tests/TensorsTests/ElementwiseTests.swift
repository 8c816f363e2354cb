import XCTest

@testable import Tensors

final class ElementwiseTests: XCTestCase {
  private let sizes = awkwardCounts + [70_001]

  func testBinaryKernelsMatchReference() {
    for n in sizes {
      let a = randomArray(n, seed: 1)
      let b = randomArray(n, seed: 2)
      let cases:
        [(
          String,
          (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void,
          (Float, Float) -> Float
        )] = [
          ("add", vectorAdd, { $0 + $1 }), ("subtract", vectorSubtract, { $0 - $1 }),
          ("multiply", vectorMultiply, { $0 * $1 }),
        ]
      for (name, kernel, op) in cases {
        let fast = [Float](repeating: .nan, count: n).mutated { kernel(a, b, $0, n) }
        let slow = [Float](repeating: .nan, count: n).mutated {
          vectorMapReference(a, b, into: $0, count: n, op)
        }
        XCTAssertEqual(fast, slow, "\(name) n = \(n)")
      }
    }
  }

  func testAccumulatingKernelsMatchReference() {
    for n in sizes {
      let x = randomArray(n, seed: 3)
      let y = randomArray(n, seed: 4)
      let z = randomArray(n, seed: 5)
      XCTAssertEqual(
        y.mutated { vectorAccumulate(x, into: $0, count: n) }, zip(y, x).map { $0 + $1 }, "n = \(n)"
      )
      XCTAssertEqual(
        y.mutated { vectorAddScaled(x, scale: -0.5, to: $0, count: n) },
        zip(y, x).map { $0 + -0.5 * $1 }, "n = \(n)")
      XCTAssertEqual(
        y.mutated { vectorAddProduct(x, z, to: $0, count: n) },
        (0..<n).map { y[$0] + x[$0] * z[$0] }, "n = \(n)")
      XCTAssertEqual(
        y.mutated { vectorScale($0, by: 3, into: $0, count: n) }, y.map { 3 * $0 }, "n = \(n)")
      XCTAssertEqual(
        y.mutated { vectorFill($0, with: 7, count: n) }, [Float](repeating: 7, count: n))
    }
  }

  func testRowVectorBroadcast() {
    for (rows, columns) in [(1, 1), (3, 15), (5, 17), (7, 33), (2_100, 33)] {
      let x = randomArray(rows * columns, seed: 6)
      let v = randomArray(columns, seed: 7)
      let expected = (0..<rows * columns).map { x[$0] + v[$0 % columns] }
      let run = {
        [Float](repeating: 0, count: rows * columns).mutated {
          vectorAddRowVector(x, v, into: $0, rows: rows, columns: columns)
        }
      }
      XCTAssertEqual(run(), expected)
      assertSameWithOneAndTwoThreads(run)
    }
  }

  func testTensorOperators() {
    let a = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
    let b = Tensor(shape: [2, 3], scalars: [6, 5, 4, 3, 2, 1])
    XCTAssertEqual((a + b).scalars, [7, 7, 7, 7, 7, 7])
    XCTAssertEqual((a - b).scalars, [-5, -3, -1, 1, 3, 5])
    XCTAssertEqual((a * b).scalars, [6, 10, 12, 12, 10, 6])
    XCTAssertEqual((2 * a).scalars, [2, 4, 6, 8, 10, 12])
    XCTAssertEqual((a * 2).shape, [2, 3])
    var c = a
    c += b
    XCTAssertEqual(c.scalars, [7, 7, 7, 7, 7, 7])
    XCTAssertEqual(a.scalars, [1, 2, 3, 4, 5, 6], "copy-on-write keeps the original")
    c -= b
    XCTAssertEqual(c.scalars, a.scalars)
    c *= 0.5
    XCTAssertEqual(c.scalars, [0.5, 1, 1.5, 2, 2.5, 3])
    c.addScaled(b, scale: 2)
    XCTAssertEqual(c.scalars, [12.5, 11, 9.5, 8, 6.5, 5])
    addInPlace(&c, a)
    XCTAssertEqual(c.scalars, [13.5, 13, 12.5, 12, 11.5, 11])
    c.fill(with: -1)
    XCTAssertEqual(c.scalars, [-1, -1, -1, -1, -1, -1])
    let bias = Tensor(shape: [3], scalars: [10, 20, 30])
    XCTAssertEqual(a.addingRowVector(bias).scalars, [11, 22, 33, 14, 25, 36])
    var d = a.reshaped([1, 2, 3])
    d.addRowVector(bias)
    XCTAssertEqual(d.scalars, [11, 22, 33, 14, 25, 36])
    XCTAssertEqual(a.scalars, [1, 2, 3, 4, 5, 6])
  }
}
