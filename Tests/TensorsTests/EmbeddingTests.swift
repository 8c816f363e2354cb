import XCTest

@testable import Tensors

final class EmbeddingTests: XCTestCase {
  func testForwardMatchesReference() {
    for width in [1, 15, 16, 17, 33] {
      let vocabulary = 11
      let table = randomArray(vocabulary * width, seed: 1)
      let ids = [3, 0, 10, 3, 7, 3, 1]
      for scale: Float in [1, 2.5] {
        let fast = [Float](repeating: .nan, count: ids.count * width).mutated {
          embeddingForward(
            table: table, vocabularySize: vocabulary, width: width, ids: ids, count: ids.count,
            scale: scale, into: $0)
        }
        let slow = [Float](repeating: .nan, count: ids.count * width).mutated {
          embeddingForwardReference(
            table: table, vocabularySize: vocabulary, width: width, ids: ids, count: ids.count,
            scale: scale, into: $0)
        }
        XCTAssertEqual(fast, slow, "D = \(width)")
      }
    }
  }

  func testBackwardScatterAddsRepeatedIds() {
    for width in [1, 15, 16, 17, 33] {
      let vocabulary = 9
      let ids = [4, 4, 0, 8, 4, 2, 0]
      let dy = randomArray(ids.count * width, seed: 2)
      let start = randomArray(vocabulary * width, seed: 3)
      for accumulate in [false, true] {
        let fast = start.mutated {
          embeddingBackward(
            outputGradient: dy, ids: ids, count: ids.count, vocabularySize: vocabulary,
            width: width, scale: 0.5, into: $0, accumulate: accumulate)
        }
        let slow = start.mutated {
          embeddingBackwardReference(
            outputGradient: dy, ids: ids, count: ids.count, vocabularySize: vocabulary,
            width: width, scale: 0.5, into: $0, accumulate: accumulate)
        }
        assertClose(fast, slow, absolute: 1e-6, relative: 1e-6, "D = \(width)")
        // Row 4 received three contributions; row 5 none.
        for c in 0..<width {
          let expected =
            (accumulate ? start[4 * width + c] : 0) + 0.5
            * (dy[c] + dy[width + c] + dy[4 * width + c])
          XCTAssertEqual(fast[4 * width + c], expected, accuracy: 1e-6)
          XCTAssertEqual(fast[5 * width + c], accumulate ? start[5 * width + c] : 0)
        }
      }
    }
  }

  func testBackwardIsTheAdjointOfForward() {
    // ⟨embed(table), dy⟩ = ⟨table, embedBackward(dy)⟩ for any table and dy.
    let (vocabulary, width) = (7, 17)
    let ids = [1, 6, 1, 1, 0]
    let table = randomArray(vocabulary * width, seed: 4)
    let dy = randomArray(ids.count * width, seed: 5)
    let y = [Float](repeating: 0, count: ids.count * width).mutated {
      embeddingForward(
        table: table, vocabularySize: vocabulary, width: width, ids: ids, count: ids.count,
        scale: 3, into: $0)
    }
    let dTable = [Float](repeating: 0, count: vocabulary * width).mutated {
      embeddingBackward(
        outputGradient: dy, ids: ids, count: ids.count, vocabularySize: vocabulary, width: width,
        scale: 3, into: $0, accumulate: false)
    }
    let left = zip(y, dy).map { Double($0) * Double($1) }.reduce(0, +)
    let right = zip(table, dTable).map { Double($0) * Double($1) }.reduce(0, +)
    XCTAssertEqual(left, right, accuracy: 1e-4)
  }

  func testSameWithOneAndTwoThreads() {
    let (vocabulary, width, count) = (50, 64, 3000)
    var generator = RandomGenerator(seed: 6)
    let ids = (0..<count).map { _ in Int(generator.next() % 50) }
    let table = randomArray(vocabulary * width, seed: 7)
    let dy = randomArray(count * width, seed: 8)
    assertSameWithOneAndTwoThreads {
      let y = embedding(Tensor(shape: [vocabulary, width], scalars: table), ids: ids, scale: 8)
      var dTable = Tensor(shape: [vocabulary, width], repeating: 1)
      embeddingBackward(
        outputGradient: Tensor(shape: [count, width], scalars: dy), ids: ids, scale: 8,
        into: &dTable, accumulate: true)
      return y.scalars + dTable.scalars
    }
  }

  func testTensorForms() {
    let table = Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6])
    XCTAssertEqual(embedding(table, ids: [2, 0, 2]).scalars, [5, 6, 1, 2, 5, 6])
    XCTAssertEqual(embedding(table, ids: [1], scale: 2).shape, [1, 2])
    XCTAssertEqual(embedding(table, ids: []).shape, [0, 2])
    var gradient = Tensor(shape: [3, 2], repeating: 9)
    embeddingBackward(
      outputGradient: Tensor(shape: [1, 3, 2], scalars: [1, 1, 2, 2, 3, 3]), ids: [2, 0, 2],
      into: &gradient, accumulate: false)
    XCTAssertEqual(gradient.scalars, [2, 2, 0, 0, 4, 4])
  }
}
