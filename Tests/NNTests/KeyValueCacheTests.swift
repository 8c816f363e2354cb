import Autograd
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
      cache.layers[0].append(
        keys: Tensor(shape: [3, 6], scalars: key), values: Tensor(shape: [3, 6], scalars: value))
    }
    cache.reorder([2, 2, 0])
    XCTAssertEqual(cache.rowCount, 3)
    XCTAssertEqual(cache.length, 2)
    // Row 1 now holds old row 2: position 1, head 1, element 2 is 200 + 10 + 5.
    let layer = cache.layers[0]
    let offset = 1 * layer.rowStride + 1 * layer.headStride + 1 * 3 + 2
    XCTAssertEqual(layer.keys.pointer[offset], 215)
    XCTAssertEqual(layer.values.pointer[offset], -215)
    cache.reorder([1])
    XCTAssertEqual(cache.rowCount, 1)
    XCTAssertEqual(cache.layers[0].keys.pointer[1 * layer.headStride + 2], 205)
  }
}
