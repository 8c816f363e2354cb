import XCTest

@testable import Autograd
@testable import Tensors

/// The ops beyond the paper: rotary embedding, repeated key/value heads, ALiBi and
/// grouped-query attention in the standard op — values against references, gradients against
/// finite differences, and the standard op against the memory-efficient one.
final class PositionOpTests: XCTestCase {
  func testRotaryEmbeddingMatchesTheReferenceAndKeepsRelativePositions() {
    var inputs = Inputs(seed: 3)
    let x = inputs.constant([2, 3, 5, 8]).value  // [B, H, T, K]
    let fast = Tensors.rotaryEmbedding(x, positionOffset: 4).scalars
    let reference = rotaryEmbeddingReference(x, positionOffset: 4).scalars
    for (a, b) in zip(fast, reference) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    // Position 0 (row 0 without offset) is the identity; the inverse undoes a rotation.
    let first = Tensors.rotaryEmbedding(x, positionOffset: 0).scalars
    XCTAssertEqual(Array(first[0..<8]), Array(x.scalars[0..<8]))
    XCTAssertNotEqual(Array(first[8..<16]), Array(x.scalars[8..<16]))
    let back = Tensors.rotaryEmbedding(
      Tensors.rotaryEmbedding(x, positionOffset: 7), positionOffset: 7, inverse: true)
    for (a, b) in zip(back.scalars, x.scalars) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    // q_m·k_n depends on m − n only (Su et al. eq. 16): shift both by 5.
    let q = inputs.constant([1, 1, 1, 8]).value
    let k = inputs.constant([1, 1, 1, 8]).value
    func score(_ m: Int, _ n: Int) -> Float {
      let a = Tensors.rotaryEmbedding(q, positionOffset: m).scalars
      let b = Tensors.rotaryEmbedding(k, positionOffset: n).scalars
      return zip(a, b).map(*).reduce(0, +)
    }
    XCTAssertEqual(score(3, 1), score(8, 6), accuracy: 1e-5)
    XCTAssertNotEqual(score(3, 1), score(3, 2), accuracy: 1e-3)
    // A step's [R, H, K] is the same as [R, H, 1, K] at the offset.
    let step = Tensors.rotaryEmbedding(
      Tensor(shape: [2, 3, 8], scalars: Array(x.scalars[0..<48])), positionOffset: 6)
    let full = rotaryEmbeddingReference(
      Tensor(shape: [2, 3, 1, 8], scalars: Array(x.scalars[0..<48])), positionOffset: 6)
    for (a, b) in zip(step.scalars, full.scalars) { XCTAssertEqual(a, b, accuracy: 1e-5) }
  }

  func testRotaryGradientMatchesFiniteDifferences() {
    var inputs = Inputs(seed: 5)
    let x = inputs.variable([2, 2, 4, 6], "x")
    assertGradientsMatch([x]) { rotaryEmbedding(x, positionOffset: 3) }
    let y = inputs.variable([1, 2, 3, 4], "y")
    assertGradientsMatch([y]) { rotaryEmbedding(y) * rotaryEmbedding(y) }  // accumulates
  }

  func testRepeatHeadsValuesAndGradient() {
    var inputs = Inputs(seed: 7)
    let x = inputs.variable([2, 2, 3, 4], "x")  // [B, G, S, K]
    let y = repeatHeads(x, repeats: 3).value  // [B, 6, S, K]
    XCTAssertEqual(y.shape, [2, 6, 3, 4])
    for b in 0..<2 {
      for h in 0..<6 {
        for e in 0..<12 {
          XCTAssertEqual(y[flat: (b * 6 + h) * 12 + e], x.value[flat: (b * 2 + h / 3) * 12 + e])
        }
      }
    }
    XCTAssertTrue(repeatHeads(x, repeats: 1) === x)
    assertGradientsMatch([x]) { repeatHeads(x, repeats: 3) }
  }

  func testALiBiSlopesFollowThePaper() {
    // Press et al. 2022 §3: 1/2, 1/4, …, 1/256 for 8 heads; 1/√2 … for 16 (2^(−8/16·h)).
    XCTAssertEqual(alibiSlopes(heads: 8), (1...8).map { Float(pow(2, -Double($0))) })
    XCTAssertEqual(alibiSlopes(heads: 4), [0.25, 0.0625, 0.015625, 0.00390625])
    // 6 heads: the 4 slopes of 4 heads, then slopes 1 and 3 (0-based 0, 2) of 8 heads.
    XCTAssertEqual(alibiSlopes(heads: 6), [0.25, 0.0625, 0.015625, 0.00390625, 0.5, 0.125])
    XCTAssertEqual(alibiSlopes(heads: 1), [0.00390625])
  }

