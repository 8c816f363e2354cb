import Autograd
import Foundation
import XCTest

@testable import Checkpoints
@testable import Config
@testable import NN

/// The decoder-only architecture: the joined rows, its tensors and names, a loss on the
/// target positions only, whole-model gradients, padding, learning, cached decoding equal to
/// full recomputation, checkpoints naming it and old checkpoints loading as encoder-decoder.
final class DecoderOnlyTests: XCTestCase {
  static func configuration(
    _ positions: TransformerConfiguration.Positions = .sinusoidal, kv: Int? = nil,
    tied: Bool = true, norm: TransformerConfiguration.NormPlacement = .pre
  ) -> TransformerConfiguration {
    var c = TransformerConfiguration.tiny(norm: norm, tied: tied, dropout: 0)
    c.headCount = 4
    c.positions = positions
    c.keyValueHeadCount = kv ?? 4
    c.decoderLayerCount = 2
    c.architecture = .decoderOnly
    return c
  }

  /// `source </s> <s> target` without padding in between; labels only on the target.
  func testSequenceJoinsTheRowsAndLabelsTheTargetOnly() {
    let batch = TinyBatch()
    let sequence = DecoderOnlySequence(
      sourceIDs: batch.sourceIDs, sourceLengths: batch.sourceLengths,
      targetInputIDs: batch.targetInputIDs, targetOutputIDs: batch.targetOutputIDs,
      targetLengths: batch.targetLengths, paddingID: 0)
    XCTAssertEqual(sequence.length, 9)
    XCTAssertEqual(sequence.lengths, [9, 5])
    XCTAssertEqual(sequence.ids, [3, 4, 5, 6, 2, 1, 3, 5, 7, /**/ 7, 8, 2, 1, 9, 0, 0, 0, 0])
    XCTAssertEqual(sequence.labels, [0, 0, 0, 0, 0, 3, 5, 7, 2, /**/ 0, 0, 0, 9, 2, 0, 0, 0, 0])
    // targetRows reads row (b, S_b + t): here the ids stand in for logits of width 1.
    let logits = Tensor(shape: [2, 9, 1], scalars: sequence.ids.map(Float.init))
    XCTAssertEqual(
      sequence.targetRows(of: logits).scalars, [1, 3, 5, 7, /**/ 1, 9, 0, 0])
  }

  /// No encoder, no cross-attention, one embedding table (and one position table).
  func testTensorsAreOneStackWithoutCrossAttention() {
    let model = Transformer(configuration: Self.configuration(.learned), seed: 1)
    let names = model.parameters.map(\.name)
    XCTAssertNil(model.encoder)
    XCTAssertEqual(Set(names).count, names.count, "a tensor listed twice")
    XCTAssertFalse(names.contains { $0.hasPrefix("encoder.") || $0.contains("cross_attention") })
    XCTAssertEqual(names.prefix(2), ["embedding.weight", "decoder.positions.weight"])
    XCTAssertTrue(names.contains("decoder.layers.1.feed_forward_norm.weight"))
    // D = 8, F = 16, V = 11, P = 16; a layer: 4 (D² + D) attention, 2·(2D) norms, F·D·2 + F + D.
    let layer = 4 * (8 * 8 + 8) + 2 * 16 + (8 * 16 * 2 + 16 + 8)
    XCTAssertEqual(model.parameterCount, 11 * 8 + 16 * 8 + 2 * layer + 16)  // + final norm
    let untied = Transformer(configuration: Self.configuration(tied: false), seed: 1)
    XCTAssertEqual(
      untied.parameters.prefix(2).map(\.name), ["embedding.weight", "output_projection.weight"])
    XCTAssertTrue(untied.sourceEmbedding.weight === untied.targetEmbedding.weight)
  }

