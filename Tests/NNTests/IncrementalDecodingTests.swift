import Autograd
import XCTest

@testable import NN

/// The cached decoder against the full-prefix `decodeLogits`: same logits at every step, for
/// post-norm and pre-norm, padded sources, several rows per sentence, and reordered rows.
final class IncrementalDecodingTests: XCTestCase {
  /// A small seeded model: D 16, 4 heads, F 24, 2+2 layers, V 29.
  static func model(
    _ placement: TransformerConfiguration.NormPlacement, seed: UInt64 = 7,
    attention: AttentionImplementation = .standard, window: Int? = nil,
    positions: TransformerConfiguration.Positions = .sinusoidal, keyValueHeads: Int? = nil
  ) -> Transformer {
    let configuration = TransformerConfiguration(
      encoderLayerCount: 2, decoderLayerCount: 2, modelWidth: 16, headCount: 4,
      feedForwardWidth: 24, vocabularySize: 29, dropout: 0.1, norm: placement,
      tieEmbeddings: placement == .post, maxPositions: 20, attention: attention,
      attentionWindow: window, positions: positions, keyValueHeadCount: keyValueHeads)
    let model = Transformer(configuration: configuration, seed: seed)
    model.isTraining = false
    return model
  }

  /// Two sentences of lengths 5 and 3, padded to 5.
  static let sourceIDs = [5, 9, 12, 7, 2, 14, 6, 2, 0, 0]
  static let sourceLengths = [5, 3]

  /// The last position's logits `[R, V]` of `decodeLogits` on the prefixes, each row reading
  /// the memory of sentence `sentenceOfRow[r]`.
  func referenceLogits(
    _ model: Transformer, prefixes: [[Int]], sentenceOfRow: [Int]
  ) -> [Float] {
    let memory = model.encode(sourceIDs: Self.sourceIDs, sourceLengths: Self.sourceLengths)
    let (length, width) = (memory.shape[1], memory.shape[2])
    var rows = Tensor(shape: [prefixes.count, length, width])
    rows.withUnsafeMutableBufferPointer { target in
      for (row, sentence) in sentenceOfRow.enumerated() {
        for i in 0..<(length * width) {
          target[row * length * width + i] = memory.storage.pointer[sentence * length * width + i]
        }
      }
    }
    let logits = model.decodeLogits(
      memory: rows, sourceLengths: sentenceOfRow.map { Self.sourceLengths[$0] },
      targetInputIDs: prefixes.flatMap { $0 })  // [R, T, V]
    let (t, v) = (prefixes[0].count, model.configuration.vocabularySize)
    let scalars = logits.scalars
    var result: [Float] = []
    for row in 0..<prefixes.count {
      let start: Int = (row * t + t - 1) * v
      result += scalars[start..<(start + v)]
    }
    return result
  }

  /// Width 3 (6 rows) takes the few-row products, width 6 (12 rows) the blocked GEMM.
  func checkSteps(
    _ placement: TransformerConfiguration.NormPlacement, width: Int,
    attention: AttentionImplementation = .standard, window: Int? = nil,
    positions: TransformerConfiguration.Positions = .sinusoidal, keyValueHeads: Int? = nil
  ) {
    let model = Self.model(
      placement, attention: attention, window: window, positions: positions,
      keyValueHeads: keyValueHeads)
    let decoder = model.incrementalDecoder(
      sourceIDs: Self.sourceIDs, sourceLengths: Self.sourceLengths, rowsPerSentence: width,
      maxLength: 8)
    var prefixes = [[Int]](repeating: [1], count: 2 * width)
    var generator = RandomGenerator(seed: 3)
    for step in 0..<7 {
      let logits = decoder.step(prefixes.map { $0.last! })
      let sentenceOfRow = (0..<(2 * width)).map { $0 / width }
      let expected = referenceLogits(model, prefixes: prefixes, sentenceOfRow: sentenceOfRow)
      XCTAssertEqual(logits.shape, [2 * width, 29])
      for (actual, wanted) in zip(logits.scalars, expected) {
        XCTAssertEqual(
          actual, wanted, accuracy: 2e-4,
          "\(placement) \(positions) kv \(keyValueHeads ?? 4) step \(step)")
      }
      // Reorder within each sentence (parents repeat), then extend by random tokens.
      let parents = (0..<(2 * width)).map { row in
        (row / width) * width + Int(generator.next() % UInt64(width))
      }
      decoder.select(rows: parents, sentences: [0, 1])
      prefixes = parents.map { prefixes[$0] + [3 + Int(generator.next() % 26)] }
    }
  }

