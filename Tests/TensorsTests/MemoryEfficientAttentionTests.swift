import XCTest

@testable import Tensors

/// The tiled attention kernel against the standard softmax path (matmul, fused softmax, matmul)
/// and against the Double reference, on the sizes around the tile and SIMD widths.
final class MemoryEfficientAttentionTests: XCTestCase {
  /// Random q `[B, H, T, K]`, k and v `[B, G, S, K]`.
  private struct Inputs {
    var shape: AttentionShape
    var query: Tensor, key: Tensor, value: Tensor

    init(_ shape: AttentionShape, seed: UInt64, range: Float = 2) {
      self.shape = shape
      var generator = RandomGenerator(seed: seed)
      let (b, h, g, t, s, k) = (
        shape.batch, shape.heads, shape.keyValueHeads, shape.queries, shape.keys, shape.headSize
      )
      query = .uniform(shape: [b, h, t, k], low: -range, high: range, using: &generator)
      key = .uniform(shape: [b, g, s, k], low: -range, high: range, using: &generator)
      value = .uniform(shape: [b, g, s, k], low: -1, high: 1, using: &generator)
    }
  }

  /// The standard forward of `attention(query:key:value:mask:)`: softmax(q·kᵀ/√K, mask)·v.
  private func standardAttention(_ inputs: Inputs, mask: AttentionMask) -> Tensor {
    let shape = inputs.shape
    var probabilities = matmul(inputs.query, inputs.key, transposeB: true)  // [B, H, T, S]
    probabilities.withUnsafeMutableBufferPointer { p in
      softmaxForward(
        p.baseAddress!, into: p.baseAddress!, batch: shape.batch, heads: shape.heads,
        queries: shape.queries, keys: shape.keys, scale: 1 / Float(shape.headSize).squareRoot(),
        mask: mask)
    }
    return matmul(probabilities, inputs.value)  // [B, H, T, K]
  }

  /// The masks every size is tried with: none, key lengths, padding matrix, causal at offsets 0,
  /// S − T (new queries after cached keys) and −1 (query 0 sees nothing), and a batch element
  /// with no keys at all.
  private func masks(batch: Int, queries: Int, keys: Int) -> [AttentionMask] {
    var generator = RandomGenerator(seed: UInt64(queries * 1000 + keys))
    let lengths = (0..<batch).map { b in b == 0 ? keys : Int.random(in: 0...keys, using: &generator)
    }
    let padding = (0..<(batch * keys)).map { _ in generator.nextUniform() < 0.3 }
    return [
      .none, AttentionMask(keyLengths: lengths), AttentionMask(keyIsPadding: padding),
      .causal(), .causal(offset: keys - queries), .causal(offset: -1),
      AttentionMask(keyLengths: [0] + lengths.dropFirst(), causalOffset: keys - queries),
      AttentionMask(keyLengths: lengths, keyIsPadding: padding, causalOffset: 2),
    ]
  }

  func testForwardMatchesTheStandardKernel() {
    for (queries, keys) in [
      (1, 1), (15, 15), (16, 16), (17, 17), (1, 17), (17, 3), (33, 65), (40, 130),
    ] {
      for headSize in [7, 13, 64] {
        let inputs = Inputs(
          AttentionShape(batch: 2, heads: 2, queries: queries, keys: keys, headSize: headSize),
          seed: UInt64(queries * 100 + keys + headSize))
        for mask in masks(batch: 2, queries: queries, keys: keys) {
          let expected = standardAttention(inputs, mask: mask)
          let (output, _) = memoryEfficientAttention(
            query: inputs.query, key: inputs.key, value: inputs.value, mask: mask)
          assertClose(
            output.scalars, expected.scalars, absolute: 1e-6, relative: 1e-5,
            "T \(queries) S \(keys) K \(headSize) \(mask)")
        }
      }
    }
  }

  /// A thousand queries and keys: many tiles, a long online-softmax chain.
  func testLongSequenceMatchesTheStandardKernel() {
    let inputs = Inputs(
      AttentionShape(batch: 1, heads: 2, queries: 1000, keys: 1000, headSize: 16), seed: 1000)
    for mask in [AttentionMask.none, .causal(), AttentionMask(keyLengths: [777])] {
      let expected = standardAttention(inputs, mask: mask)
      let (output, _) = memoryEfficientAttention(
        query: inputs.query, key: inputs.key, value: inputs.value, mask: mask)
      assertClose(output.scalars, expected.scalars, absolute: 1e-6, relative: 1e-5, "\(mask)")
    }
  }

