import XCTest

@testable import NN

final class KeyValueCacheTests: XCTestCase {
  /// Appends rows whose every element names (row, head, position), then gathers.
  func testAppendAndReorderGatherRows() {
    var cache = KeyValueCache(layerCount: 1, headCount: 2, headSize: 3, rowCount: 3, capacity: 4)
    for position in 0..<2 {
      let key = (0..<3).flatMap { row in
        (0..<6).map { Float(row * 100 + position * 10) + Float($0) }
      }
      let value = key.map { -$0 }
      cache.append(layer: 0, key: key, value: value)
      cache.advance()
    }
    cache.reorder([2, 2, 0])
    XCTAssertEqual(cache.rowCount, 3)
    XCTAssertEqual(cache.length, 2)
    // Row 1 now holds old row 2: position 1, head 1, element 2 is 200 + 10 + 5.
    let offset = 1 * cache.rowStride + 1 * cache.headStride + 1 * 3 + 2
    XCTAssertEqual(cache.keys(layer: 0)[offset], 215)
    XCTAssertEqual(cache.values(layer: 0)[offset], -215)
    cache.reorder([1])
    XCTAssertEqual(cache.rowCount, 1)
    XCTAssertEqual(cache.keys(layer: 0)[1 * cache.headStride + 2], 205)
  }
}
