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

  /// Random reorders (repeats, swaps, cycles, drops, compactions, shrinking and growing
  /// permutations) against a list of which old row each row holds, checking every written
  /// element; rows long enough that both passes of a reorder split over threads.
  func testRandomReordersMatchGatheredRows() {
    let (maxRows, heads, headSize, capacity) = (96, 4, 64, 16)
    var cache = KeyValueCache(
      layerCount: 2, headCount: heads, headSize: headSize, rowCount: maxRows, capacity: capacity)
    var origin = Array(0..<maxRows)  // row i holds the positions first written to row origin[i]
    func element(_ row: Int, _ position: Int, _ j: Int) -> Float {
      Float(row * 100_000 + position * 1_000 + j)
    }
    var generator = RandomGenerator(seed: 0x5EED)
    for position in 0..<capacity {
      let count = cache.rowCount
      // Row i appends values named after the row it started as, so the check below can tell.
      let keys = (0..<count).flatMap { i in
        (0..<(heads * headSize)).map { element(origin[i], position, $0) }
      }
      for layer in cache.layers.indices {
        cache.layers[layer].append(
          keys: Tensor(shape: [count, heads * headSize], scalars: keys),
          values: Tensor(shape: [count, heads * headSize], scalars: keys.map { -$0 }))
      }
      var rows: [Int]
      switch position % 6 {
      case 0: rows = (0..<count).map { _ in Int.random(in: 0..<count, using: &generator) }
      case 1: rows = Array((0..<count).shuffled(using: &generator))
      case 2: rows = (0..<count).filter { _ in Bool.random(using: &generator) }  // increasing
      case 3: rows = (0..<count).map { $0 ^ 1 < count ? $0 ^ 1 : $0 }  // neighbours swap
      case 4:  // a finished sentence leaves and the rest permute
        rows = Array((0..<count).shuffled(using: &generator).prefix(count * 3 / 4))
      default:  // more rows than before, as a sentence's row is repeated for its hypotheses
        rows = (0..<min(maxRows, 2 * count)).map { _ in
          Int.random(in: 0..<count, using: &generator)
        }
      }
      if rows.isEmpty { rows = [count - 1] }
      cache.reorder(rows)
      origin = rows.map { origin[$0] }
      XCTAssertEqual(cache.rowCount, rows.count)
      for layer in cache.layers {
        for (row, start) in origin.enumerated() {
          for head in 0..<heads {
            for p in 0...position {
              for k in 0..<headSize {
                let offset = row * layer.rowStride + head * layer.headStride + p * headSize + k
                let expected = element(start, p, head * headSize + k)
                guard layer.keys.pointer[offset] == expected,
                  layer.values.pointer[offset] == -expected
                else {
                  return XCTFail(
                    "position \(position): row \(row), head \(head), position \(p), element \(k): "
                      + "\(layer.keys.pointer[offset]), expected \(expected)")
                }
              }
            }
          }
        }
      }
    }
  }
}