  /// Forward, log-sum-exp and all three gradients against the Double reference, with every
  /// modifier alone and together, GQA included.
  func testForwardAndBackwardMatchTheReference() {
    let slopes: [Float] = [0.5, 0.25, 0.125, 0.0625]
    let cases: [(AttentionShape, AttentionMask, AttentionModifiers)] = [
      (AttentionShape(batch: 2, heads: 2, queries: 17, keys: 17, headSize: 13), .none, .none),
      (
        AttentionShape(batch: 2, heads: 4, keyValueHeads: 2, queries: 17, keys: 70, headSize: 7),
        AttentionMask(keyLengths: [70, 33]), .none
      ),
      (
        AttentionShape(batch: 1, heads: 4, keyValueHeads: 1, queries: 33, keys: 33, headSize: 16),
        .causal(), AttentionModifiers(alibiSlopes: slopes)
      ),
      (
        AttentionShape(batch: 1, heads: 2, queries: 90, keys: 100, headSize: 8),
        .causal(offset: 10), AttentionModifiers(window: 7)
      ),
      (
        AttentionShape(batch: 1, heads: 2, queries: 40, keys: 40, headSize: 8), .none,
        AttentionModifiers(window: 16)
      ),
      (
        AttentionShape(batch: 2, heads: 2, queries: 130, keys: 130, headSize: 8),
        AttentionMask(keyLengths: [130, 77]),
        AttentionModifiers(window: 9, bidirectionalWindow: true)
      ),
      (
        AttentionShape(batch: 1, heads: 4, keyValueHeads: 2, queries: 70, keys: 70, headSize: 13),
        AttentionMask(keyIsPadding: (0..<70).map { $0 % 5 == 0 }),
        AttentionModifiers(
          alibiSlopes: slopes, window: 40, bidirectionalWindow: true, dropoutProbability: 0.2,
          dropoutSeed: 5)
      ),
      (
        AttentionShape(batch: 2, heads: 2, queries: 20, keys: 70, headSize: 5),
        AttentionMask(keyLengths: [70, 0]),
        AttentionModifiers(dropoutProbability: 0.3, dropoutSeed: 9)
      ),
      (
        AttentionShape(batch: 2, heads: 4, keyValueHeads: 2, queries: 37, keys: 80, headSize: 13),
        AttentionMask(keyLengths: [80, 50], causalOffset: 43),
        AttentionModifiers(
          alibiSlopes: slopes, window: 20, dropoutProbability: 0.2, dropoutSeed: 77)
      ),
    ]
    for (index, (shape, mask, modifiers)) in cases.enumerated() {
      let inputs = Inputs(shape, seed: UInt64(10 + index))
      let outputGradient = randomArray(
        inputs.query.count, seed: UInt64(20 + index), low: -1, high: 1)
      let reference = memoryEfficientAttentionReference(
        query: inputs.query.scalars, key: inputs.key.scalars, value: inputs.value.scalars,
        outputGradient: outputGradient, shape: shape, mask: mask, modifiers: modifiers)
      let (output, logSumExp) = memoryEfficientAttention(
        query: inputs.query, key: inputs.key, value: inputs.value, mask: mask,
        modifiers: modifiers)
      let gradients = memoryEfficientAttentionBackward(
        query: inputs.query, key: inputs.key, value: inputs.value, output: output,
        logSumExp: logSumExp, outputGradient: Tensor(shape: output.shape, scalars: outputGradient),
        mask: mask, modifiers: modifiers)
      let label = "case \(index)"
      assertClose(
        output.scalars, reference.output, absolute: 2e-6, relative: 1e-5, "output \(label)")
      XCTAssertEqual(
        logSumExp.scalars.map { $0 == -.infinity }, reference.logSumExp.map { $0 == -.infinity },
        "fully masked rows \(label)")
      assertClose(
        logSumExp.scalars.map { $0.isFinite ? $0 : 0 },
        reference.logSumExp.map { $0.isFinite ? $0 : 0 }, absolute: 1e-5, relative: 1e-5,
        "log-sum-exp \(label)")
      assertClose(
        gradients.query.scalars, reference.queryGradient, absolute: 1e-5, relative: 1e-4,
        "query gradient \(label)")
      assertClose(
        gradients.key.scalars, reference.keyGradient, absolute: 1e-5, relative: 1e-4,
        "key gradient \(label)")
      assertClose(
        gradients.value.scalars, reference.valueGradient, absolute: 1e-5, relative: 1e-4,
        "value gradient \(label)")
    }
  }