  /// The loss counts the target positions only: its count is the target tokens, and it equals
  /// the mean −log p of the target labels read from the full logits of the joined rows; the
  /// next-source-piece predictions carry no loss, so changing the source's last pieces (its
  /// labels, were the source trained) changes the loss only through the conditioning.
  func testLossIsOnTheTargetPositionsOnly() {
    let model = Transformer(configuration: Self.configuration(), seed: 5)
    model.isTraining = false
    let batch = TinyBatch()
    let (loss, totals) = batch.loss(model, labelSmoothing: 0)
    XCTAssertEqual(totals.count, 6)
    let logits = model.targetLogits(
      sourceIDs: batch.sourceIDs, sourceLengths: batch.sourceLengths,
      targetInputIDs: batch.targetInputIDs, targetLengths: batch.targetLengths)  // [B, T, V]
    var sum = 0.0
    let v = 11
    for row in 0..<2 {
      for t in 0..<batch.targetLengths[row] {
        let start = (row * batch.targetLength + t) * v
        let values = logits.scalars[start..<(start + v)].map(Double.init)
        let top = values.max()!
        let logSum = top + log(values.reduce(0) { $0 + exp($1 - top) })
        sum += logSum - values[batch.targetOutputIDs[row * batch.targetLength + t]]
      }
    }
    XCTAssertEqual(Double(loss.value[flat: 0]), sum / 6, accuracy: 1e-5)
    // A row with the same target but a source padded by one position more (the target moves
    // one position right) keeps its count: positions are not labels.
    XCTAssertEqual(batch.padded(extraSource: 1, extraTarget: 0).loss(model).totals.count, 6)
  }

  /// Extra padding, and each row alone: the same totals (rows of different source lengths put
  /// their targets at different positions).
  func testPaddingAndRowsAloneGiveTheSameLoss() {
    let model = Transformer(configuration: Self.configuration(.rope, kv: 2), seed: 9)
    model.isTraining = false
    let batch = TinyBatch()
    let totals = batch.loss(model).totals
    let padded = batch.padded(extraSource: 3, extraTarget: 2).loss(model).totals
    XCTAssertEqual(padded.loss, totals.loss, accuracy: 1e-4)
    let rows = (0..<2).map { batch.row($0).loss(model).totals }
    XCTAssertEqual(rows.map(\.loss).reduce(0, +), totals.loss, accuracy: 1e-4)
    XCTAssertEqual(rows.map(\.count).reduce(0, +), totals.count)
  }

  /// Whole-model gradients against finite differences (GELU, h = 0.05, as the variants'
  /// test), tied and untied, learned and rotary positions, GQA; key biases are left out as
  /// there (the softmax cancels them) except with RoPE.
  func testWholeModelGradientsMatchFiniteDifferences() {
    for (positions, kv, tied) in [
      (TransformerConfiguration.Positions.sinusoidal, 4, true), (.learned, 2, false),
      (.rope, 2, true), (.alibi, 1, true),
    ] {
      var c = Self.configuration(positions, kv: kv, tied: tied, norm: .post)
      c.activation = .gelu
      let model = Transformer(configuration: c, seed: 3)
      model.isTraining = false
      let checked = model.parameters.filter {
        positions == .rope || !$0.name.hasSuffix(".key.bias")
      }
      let report = GradientCheck(step: 0.05).check(checked) { TinyBatch().loss(model).loss }
      XCTAssertTrue(report.passed, "\(positions) kv \(kv) tied \(tied): \(report)")
      for input in report.inputs {
        XCTAssertTrue(input.analytic.contains { $0 != 0 }, "\(input.name) got no gradient")
      }
    }
  }