  /// Decoders multiply by the model's laid-out step weights (row panels for a few rows, GEMM
  /// panels for many), which are made once and made again when a weight has changed, in place
  /// as an optimiser changes it.
  func testStepWeightsFollowChangedWeights() {
    let model = Self.model(.post)
    let weight = model.decoder.layers[0].feedForward.inner.weight
    let first = model.stepWeights(layout: .rowPanels)
    let firstPacked = model.stepWeights(layout: .gemmPanels)
    XCTAssertEqual(first.layout, .rowPanels)
    XCTAssertEqual(firstPacked.layout, .gemmPanels)
    XCTAssertTrue(
      model.stepWeights(layout: .rowPanels).rowPanels(weight) === first.rowPanels(weight))
    XCTAssertEqual(
      model.stepWeights(layout: .gemmPanels)[weight]?.storageIdentity,
      firstPacked[weight]?.storageIdentity)
    XCTAssertTrue(
      PackedWeights.forSteps(of: model, rows: rowProductMaxRows + 1)[weight]?.storageIdentity
        == firstPacked[weight]?.storageIdentity)
    weight.value.withUnsafeMutableBufferPointer { values in
      for i in values.indices { values[i] *= -1.5 }
    }
    XCTAssertFalse(
      model.stepWeights(layout: .rowPanels).rowPanels(weight) === first.rowPanels(weight))
    XCTAssertNotEqual(
      model.stepWeights(layout: .gemmPanels)[weight]?.storageIdentity,
      firstPacked[weight]?.storageIdentity)
    // Two rows (row panels) and 2·5 > rowProductMaxRows rows (GEMM panels) see the new values.
    for width in [1, 5] {
      XCTAssertEqual(width * 2 > rowProductMaxRows, width == 5)
      let decoder = model.incrementalDecoder(
        sourceIDs: Self.sourceIDs, sourceLengths: Self.sourceLengths, rowsPerSentence: width,
        maxLength: 4)
      let logits = decoder.step([Int](repeating: 1, count: 2 * width))
      let expected = referenceLogits(
        model, prefixes: [[Int]](repeating: [1], count: 2 * width),
        sentenceOfRow: (0..<(2 * width)).map { $0 / width })
      for (actual, wanted) in zip(logits.scalars, expected) {
        XCTAssertEqual(actual, wanted, accuracy: 2e-4)
      }
    }
  }

  func testCachedStepsEqualFullPrefixPostNorm() {
    checkSteps(.post, width: 3)
    checkSteps(.post, width: 6)
  }

  func testCachedStepsEqualFullPrefixPreNorm() {
    checkSteps(.pre, width: 3)
    checkSteps(.pre, width: 6)
  }

  /// The memory-efficient kernel in the full prefix, and a window of 3 that the 7 steps
  /// outgrow: the cached steps see the same last 3 positions.
  func testCachedStepsEqualFullPrefixMemoryEfficientWithWindow() {
    checkSteps(.pre, width: 3, attention: .memoryEfficient)
    checkSteps(.post, width: 3, attention: .memoryEfficient, window: 3)
    checkSteps(.pre, width: 6, attention: .memoryEfficient, window: 3)
  }

  /// Every position variant with every key/value head count (MHA 4, GQA 2, MQA 1), on the
  /// standard kernel and the memory-efficient one, and the window with RoPE and ALiBi.
  func testCachedStepsEqualFullPrefixForEveryPositionAndKeyValueHeads() {
    for positions in TransformerConfiguration.Positions.allCases {
      for keyValueHeads in [4, 2, 1] {
        checkSteps(.pre, width: 3, positions: positions, keyValueHeads: keyValueHeads)
      }
      checkSteps(.post, width: 6, positions: positions, keyValueHeads: 2)
      checkSteps(
        .pre, width: 3, attention: .memoryEfficient, positions: positions, keyValueHeads: 2)
    }
    checkSteps(.pre, width: 3, attention: .memoryEfficient, window: 3, positions: .rope)
    checkSteps(
      .post, width: 3, attention: .memoryEfficient, window: 3, positions: .alibi, keyValueHeads: 1)
  }

