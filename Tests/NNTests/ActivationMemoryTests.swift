import Autograd
import XCTest

@testable import NN
@testable import Tensors

/// `ActivationMemory`'s estimate against the bytes a training step's tensors really hold at
/// their peak (`TensorMemory`), on random models of every kind.
final class ActivationMemoryTests: XCTestCase {
  /// The peak bytes of tensors a second training step adds to what was live before it (the
  /// first allocates the parameters' gradients, which are not activations).
  private func measuredPeak(
    _ configuration: TransformerConfiguration, rows: Int, length: Int
  ) -> Int {
    let model = Transformer(configuration: configuration, seed: 1)
    model.isTraining = true
    var generator = RandomGenerator(seed: 3)
    // A decoder-only row is `source </s> <s> target`: `length` tokens in all.
    let sourceLength = configuration.isDecoderOnly ? (length - 1) / 2 : length
    let targetLength = configuration.isDecoderOnly ? length - 1 - sourceLength : length
    func ids(_ count: Int) -> [Int] {
      (0..<count).map { _ in Int.random(in: 4..<configuration.vocabularySize, using: &generator) }
    }
    let source = ids(rows * sourceLength)
    let target = ids(rows * targetLength)
    func step() {
      let tape = Tape()
      let loss = tape.record {
        model.loss(
          sourceIDs: source, targetInputIDs: target, targetOutputIDs: target,
          sourceLengths: Array(repeating: sourceLength, count: rows),
          targetLengths: Array(repeating: targetLength, count: rows), labelSmoothing: 0.1
        ).loss
      }
      tape.backward(from: loss)
    }
    step()
    let before = TensorMemory.liveBytes
    TensorMemory.resetPeak()
    step()
    return TensorMemory.peakBytes - before
  }

  func testEstimateFollowsTheMeasuredPeak() {
    var generator = RandomGenerator(seed: 11)
    var ratios: [String: [Double]] = [:]
    let kinds = ["post", "pre", "gelu", "memory_efficient", "kv_heads", "rope", "decoder-only"]
    for index in 0..<42 {
      let kind = kinds[index % kinds.count]
      let heads = [2, 4, 8].randomElement(using: &generator)!
      var c = TransformerConfiguration(
        encoderLayerCount: Int.random(in: 1...3, using: &generator),
        decoderLayerCount: Int.random(in: 1...3, using: &generator),
        modelWidth: [64, 128, 256].randomElement(using: &generator)!, headCount: heads,
        feedForwardWidth: [64, 256, 1024].randomElement(using: &generator)!,
        vocabularySize: [100, 1000, 4000].randomElement(using: &generator)!, attentionDropout: 0.1,
        maxPositions: 256, attention: .standard)
      switch kind {
      case "pre": c.norm = .pre
      case "gelu": c.activation = .gelu
      case "memory_efficient": c.attention = .memoryEfficient
      case "kv_heads": c.keyValueHeadCount = 1
      case "rope": c.positions = .rope
      case "decoder-only": c.architecture = .decoderOnly
      default: break
      }
      let rows = Int.random(in: 1...6, using: &generator)
      let length = Int.random(in: 3...80, using: &generator)
      let measured = Double(measuredPeak(c, rows: rows, length: length))
      let estimate = 4 * ActivationMemory.trainingFloats(c, rows: rows, length: length)
      ratios[kind, default: []].append(estimate / measured)
    }
    for (kind, list) in ratios {
      XCTAssertGreaterThanOrEqual(list.min()!, 0.88, "\(kind): \(list)")
      XCTAssertLessThanOrEqual(list.max()!, 1.18, "\(kind): \(list)")
    }
  }

  func testLargestBatchTakesTheWorstRowLength() throws {
    let c = TransformerConfiguration(
      encoderLayerCount: 2, decoderLayerCount: 2, modelWidth: 128, headCount: 4,
      feedForwardWidth: 512, vocabularySize: 1000, attention: .standard)
    // 100 tokens: one row of 60 (60 tokens) or two rows of 50 (100 tokens).
    let largest = try XCTUnwrap(
      ActivationMemory.largestBatch(c, batchTokens: 100, rowLengths: [60: 5, 50: 5]))
    XCTAssertEqual(largest.rows, 2)
    XCTAssertEqual(largest.length, 50)
    XCTAssertEqual(largest.bytes, 4 * ActivationMemory.trainingFloats(c, rows: 2, length: 50))
    // A pair longer than the budget still makes a batch of one row.
    let long = try XCTUnwrap(
      ActivationMemory.largestBatch(c, batchTokens: 10, rowLengths: [40: 1]))
    XCTAssertEqual(long.rows, 1)
    XCTAssertNil(ActivationMemory.largestBatch(c, batchTokens: 10, rowLengths: [:]))
    // No more rows than pairs of that length or shorter, nor than the batcher's chunk.
    let few = try XCTUnwrap(
      ActivationMemory.largestBatch(c, batchTokens: 1000, rowLengths: [10: 3, 20: 4]))
    XCTAssertEqual(few.rows, 7)
    XCTAssertEqual(few.length, 20)
    let chunked = try XCTUnwrap(
      ActivationMemory.largestBatch(c, batchTokens: 1000, rowLengths: [10: 300], maxRows: 50))
    XCTAssertEqual(chunked.rows, 50)
  }

  func testLongRowsCostTheirAttentionMatrices() {
    // Under the standard kernel each token keeps H·L probabilities per attention op, so the
    // memory of a batch of fixed tokens grows with the row length; the memory-efficient kernel
    // keeps none.
    var c = TransformerConfiguration(
      encoderLayerCount: 1, decoderLayerCount: 1, modelWidth: 64, headCount: 8,
      feedForwardWidth: 256, vocabularySize: 100, attention: .standard)
    let short = ActivationMemory.trainingFloats(c, rows: 64, length: 16)
    let long = ActivationMemory.trainingFloats(c, rows: 1, length: 1024)
    XCTAssertEqual(long - short, 1024 * 3 * 8 * (1024 - 16), accuracy: 1)
    c.attention = .memoryEfficient
    XCTAssertEqual(
      ActivationMemory.trainingFloats(c, rows: 1, length: 1024),
      ActivationMemory.trainingFloats(c, rows: 64, length: 16))
  }
}