  /// A tiny decoder-only model learns six pairs by heart (the target is the reversed source
  /// shifted by one id, as `ModelTrainingTests`): the loss falls from ~ln V to near 0, and
  /// greedy decoding with the cache reproduces a target.
  func testTinyModelLearnsAHandfulOfPairs() {
    let configuration = TransformerConfiguration(
      encoderLayerCount: 1, decoderLayerCount: 2, modelWidth: 32, headCount: 4,
      feedForwardWidth: 64, vocabularySize: 24, dropout: 0, maxPositions: 16,
      architecture: .decoderOnly)
    let model = Transformer(configuration: configuration, seed: 2017)
    let sources: [[Int]] = [
      [4, 5, 6], [7, 8, 9, 10], [11, 12, 13, 14, 15], [16, 17, 18, 19, 20, 21], [5, 9, 13],
      [20, 16, 12, 8],
    ]
    let (start, end) = (1, 2)
    let width = sources.map(\.count).max()! + 1
    var batch = TinyBatch(
      sourceIDs: [], sourceLengths: [], targetInputIDs: [], targetOutputIDs: [],
      targetLengths: [])
    for source in sources {
      let target = source.reversed().map { $0 + 1 }
      let padding = Array(repeating: 0, count: width - source.count - 1)
      batch.sourceIDs += source + [end] + padding
      batch.targetInputIDs += [start] + target + padding
      batch.targetOutputIDs += target + [end] + padding
      batch.sourceLengths.append(source.count + 1)
      batch.targetLengths.append(target.count + 1)
    }
    var adam = Adam(parameters: model.parameters)
    var (first, last): (Float, Float) = (0, 0)
    for step in 0..<200 {
      for parameter in model.parameters { parameter.zeroGradient() }
      let tape = Tape()  // alive until backward has run
      let loss = tape.record { batch.loss(model, labelSmoothing: 0).loss }
      loss.backward()
      adam.step(model.parameters, learningRate: 3e-3)
      if step == 0 { first = loss.value[flat: 0] }
      last = loss.value[flat: 0]
    }
    XCTAssertEqual(first, log(24), accuracy: 1)
    XCTAssertLessThan(last, 0.05, "loss after 200 steps")
    model.isTraining = false
    let decoder = model.incrementalDecoder(
      sourceIDs: [11, 12, 13, 14, 15, end], sourceLengths: [6], rowsPerSentence: 1, maxLength: 8)
    var output = [start]
    while output.last != end && output.count < 8 {
      let row = decoder.step([output.last!]).scalars
      output.append(row.indices.max { row[$0] < row[$1] }!)
    }
    XCTAssertEqual(output, [start, 16, 15, 14, 13, 12, end])
  }

  /// Two sentences of one source length (decoder-only batches share it), W rows each.
  static let sourceIDs = [5, 9, 10, 2, 4, 6, 8, 2]

  /// The cached steps after the source equal `targetLogits` of the whole joined prefix at
  /// every step, with rows reordered between steps, for every position variant and kv heads,
  /// both kernels, the row products (W 1, 3) and the blocked GEMM (W 6).
  func testCachedStepsEqualFullRecomputation() {
    var generator = RandomGenerator(seed: 3)
    for positions in TransformerConfiguration.Positions.allCases {
      for (kv, width, attention) in [
        (4, 1, AttentionImplementation.standard), (2, 3, .standard), (1, 6, .memoryEfficient),
      ] {
        var c = Self.configuration(positions, kv: kv, norm: width == 3 ? .post : .pre)
        c.maxPositions = 16
        c.attention = attention
        c.dropout = 0.1  // off at inference: the cached and full passes must both skip it
        let model = Transformer(configuration: c, seed: 11)
        model.isTraining = false
        let decoder = model.incrementalDecoder(
          sourceIDs: Self.sourceIDs, sourceLengths: [4, 4], rowsPerSentence: width, maxLength: 7)
        XCTAssertEqual(decoder.prefixLength, 4)
        var prefixes = [[Int]](repeating: [1], count: 2 * width)
        for step in 0..<6 {
          let logits = decoder.step(prefixes.map { $0.last! })  // [R, V]
          XCTAssertEqual(decoder.length, step + 1)
          var sources: [Int] = []  // [R, 4]: each row's sentence's source
          for row in 0..<(2 * width) {
            let start: Int = row / width * 4
            sources += Self.sourceIDs[start..<(start + 4)]
          }
          let full = model.targetLogits(
            sourceIDs: sources, sourceLengths: Array(repeating: 4, count: 2 * width),
            targetInputIDs: prefixes.flatMap { $0 })  // [R, T, V]
          let t = prefixes[0].count
          for row in 0..<(2 * width) {
            for v in 0..<11 {
              XCTAssertEqual(
                logits[row, v], full[row, t - 1, v], accuracy: 2e-4,
                "\(positions) kv \(kv) W \(width) step \(step)")
            }
          }
          let parents = (0..<(2 * width)).map { row in
            (row / width) * width + Int(generator.next() % UInt64(width))
          }
          decoder.select(rows: parents, sentences: [0, 1])
          prefixes = parents.map { prefixes[$0] + [3 + Int(generator.next() % 8)] }
        }
      }
    }
  }