  /// The per-lane dropout scales are `dropoutMask`'s bits at the flat [B, H, T, S] index, along
  /// a row (stride 1) and down a column (stride S), from even and odd starts.
  func testDropoutLanesAreTheDropoutMaskBits() {
    let (probability, seed): (Float, UInt64) = (0.37, 1234)
    let count = 4096
    var expected = [Float](repeating: 0, count: count)
    dropoutMaskReference(into: &expected, count: count, probability: probability, seed: seed)
    let lanes = AttentionDropoutLanes(probability: probability, seed: seed)
    for (first, stride) in [(0, 1), (1, 1), (17, 1), (3, 13), (8, 64), (5, 255)] {
      let scales = lanes.scales(first: first, stride: stride)
      for lane in 0..<16 {
        XCTAssertEqual(
          scales[lane], expected[first + lane * stride], "first \(first) stride \(stride)")
      }
    }
  }

  /// With equal scores (q = 0) and v = 1 every output element is (kept keys)/(S·(1 − p)), so the
  /// kept fraction is measured directly; it must be close to 1 − p.
  func testDropoutKeepsAboutOneMinusPOfTheProbabilities() {
    let (queries, keys, probability): (Int, Int, Float) = (64, 512, 0.25)
    let query = Tensor(shape: [1, 2, queries, 4])
    let key = Tensor(shape: [1, 2, keys, 4], repeating: 0.5)
    let value = Tensor(shape: [1, 2, keys, 4], repeating: 1)
    let (output, _) = memoryEfficientAttention(
      query: query, key: key, value: value,
      modifiers: AttentionModifiers(dropoutProbability: probability, dropoutSeed: 5))
    let fractions = output.scalars.map { Double($0) * Double(1 - probability) }
    let mean = fractions.reduce(0, +) / Double(fractions.count)
    XCTAssertEqual(mean, 0.75, accuracy: 0.01)
    // Rows differ (a mask per row, not one mask broadcast).
    XCTAssertGreaterThan(Set(fractions).count, 10)
  }

  /// Every row of a window sees at most W keys, and each query tile visits at most
  /// W + tile − 1 keys (whole tiles outside the window are skipped), as each key tile does queries.
  func testWindowBoundsTheKeysEachTileVisits() {
    let (length, window) = (4096, 100)
    let shape = AttentionShape(batch: 1, heads: 1, queries: length, keys: length, headSize: 8)
    let visibility = AttentionVisibility(
      shape: shape, mask: .causal(), modifiers: AttentionModifiers(window: window))
    for t in [0, 50, 99, 100, 4095] {
      let range = visibility.keyRange(batch: 0, query: t)
      XCTAssertEqual(range, max(0, t - window + 1)..<(t + 1))
    }
    var visited = 0
    for t0 in stride(from: 0, to: length, by: AttentionTile.queries) {
      let keys = visibility.keyRange(
        batch: 0, queries: t0..<min(length, t0 + AttentionTile.queries))
      XCTAssertLessThanOrEqual(keys.count, window + AttentionTile.queries - 1)
      visited += keys.count
    }
    XCTAssertLessThan(visited, length * (window + AttentionTile.queries))
    for s0 in stride(from: 0, to: length, by: AttentionTile.keys) {
      let queries = visibility.queryRange(batch: 0, keys: s0..<min(length, s0 + AttentionTile.keys))
      XCTAssertLessThanOrEqual(queries.count, window + AttentionTile.keys - 1)
    }
  }

  /// The bidirectional window: query i sees |i − s| < W, and a tile of queries or keys spans at
  /// most a tile plus 2W − 2 of the other, so the work is O(T·W).
  func testBidirectionalWindowBoundsTheKeysEachTileVisits() {
    let (length, window) = (4096, 100)
    let shape = AttentionShape(batch: 1, heads: 1, queries: length, keys: length, headSize: 8)
    let visibility = AttentionVisibility(
      shape: shape, mask: .none,
      modifiers: AttentionModifiers(window: window, bidirectionalWindow: true))
    for t in [0, 50, 99, 100, 4000, 4095] {
      XCTAssertEqual(
        visibility.keyRange(batch: 0, query: t), max(0, t - window + 1)..<min(length, t + window))
    }
    for t0 in stride(from: 0, to: length, by: AttentionTile.queries) {
      let keys = visibility.keyRange(
        batch: 0, queries: t0..<min(length, t0 + AttentionTile.queries))
      XCTAssertLessThanOrEqual(keys.count, 2 * window - 2 + AttentionTile.queries)
    }
    for s0 in stride(from: 0, to: length, by: AttentionTile.keys) {
      let keys = s0..<min(length, s0 + AttentionTile.keys)
      let queries = visibility.queryRange(batch: 0, keys: keys)
      XCTAssertLessThanOrEqual(queries.count, 2 * window - 2 + AttentionTile.keys)
      // A superset of the queries that see the keys.
      for t in [queries.lowerBound - 1, queries.upperBound] where t >= 0 && t < length {
        XCTAssertFalse(visibility.keyRange(batch: 0, query: t).overlaps(keys), "t \(t)")
      }
    }
  }

