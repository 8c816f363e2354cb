import XCTest

@testable import Tensors

/// The one-query attention of incremental decoding against its Double reference and against
/// the batched attention's own pieces (`matmul`, the fused softmax).
final class SingleQueryAttentionTests: XCTestCase {
  /// Runs the kernel and the reference on random data and compares them.
  func check(
    rows: Int, groups: Int, heads: Int, headSize: Int, capacity: Int, keyCount: Int,
    mask: AttentionMask, file: StaticString = #filePath, line: UInt = #line
  ) {
    let query = randomArray(rows * heads * headSize, seed: 1)
    let keys = randomArray(groups * heads * capacity * headSize, seed: 2)
    let values = randomArray(keys.count, seed: 3)
    let fast = [Float](repeating: .nan, count: query.count).mutated {
      singleQueryAttention(
        query: query, keys: keys, values: values, into: $0, rows: rows, groups: groups,
        heads: heads, headSize: headSize, capacity: capacity, keyCount: keyCount, mask: mask)
    }
    let slow = [Float](repeating: .nan, count: query.count).mutated {
      singleQueryAttentionReference(
        query: query, keys: keys, values: values, into: $0, rows: rows, groups: groups,
        heads: heads, headSize: headSize, capacity: capacity, keyCount: keyCount, mask: mask)
    }
    assertClose(
      fast, slow, absolute: 1e-5, relative: 1e-4,
      "\(rows) rows, \(groups) groups, \(heads)×\(headSize), \(keyCount)/\(capacity) keys",
      file: file, line: line)
  }

  /// Self-attention over a cache: one group per row, the causal offset of the new position.
  /// Head sizes cover the 32-column register blocks (32, 64), a 16-column rest (48) and a
  /// scalar rest; key counts an odd count, one past a vector (17) and three vectors (33).
  func testCacheOfEveryRowOnAwkwardSizes() {
    for headSize in [1, 15, 16, 17, 32, 33, 48, 64] {
      for (rows, heads, capacity, keyCount) in [
        (1, 1, 1, 1), (3, 2, 9, 7), (5, 3, 4, 4), (2, 2, 20, 17), (2, 1, 40, 33),
      ] {
        check(
          rows: rows, groups: rows, heads: heads, headSize: headSize, capacity: capacity,
          keyCount: keyCount, mask: .causal(offset: keyCount - 1))
      }
    }
  }

  /// Cross-attention: W rows per sentence share its keys, masked by the source lengths; a
  /// sentence of length 0 attends to nothing and gets zeros.
  func testSharedKeysWithLengthsAndPadding() {
    for headSize in [7, 16, 19] {
      check(
        rows: 6, groups: 3, heads: 2, headSize: headSize, capacity: 5, keyCount: 5,
        mask: AttentionMask(keyLengths: [5, 2, 0]))
      check(
        rows: 4, groups: 2, heads: 3, headSize: headSize, capacity: 6, keyCount: 6,
        mask: AttentionMask(keyIsPadding: [
          false, true, false, false, true, true, false, false, false, true, false, false,
        ]))
    }
    let empty = [Float](repeating: .nan, count: 2 * 4).mutated {
      singleQueryAttention(
        query: randomArray(8, seed: 4), keys: randomArray(2 * 4 * 3, seed: 5),
        values: randomArray(2 * 4 * 3, seed: 6), into: $0, rows: 2, groups: 2, heads: 1,
        headSize: 4, capacity: 3, keyCount: 3, mask: AttentionMask(keyLengths: [3, 0]))
    }
    XCTAssertEqual(Array(empty[4...]), [0, 0, 0, 0])
  }

  /// Equals the batched form `softmax(q·kᵀ/√K)·v` of one query per head, built from `matmul`
  /// and the fused softmax with the same `attentionScale`.
  func testEqualsBatchedAttentionOfOneQuery() {
    let (heads, headSize, keyCount) = (4, 20, 11)
    let q = Tensor(shape: [1, heads, 1, headSize], scalars: randomArray(heads * headSize, seed: 7))
    let k = Tensor(
      shape: [1, heads, keyCount, headSize],
      scalars: randomArray(heads * keyCount * headSize, seed: 8))
    let v = Tensor(
      shape: [1, heads, keyCount, headSize],
      scalars: randomArray(heads * keyCount * headSize, seed: 9))
    let scores = matmul(q, k, transposeB: true)  // [1, H, 1, L]
    let batched = matmul(softmax(scores, scale: attentionScale(headSize: headSize)), v)
    let single = [Float](repeating: .nan, count: heads * headSize).mutated {
      singleQueryAttention(
        query: q.storage.pointer, keys: k.storage.pointer, values: v.storage.pointer, into: $0,
        rows: 1, groups: 1, heads: heads, headSize: headSize, capacity: keyCount,
        keyCount: keyCount, mask: .causal(offset: keyCount - 1))
    }
    assertClose(single, batched.scalars, absolute: 1e-6, relative: 1e-5)
  }

  func testSameWithOneAndTwoThreads() {
    // 8 groups × 8 heads × 4 rows of 40 keys of 32: enough items to split over two threads.
    let (rows, groups, heads, headSize, keyCount) = (32, 8, 8, 32, 40)
    let query = randomArray(rows * heads * headSize, seed: 10)
    let keys = randomArray(groups * heads * keyCount * headSize, seed: 11)
    let values = randomArray(keys.count, seed: 12)
    assertSameWithOneAndTwoThreads {
      [Float](repeating: .nan, count: query.count).mutated {
        singleQueryAttention(
          query: query, keys: keys, values: values, into: $0, rows: rows, groups: groups,
          heads: heads, headSize: headSize, capacity: keyCount, keyCount: keyCount,
          mask: AttentionMask(keyLengths: (0..<groups).map { 40 - 3 * $0 }))
      }
    }
  }
}
