import XCTest

@testable import Tensors

/// `VectorMath.loadPartial` / `storePartial` (an 8-wide fast path for the first half) against
/// lane-by-lane copies, for every count below 16 and several offsets.
final class PartialVectorTests: XCTestCase {
  func testLoadPartialFillsTheRest() {
    let source = randomArray(40, seed: 1)
    source.withUnsafeBufferPointer { p in
      for offset in [0, 1, 5, 20] {
        for count in 0..<16 {
          let v = VectorMath.loadPartial(p.baseAddress!, offset, count: count, fill: -7)
          for lane in 0..<16 {
            XCTAssertEqual(
              v[lane], lane < count ? source[offset + lane] : -7,
              "offset \(offset), count \(count), lane \(lane)")
          }
        }
      }
    }
  }

  func testStorePartialWritesOnlyTheLowLanes() {
    var v = SIMD16<Float>()
    for lane in 0..<16 { v[lane] = Float(lane + 1) }
    for offset in [0, 3, 17] {
      for count in 0..<16 {
        let written = [Float](repeating: .nan, count: 40).mutated {
          VectorMath.storePartial(v, $0, offset, count: count)
        }
        for i in 0..<40 {
          let inside = i >= offset && i < offset + count
          if inside {
            XCTAssertEqual(written[i], Float(i - offset + 1), "offset \(offset), count \(count)")
          } else {
            XCTAssertTrue(written[i].isNaN, "offset \(offset), count \(count), index \(i)")
          }
        }
      }
    }
  }
}