  /// Rows with no visible key: output 0, log-sum-exp −∞, gradients 0, nothing NaN.
  func testFullyMaskedRowsGiveZerosNotNaN() {
    let inputs = Inputs(
      AttentionShape(batch: 2, heads: 2, queries: 5, keys: 20, headSize: 7), seed: 3)
    let mask = AttentionMask(keyLengths: [20, 0], causalOffset: -2)  // queries 0, 1 see nothing
    let (output, logSumExp) = memoryEfficientAttention(
      query: inputs.query, key: inputs.key, value: inputs.value, mask: mask)
    let gradients = memoryEfficientAttentionBackward(
      query: inputs.query, key: inputs.key, value: inputs.value, output: output,
      logSumExp: logSumExp,
      outputGradient: Tensor(shape: output.shape, repeating: 1), mask: mask)
    for tensor in [output, gradients.query, gradients.key, gradients.value] {
      XCTAssertTrue(tensor.scalars.allSatisfy(\.isFinite))
    }
    for h in 0..<2 {
      for t in 0..<5 {
        let hidden = t < 2
        XCTAssertEqual(logSumExp[0, h, t] == -.infinity, hidden)
        XCTAssertEqual(logSumExp[1, h, t], -.infinity)
        for k in 0..<7 {
          XCTAssertEqual(output[1, h, t, k], 0)
          XCTAssertEqual(gradients.query[1, h, t, k], 0)
          if hidden {
            XCTAssertEqual(output[0, h, t, k], 0)
            XCTAssertEqual(gradients.query[0, h, t, k], 0)
          } else if t >= 3 {  // query 2 sees one key: P = 1 whatever q is, so dq = 0
            XCTAssertNotEqual(gradients.query[0, h, t, k], 0)
          }
        }
      }
    }
    XCTAssertTrue(gradients.key.scalars[(gradients.key.count / 2)...].allSatisfy { $0 == 0 })
    XCTAssertTrue(gradients.value.scalars[(gradients.value.count / 2)...].allSatisfy { $0 == 0 })
    // Keys past t + offset of the last query (s > 2) get no gradient either.
    XCTAssertEqual(gradients.value[0, 0, 3, 0], 0)
    XCTAssertNotEqual(gradients.value[0, 0, 2, 0], 0)
  }