  /// A finished sentence leaves the batch and the other continues from its own cache.
  func testDroppingASentenceKeepsTheOther() {
    let model = Transformer(configuration: Self.configuration(.alibi, kv: 2), seed: 4)
    model.isTraining = false
    let decoder = model.incrementalDecoder(
      sourceIDs: Self.sourceIDs, sourceLengths: [4, 4], rowsPerSentence: 2, maxLength: 5)
    _ = decoder.step([1, 1, 1, 1])
    decoder.select(rows: [3, 2], sentences: [1])
    let logits = decoder.step([8, 5])
    let full = model.targetLogits(
      sourceIDs: [4, 6, 8, 2, 4, 6, 8, 2], sourceLengths: [4, 4],
      targetInputIDs: [1, 8, 1, 5])
    for row in 0..<2 {
      for v in 0..<11 { XCTAssertEqual(logits[row, v], full[row, 1, v], accuracy: 2e-4) }
    }
  }

  /// The checkpoint's configuration says decoder-only and round-trips; an encoder–decoder
  /// model refuses the file naming the architecture; a configuration without the key (an old
  /// checkpoint) is encoder-decoder; an unknown value names the key and the known values.
  func testCheckpointsNameTheArchitecture() throws {
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("DecoderOnlyTests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("model.safetensors").path
    let configuration = Self.configuration(.rope, kv: 2)
    let model = Transformer(configuration: configuration, seed: 1)
    try model.save(to: file)
    let text = try XCTUnwrap(
      try SafeTensorsFile(contentsOf: file).metadata[Transformer.configurationMetadataKey])
    XCTAssertTrue(text.contains("\"architecture\":\"decoder-only\""), text)
    let rebuilt = try Transformer(contentsOf: file)
    XCTAssertEqual(rebuilt.configuration, configuration)
    XCTAssertEqual(
      rebuilt.parameters.map(\.value.scalars), model.parameters.map(\.value.scalars))
    var encoderDecoder = configuration
    encoderDecoder.architecture = .encoderDecoder
    XCTAssertThrowsError(
      try Transformer(configuration: encoderDecoder, seed: 1).load(from: file)
    ) { error in
      XCTAssertTrue("\(error)".contains("architecture decoder-only"), "\(error)")
    }
    var object = try XCTUnwrap(
      try JSONSerialization.jsonObject(with: Data(TransformerConfiguration.tiny().jsonText.utf8))
        as? [String: Any])
    XCTAssertEqual(object["architecture"] as? String, "encoder-decoder")
    object["architecture"] = nil
    let old = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    XCTAssertEqual(TransformerConfiguration(jsonText: old)?.architecture, .encoderDecoder)
    let unknown = text.replacingOccurrences(of: "decoder-only", with: "encoder-only")
    XCTAssertThrowsError(try TransformerConfiguration(checkpointJSON: unknown)) { error in
      XCTAssertEqual(
        (error as? ConfigProblem)?.message,
        #"expected "encoder-decoder" or "decoder-only", got "encoder-only" (did you mean "#
          + #""decoder-only"?)"#)
    }
  }

  /// `encoder_layers` is ignored (even 0 builds no encoder and is no problem); the source gets
  /// half the positions.
  func testConfigurationProblems() {
    let c = TransformerConfiguration(
      encoderLayerCount: 0, decoderLayerCount: 2, modelWidth: 8, headCount: 2,
      feedForwardWidth: 16, vocabularySize: 11, maxPositions: 16, architecture: .decoderOnly)
    XCTAssertNil(c.problem)
    XCTAssertNil(Transformer(configuration: c, seed: 1).encoder)
    XCTAssertEqual(c.maxSourcePositions, 8)
    XCTAssertEqual(c.maxTargetPositions(sourceLength: 5), 11)
    var none = c
    none.decoderLayerCount = 0
    XCTAssertEqual(none.problem, "decoder_layers must be at least 1, got 0")
  }
}