  func testStandardOpAddsTheALiBiBias() {
    // One key per query distance: with q = 0 the scores are the bias alone, so the
    // probabilities are softmax(−m·|i − j|) over the visible keys.
    let q = Variable(Tensor(shape: [1, 1, 3, 2]))  // [B, H, T, K], zero
    let k = Variable(Tensor(shape: [1, 1, 3, 2]))
    var probabilities: Tensor?
    _ = attention(
      query: q, key: k, value: k, mask: .none, alibiSlopes: [0.5],
      observer: { _, _, p in probabilities = p })
    let row0 = [0.0, -0.5, -1.0].map { exp($0) }
    let total = row0.reduce(0, +)
    for (j, expected) in row0.enumerated() {
      XCTAssertEqual(Double(probabilities![flat: j]), expected / total, accuracy: 1e-6)
    }
    // Bidirectional: the middle query sees both neighbours at distance 1 equally.
    XCTAssertEqual(probabilities![flat: 3], probabilities![flat: 5], accuracy: 1e-7)
    XCTAssertGreaterThan(probabilities![flat: 4], probabilities![flat: 3])
  }

  func testALiBiAndGroupedQueryGradientsMatchFiniteDifferences() {
    var inputs = Inputs(seed: 11)
    let q = inputs.variable([2, 4, 3, 4], "query")  // [B, H, T, K]
    let k = inputs.variable([2, 2, 5, 4], "key")  // [B, G, S, K]
    let v = inputs.variable([2, 2, 5, 4], "value")
    for (mask, alibi) in [
      (AttentionMask.causal(offset: 2), [Float]([0.5, 0.25, 0.125, 0.0625])),
      (AttentionMask(keyLengths: [5, 3]), [0.3, 0.2, 0.1, 0.05]), (.none, nil),
    ] {
      assertGradientsMatch([q, k, v]) {
        attention(query: q, key: k, value: v, mask: mask, alibiSlopes: alibi)
      }
    }
  }

  /// ALiBi and grouped-query heads give the same values and gradients in the standard and the
  /// memory-efficient kernels (whose contract defines both the same way).
  func testStandardOpMatchesMemoryEfficientWithALiBiAndGroupedHeads() {
    var inputs = Inputs(seed: 13)
    let q = inputs.variable([2, 6, 7, 8], "query")
    let k = inputs.variable([2, 3, 9, 8], "key")
    let v = inputs.variable([2, 3, 9, 8], "value")
    let slopes = alibiSlopes(heads: 6)
    for mask in [AttentionMask(keyLengths: [9, 4]), .causal(offset: 2)] {
      func run(_ f: () -> Variable) -> [Tensor] {
        for x in [q, k, v] { x.zeroGradient() }
        let tape = Tape()
        let y = tape.record(f)
        tape.backward(from: y, seed: GradientCheck.projection(shape: y.shape, seed: 2))
        return [y.value] + [q, k, v].map { $0.gradient! }
      }
      let standard = run { attention(query: q, key: k, value: v, mask: mask, alibiSlopes: slopes) }
      let tiled = run {
        memoryEfficientAttention(query: q, key: k, value: v, mask: mask, alibiSlopes: slopes)
      }
      for (a, b) in zip(standard, tiled) {
        XCTAssertEqual(a.shape, b.shape)
        for (x, y) in zip(a.scalars, b.scalars) { XCTAssertEqual(x, y, accuracy: 2e-5) }
      }
    }
  }

  /// The single-query kernel with grouped heads and ALiBi: against its Double reference and
  /// against the last query row of the batched op.
  func testSingleQueryAttentionWithGroupedHeadsAndALiBi() {
    var inputs = Inputs(seed: 17)
    let (rows, heads, groups, size, length) = (4, 4, 2, 8, 5)
    let q = inputs.constant([rows, heads, size]).value  // [R, H, K]
    let keys = inputs.constant([rows, groups, length, size]).value  // [R, G, C, K]
    let values = inputs.constant([rows, groups, length, size]).value
    let slopes = alibiSlopes(heads: heads)
    let mask = AttentionMask.causal(offset: length - 1)
    var fast = Tensor(shape: [rows, heads, size])
    var slow = Tensor(shape: [rows, heads, size])
    for (output, kernel) in [(0, singleQueryAttention), (1, singleQueryAttentionReference)] {
      var result = Tensor(shape: [rows, heads, size])
      result.withUnsafeMutableBufferPointer { out in
        kernel(
          q.storage.pointer, keys.storage.pointer, values.storage.pointer, out.baseAddress!, rows,
          rows, heads, size, length, length, mask, groups, slopes)
      }
      if output == 0 { fast = result } else { slow = result }
    }
    for (a, b) in zip(fast.scalars, slow.scalars) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    // The batched op, query at position length − 1 as the last of `length` queries.
    let batched = attention(
      query: Variable(Tensor(shape: [rows, heads, 1, size], scalars: q.scalars)),
      key: Variable(keys), value: Variable(values), mask: mask, alibiSlopes: slopes
    ).value
    for (a, b) in zip(fast.scalars, batched.scalars) { XCTAssertEqual(a, b, accuracy: 1e-5) }
  }
}
