import XCTest

@testable import Tensors

final class RandomGeneratorTests: XCTestCase {
  func testSameSeedGivesSameStreamAndDifferentSeedsDiffer() {
    var a = RandomGenerator(seed: 7)
    var b = RandomGenerator(seed: 7)
    var c = RandomGenerator(seed: 8)
    let streamA = (0..<10).map { _ in a.next() }
    XCTAssertEqual(streamA, (0..<10).map { _ in b.next() })
    XCTAssertNotEqual(streamA, (0..<10).map { _ in c.next() })
  }

  func testKnownXoshiroOutputForKnownState() {
    // xoshiro256** reference: state {1, 2, 3, 4} gives 11520, 0, 1509978240, 1215971899390074240.
    var generator = RandomGenerator(state: [1, 2, 3, 4])!
    XCTAssertEqual(
      (0..<4).map { _ in generator.next() }, [11520, 0, 1_509_978_240, 1_215_971_899_390_074_240])
  }

  func testStateRoundTripResumesTheStream() {
    var generator = RandomGenerator(seed: 123)
    for _ in 0..<5 { _ = generator.next() }
    let saved = generator.state
    XCTAssertEqual(saved.count, 4)
    let expected = (0..<6).map { _ in generator.normal() }
    var restored = RandomGenerator(state: saved)!
    XCTAssertEqual((0..<6).map { _ in restored.normal() }, expected)
    XCTAssertNil(RandomGenerator(state: [0, 0, 0, 0]))
    XCTAssertNil(RandomGenerator(state: [1, 2, 3]))
  }

  func testUniformAndNormalMoments() {
    var generator = RandomGenerator(seed: 1)
    let n = 20_000
    let uniforms = (0..<n).map { _ in generator.nextUniform() }
    XCTAssertTrue(uniforms.allSatisfy { $0 >= 0 && $0 < 1 })
    let uniformMean = uniforms.reduce(0, +) / Float(n)
    XCTAssertEqual(uniformMean, 0.5, accuracy: 0.01)
    let normals = (0..<n).map { _ in Double(generator.normal(mean: 1, standardDeviation: 2)) }
    let mean = normals.reduce(0, +) / Double(n)
    let variance = normals.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)
    XCTAssertEqual(mean, 1, accuracy: 0.05)
    XCTAssertEqual(variance.squareRoot(), 2, accuracy: 0.05)
    XCTAssertTrue(normals.allSatisfy { $0.isFinite })
  }

  func testXavierUniformBoundAndReproducibility() {
    var generator = RandomGenerator(seed: 5)
    let w = Tensor.xavierUniform(shape: [30, 50], using: &generator)
    let bound = (6.0 / 80.0).squareRoot()
    XCTAssertTrue(w.scalars.allSatisfy { abs(Double($0)) <= bound })
    XCTAssertGreaterThan(w.scalars.map { abs(Double($0)) }.max()!, 0.9 * bound)
    var again = RandomGenerator(seed: 5)
    XCTAssertEqual(Tensor.xavierUniform(shape: [30, 50], using: &again).scalars, w.scalars)
  }

  func testCounterHashDependsOnSeedAndCounter() {
    XCTAssertEqual(
      RandomGenerator.hash(seed: 3, counter: 9), RandomGenerator.hash(seed: 3, counter: 9))
    XCTAssertNotEqual(
      RandomGenerator.hash(seed: 3, counter: 9), RandomGenerator.hash(seed: 3, counter: 10))
    XCTAssertNotEqual(
      RandomGenerator.hash(seed: 3, counter: 9), RandomGenerator.hash(seed: 4, counter: 9))
  }
}