  /// The one-pass backward gives the two passes' gradients bit for bit (so `automatic` may
  /// pick by thread count), with every mask and modifier, GQA, odd head sizes and sizes off the
  /// tile edges; and into gradients that already hold values (`accumulate`).
  func testOnePassBackwardIsBitIdenticalToTwoPasses() {
    let slopes: [Float] = [0.5, 0.25, 0.125, 0.0625]
    let cases: [(AttentionShape, AttentionMask, AttentionModifiers)] = [
      (AttentionShape(batch: 2, heads: 2, queries: 17, keys: 17, headSize: 13), .none, .none),
      (
        AttentionShape(batch: 2, heads: 4, keyValueHeads: 2, queries: 70, keys: 130, headSize: 7),
        AttentionMask(keyLengths: [130, 33]), .none
      ),
      (
        AttentionShape(batch: 1, heads: 4, keyValueHeads: 1, queries: 99, keys: 99, headSize: 16),
        .causal(), AttentionModifiers(alibiSlopes: slopes)
      ),
      (
        AttentionShape(batch: 1, heads: 2, queries: 90, keys: 200, headSize: 24),
        .causal(offset: 110), AttentionModifiers(window: 37)
      ),
      (
        AttentionShape(batch: 2, heads: 2, queries: 150, keys: 150, headSize: 16),
        AttentionMask(keyLengths: [150, 100]),
        AttentionModifiers(window: 30, bidirectionalWindow: true)
      ),
      (
        AttentionShape(batch: 2, heads: 2, queries: 65, keys: 70, headSize: 5),
        AttentionMask(keyLengths: [70, 0], keyIsPadding: (0..<140).map { $0 % 3 == 0 }),
        AttentionModifiers(dropoutProbability: 0.3, dropoutSeed: 9)
      ),
      (
        AttentionShape(batch: 2, heads: 4, keyValueHeads: 2, queries: 37, keys: 80, headSize: 64),
        AttentionMask(keyLengths: [80, 50], causalOffset: -3),
        AttentionModifiers(
          alibiSlopes: slopes, window: 20, dropoutProbability: 0.2, dropoutSeed: 77)
      ),
    ]
    for (index, (shape, mask, modifiers)) in cases.enumerated() {
      let inputs = Inputs(shape, seed: UInt64(30 + index))
      let (output, logSumExp) = memoryEfficientAttention(
        query: inputs.query, key: inputs.key, value: inputs.value, mask: mask,
        modifiers: modifiers)
      let outputGradient = randomArray(output.count, seed: UInt64(40 + index))
      let start = (
        query: randomArray(inputs.query.count, seed: 1),
        key: randomArray(inputs.key.count, seed: 2),
        value: randomArray(inputs.value.count, seed: 3)
      )
      func gradients(_ schedule: AttentionBackwardSchedule, accumulate: Bool) -> [[Float]] {
        var (dq, dk, dv) =
          accumulate
          ? start
          : (
            [Float](repeating: 9, count: start.query.count),
            [Float](repeating: 9, count: start.key.count),
            [Float](repeating: 9, count: start.value.count)
          )
        memoryEfficientAttentionBackward(
          query: inputs.query.storage.pointer, key: inputs.key.storage.pointer,
          value: inputs.value.storage.pointer, output: output.storage.pointer,
          logSumExp: logSumExp.storage.pointer, outputGradient: outputGradient,
          queryGradient: &dq, keyGradient: &dk, valueGradient: &dv,
          accumulate: (accumulate, accumulate, accumulate), shape: shape, mask: mask,
          modifiers: modifiers, schedule: schedule)
        return [dq, dk, dv]
      }
      for accumulate in [false, true] {
        let twoPasses = gradients(.twoPasses, accumulate: accumulate)
        let onePass = gradients(.onePass, accumulate: accumulate)
        for (name, (expected, actual)) in zip(["query", "key", "value"], zip(twoPasses, onePass)) {
          XCTAssertTrue(expected.contains { $0 != 0 && $0 != 9 }, "case \(index) \(name) trivial")
          XCTAssertEqual(actual, expected, "case \(index) \(name) accumulate \(accumulate)")
        }
      }
    }
  }

  /// `automatic` takes one pass when the (batch, key/value head) tasks share out evenly or are
  /// plenty, else two.
  func testBackwardScheduleFollowsTheTaskCount() {
    XCTAssertEqual(AttentionBackwardSchedule.resolve(tasks: 8, threads: 2), .onePass)
    XCTAssertEqual(AttentionBackwardSchedule.resolve(tasks: 9, threads: 2), .onePass)
    XCTAssertEqual(AttentionBackwardSchedule.resolve(tasks: 3, threads: 2), .twoPasses)
    XCTAssertEqual(AttentionBackwardSchedule.resolve(tasks: 1, threads: 2), .twoPasses)
    XCTAssertEqual(AttentionBackwardSchedule.resolve(tasks: 1, threads: 1), .onePass)
  }

  func testSameResultsOnOneAndTwoThreads() {
    let inputs = Inputs(
      AttentionShape(batch: 2, heads: 4, keyValueHeads: 2, queries: 150, keys: 170, headSize: 24),
      seed: 8)
    let mask = AttentionMask(keyLengths: [170, 120], causalOffset: 20)
    let modifiers = AttentionModifiers(
      alibiSlopes: [0.1, 0.2, 0.3, 0.4], window: 90, dropoutProbability: 0.1, dropoutSeed: 3)
    let outputGradient = Tensor(
      shape: inputs.query.shape, scalars: randomArray(inputs.query.count, seed: 9))
    assertSameWithOneAndTwoThreads {
      let (output, logSumExp) = memoryEfficientAttention(
        query: inputs.query, key: inputs.key, value: inputs.value, mask: mask,
        modifiers: modifiers)
      let gradients = memoryEfficientAttentionBackward(
        query: inputs.query, key: inputs.key, value: inputs.value, output: output,
        logSumExp: logSumExp, outputGradient: outputGradient, mask: mask, modifiers: modifiers)
      return output.scalars + logSumExp.scalars + gradients.query.scalars + gradients.key.scalars
        + gradients.value.scalars
    }
  }
}