  /// The variants change the logits (so the test above compares different models): RoPE,
  /// ALiBi and learned positions differ from the sinusoids, and a shared key/value head from
  /// four.
  func testVariantsChangeTheLogits() {
    func logits(_ positions: TransformerConfiguration.Positions, _ kv: Int) -> [Float] {
      referenceLogits(
        Self.model(.pre, positions: positions, keyValueHeads: kv), prefixes: [[1, 5, 8]],
        sentenceOfRow: [0])
    }
    let base = logits(.sinusoidal, 4)
    for (positions, kv) in [
      (TransformerConfiguration.Positions.learned, 4), (.rope, 4), (.alibi, 4), (.sinusoidal, 1),
    ] {
      let other = logits(positions, kv)
      let difference = zip(base, other).map { abs($0 - $1) }.max() ?? 0
      XCTAssertGreaterThan(difference, 1e-3, "\(positions) kv \(kv)")
    }
  }

  /// Beam search tells `select` how many last tokens each new row changes; copying only those
  /// positions gives the same logits, bit for bit, as copying whole rows: with few-row products
  /// (width 3) and the GEMM (width 6), every position variant with grouped key/value heads,
  /// prefixes that often share their first tokens, and a sentence dropped half-way (its rows
  /// then hold the other sentence's hypotheses).
  func testCopyingOnlyChangedTokensKeepsTheLogits() {
    let fullHeads: [(Int, TransformerConfiguration.Positions, Int)] = [
      (3, .sinusoidal, 4), (6, .sinusoidal, 4),
    ]
    let variants = fullHeads + TransformerConfiguration.Positions.allCases.map { (3, $0, 2) }
    for (width, positions, keyValueHeads) in variants {
      let model = Self.model(.pre, positions: positions, keyValueHeads: keyValueHeads)
      let (whole, partial) = (0..<2).map { _ in
        model.incrementalDecoder(
          sourceIDs: Self.sourceIDs, sourceLengths: Self.sourceLengths, rowsPerSentence: width,
          maxLength: 9)
      }.pair
      var prefixes = [[Int]](repeating: [], count: 2 * width)  // generated tokens, no <s>
      var sentences = [0, 1]
      var generator = RandomGenerator(seed: 11)
      for step in 0..<8 {
        let tokens = prefixes.map { $0.last ?? 1 }
        let expected = whole.step(tokens).scalars
        XCTAssertEqual(
          partial.step(tokens).scalars, expected,
          "width \(width), \(positions), kv \(keyValueHeads), step \(step)")
        if step == 4 { sentences = [1] }  // sentence 0 ends; its rows go
        let kept = sentences.count
        let parents = (0..<(kept * width)).map { row in
          sentences[row / width] * width + Int(generator.next() % UInt64(width))
        }
        let changed = parents.indices.map { row in
          let (old, new) = (prefixes[row], prefixes[parents[row]])
          let common = zip(old, new).prefix { $0 == $1 }.count
          return old.count - common
        }
        whole.select(rows: parents, sentences: sentences)
        partial.select(rows: parents, sentences: sentences, changedTokens: changed)
        // Two of the 26 tokens, so that hypotheses often share their first ones.
        prefixes = parents.map { prefixes[$0] + [3 + Int(generator.next() % 2)] }
        sentences = Array(0..<kept)
      }
    }
  }

  func testDroppingASentenceKeepsTheOther() {
    for placement in [TransformerConfiguration.NormPlacement.post, .pre] {
      let model = Self.model(placement)
      let decoder = model.incrementalDecoder(
        sourceIDs: Self.sourceIDs, sourceLengths: Self.sourceLengths, rowsPerSentence: 2,
        maxLength: 6)
      _ = decoder.step([1, 1, 1, 1])
      decoder.select(rows: [3, 2], sentences: [1])
      XCTAssertEqual(decoder.sourceLengths, [3])
      let logits = decoder.step([8, 11])
      let expected = referenceLogits(model, prefixes: [[1, 8], [1, 11]], sentenceOfRow: [1, 1])
      for (actual, wanted) in zip(logits.scalars, expected) {
        XCTAssertEqual(actual, wanted, accuracy: 2e-4, "\(placement)")
      }
    }
  }
}

extension Array {
  /// The first two elements.
  fileprivate var pair: (Element, Element) { (self[0], self[1]) }
}
