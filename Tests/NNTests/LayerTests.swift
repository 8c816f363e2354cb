import Autograd
import XCTest

@testable import NN

/// The shapes of every stage, and the layers' own small contracts.
final class LayerTests: XCTestCase {
  var generator = RandomGenerator(seed: 11)

  func input(_ shape: [Int]) -> Variable {
    Variable(Tensor.uniform(shape: shape, low: -1, high: 1, using: &generator))
  }

  func testLinearIsXTimesWeightPlusBias() {
    let linear = Linear(name: "projection", inputWidth: 3, outputWidth: 2, using: &generator)
    XCTAssertEqual(linear.weight.shape, [3, 2])
    XCTAssertEqual(linear.bias?.shape, [2])
    XCTAssertEqual(linear.parameters.map(\.name), ["projection.weight", "projection.bias"])
    XCTAssertEqual(linear.bias?.value.scalars, [0, 0])
    // Xavier-uniform bound √(6 / (3 + 2)).
    let bound = (6 / Float(5)).squareRoot()
    XCTAssertTrue(linear.weight.value.scalars.allSatisfy { abs($0) <= bound })

    linear.weight.value = Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6])
    linear.bias!.value = Tensor(shape: [2], scalars: [0.5, -0.5])
    let x = Variable(Tensor(shape: [1, 2, 3], scalars: [1, 0, 0, 1, 1, 1]))
    let y = linear(x)
    XCTAssertEqual(y.shape, [1, 2, 2])
    XCTAssertEqual(y.value.scalars, [1.5, 1.5, 9.5, 11.5])

    let noBias = Linear(
      name: "plain", inputWidth: 4, outputWidth: 5, bias: false, using: &generator)
    XCTAssertNil(noBias.bias)
    XCTAssertEqual(noBias.parameters.count, 1)
    XCTAssertEqual(noBias(input([2, 3, 4])).shape, [2, 3, 5])
  }

  func testLayerNormStartsAsThePlainNormalisation() {
    let norm = LayerNorm(name: "norm", width: 4)
    XCTAssertEqual(norm.parameters.map(\.name), ["norm.weight", "norm.bias"])
    let y = norm(Variable(Tensor(shape: [1, 4], scalars: [1, 2, 3, 4]))).value.scalars
    XCTAssertEqual(y.reduce(0, +), 0, accuracy: 1e-5)
    XCTAssertEqual(y.map { $0 * $0 }.reduce(0, +) / 4, 1, accuracy: 1e-3)
  }

  func testEmbeddingLooksUpScaledRowsAndProjects() {
    let table = Embedding(name: "embedding", vocabularySize: 10, width: 16, using: &generator)
    XCTAssertEqual(table.weight.shape, [10, 16])
    XCTAssertEqual(table.parameters.map(\.name), ["embedding.weight"])
    // N(0, 1/D): the mean square of 160 draws is near 1/16.
    let meanSquare = table.weight.value.scalars.map { $0 * $0 }.reduce(0, +) / 160
    XCTAssertEqual(meanSquare, 1 / 16, accuracy: 0.03)
    let rows = table([3, 0, 3, 9], shape: [2, 2], scale: 4)
    XCTAssertEqual(rows.shape, [2, 2, 16])
    for c in 0..<16 {
      XCTAssertEqual(rows.value[0, 0, c], 4 * table.weight.value[3, c])
      XCTAssertEqual(rows.value[1, 1, c], 4 * table.weight.value[9, c])
    }
    XCTAssertEqual(table.asLinear(input([2, 3, 16])).shape, [2, 3, 10])
  }

  func testPositionalEncodingIsTheSinusoidTable() {
    let encoding = PositionalEncoding(maxPositions: 20, width: 6)
    let rows = encoding(length: 5).value
    XCTAssertEqual(rows.shape, [5, 6])
    XCTAssertFalse(encoding(length: 5).requiresGradient)
    for t in 0..<5 {
      for i in 0..<3 {
        let angle = Double(t) / pow(10_000, Double(2 * i) / 6)
        XCTAssertEqual(rows[t, 2 * i], Float(sin(angle)), accuracy: 1e-6)
        XCTAssertEqual(rows[t, 2 * i + 1], Float(cos(angle)), accuracy: 1e-6)
      }
    }
    XCTAssertEqual(encoding(length: 20).shape, [20, 6])
    XCTAssertEqual(encoding(length: 0).shape, [0, 6])
  }

  func testFeedForwardShapesAndActivation() {
    let relu = FeedForward(name: "ffn", modelWidth: 4, feedForwardWidth: 8, using: &generator)
    XCTAssertEqual(
      relu.parameters.map(\.name),
      ["ffn.inner.weight", "ffn.inner.bias", "ffn.outer.weight", "ffn.outer.bias"])
    XCTAssertEqual(relu.parameters.map(\.shape), [[4, 8], [8], [8, 4], [4]])
    XCTAssertEqual(relu(input([2, 3, 4])).shape, [2, 3, 4])
    // With both weights 1 and input −1, the output is GELU(−1) = −Φ(−1).
    let gelu = FeedForward(
      name: "ffn", modelWidth: 1, feedForwardWidth: 1, activation: .gelu, using: &generator)
    gelu.inner.weight.value = Tensor(shape: [1, 1], scalars: [1])
    gelu.outer.weight.value = Tensor(shape: [1, 1], scalars: [1])
    let y = gelu(Variable(Tensor(shape: [1, 1, 1], scalars: [-1]))).value[flat: 0]
    XCTAssertEqual(y, -0.158655, accuracy: 1e-5)
  }

  func testMultiHeadAttentionShapes() {
    let attention = MultiHeadAttention(
      name: "attention", modelWidth: 8, headCount: 2, using: &generator)
    XCTAssertEqual(attention.parameters.count, 8)
    XCTAssertEqual(attention.parameters.first?.name, "attention.query.weight")
    XCTAssertEqual(attention.parameters.last?.name, "attention.output.bias")
    var context = ForwardContext.inference
    let x = input([2, 3, 8])  // [B, T, D]
    let memory = input([2, 5, 8])  // [B, S, D]
    XCTAssertEqual(attention(x, mask: .causal(), context: &context).shape, [2, 3, 8])
    let cross = attention(
      x, memory: memory, mask: AttentionMask(keyLengths: [5, 2]), context: &context)
    XCTAssertEqual(cross.shape, [2, 3, 8])
  }

  /// Keys past a row's length cannot change that row's output.
  func testAttentionIgnoresMaskedKeys() {
    let attention = MultiHeadAttention(
      name: "attention", modelWidth: 8, headCount: 4, using: &generator)
    var context = ForwardContext.inference
    let x = input([1, 2, 8])
    var memory = input([1, 4, 8]).value
    let mask = AttentionMask(keyLengths: [2])
    let before = attention(x, memory: Variable(memory), mask: mask, context: &context).value
    for c in 0..<8 { memory[0, 3, c] = 100 }
    let after = attention(x, memory: Variable(memory), mask: mask, context: &context).value
    XCTAssertEqual(before.scalars, after.scalars)
  }

  /// An encoder self-attention with a bidirectional window W: row i depends on the inputs at
  /// |i − j| < W and on no other; with W ≥ T it is full attention.
  func testBidirectionalWindowSeesOnlyTheBand() {
    for implementation in [AttentionImplementation.memoryEfficient, .auto] {
      var weights = RandomGenerator(seed: 5)
      let windowed = MultiHeadAttention(
        name: "attention", modelWidth: 8, headCount: 2, implementation: implementation,
        window: 2, bidirectionalWindow: true, using: &weights)
      var context = ForwardContext.inference
      var x = input([1, 6, 8]).value  // [B, T, D]
      let before = windowed(Variable(x), mask: .none, context: &context).value  // [B, T, D]
      for c in 0..<8 { x[0, 4, c] += 3 }  // position 4: rows 3, 4 and 5 see it
      let after = windowed(Variable(x), mask: .none, context: &context).value
      for row in 0..<6 {
        let changed = (0..<8).contains { before[0, row, $0] != after[0, row, $0] }
        XCTAssertEqual(changed, (3...5).contains(row), "row \(row) \(implementation)")
      }
    }
    var weights = RandomGenerator(seed: 6)
    let wide = MultiHeadAttention(
      name: "attention", modelWidth: 8, headCount: 2, implementation: .memoryEfficient,
      window: 6, bidirectionalWindow: true, using: &weights)
    weights = RandomGenerator(seed: 6)
    let full = MultiHeadAttention(
      name: "attention", modelWidth: 8, headCount: 2, implementation: .memoryEfficient,
      using: &weights)
    var context = ForwardContext.inference
    let x = input([2, 6, 8])
    let mask = AttentionMask(keyLengths: [6, 4])
    XCTAssertEqual(
      wide(x, mask: mask, context: &context).value.scalars,
      full(x, mask: mask, context: &context).value.scalars)
  }

  func testLayerAndStackShapes() {
    for norm in [TransformerConfiguration.NormPlacement.post, .pre] {
      let configuration = TransformerConfiguration.tiny(norm: norm)
      var context = ForwardContext(isTraining: true, generator: generator)
      let encoderLayer = EncoderLayer(
        name: "encoder.layers.0", configuration: configuration, using: &generator)
      let decoderLayer = DecoderLayer(
        name: "decoder.layers.0", configuration: configuration, using: &generator)
      let source = input([2, 5, 8])  // [B, S, D]
      let target = input([2, 4, 8])  // [B, T, D]
      let sourceMask = AttentionMask(keyLengths: [5, 3])
      let memory = encoderLayer(source, mask: sourceMask, context: &context)
      XCTAssertEqual(memory.shape, [2, 5, 8])
      let states = decoderLayer(
        target, memory: memory, selfMask: AttentionMask(keyLengths: [4, 2], causalOffset: 0),
        memoryMask: sourceMask, context: &context)
      XCTAssertEqual(states.shape, [2, 4, 8])
      XCTAssertEqual(encoderLayer.parameters.count, 8 + 2 + 4 + 2)
      XCTAssertEqual(decoderLayer.parameters.count, 2 * (8 + 2) + 4 + 2)

      let model = Transformer(configuration: configuration, seed: 2)
      XCTAssertEqual(model.encoder?.finalNorm == nil, norm == .post)
      XCTAssertEqual(model.decoder.finalNorm == nil, norm == .post)
      let batch = TinyBatch()
      let encoded = model.encode(sourceIDs: batch.sourceIDs, sourceLengths: batch.sourceLengths)
      XCTAssertEqual(encoded.shape, [2, 5, 8])
      let logits = model.decodeLogits(
        memory: encoded, sourceLengths: batch.sourceLengths,
        targetInputIDs: batch.targetInputIDs, targetLengths: batch.targetLengths)
      XCTAssertEqual(logits.shape, [2, 4, 11])
      let (loss, totals) = batch.loss(model)
      XCTAssertEqual(loss.shape, [])
      XCTAssertEqual(totals.count, 6)
      XCTAssertTrue(loss.value[flat: 0].isFinite)
    }
  }

  /// `encode` and `decodeLogits` record nothing, apply no dropout, and give the logits whose
  /// cross-entropy `loss` computes in evaluation mode.
  func testInferencePiecesMatchTheEvaluationLoss() {
    let model = Transformer(configuration: .tiny(dropout: 0.3), seed: 4)
    let batch = TinyBatch()
    let tape = Tape()
    let logits = tape.record {
      let memory = model.encode(sourceIDs: batch.sourceIDs, sourceLengths: batch.sourceLengths)
      return model.decodeLogits(
        memory: memory, sourceLengths: batch.sourceLengths,
        targetInputIDs: batch.targetInputIDs, targetLengths: batch.targetLengths)
    }
    XCTAssertEqual(tape.recordedCount, 0)
    let expected = crossEntropy(
      logits: Variable(logits), targets: batch.targetOutputIDs, labelSmoothing: 0.1,
      ignoreIndex: 0
    ).loss.value[flat: 0]
    model.isTraining = false
    XCTAssertEqual(batch.loss(model).loss.value[flat: 0], expected)
    model.isTraining = true
    XCTAssertNotEqual(batch.loss(model).loss.value[flat: 0], expected)
  }

  /// The decoder is causal: changing a later target input leaves earlier positions' logits
  /// unchanged.
  func testDecoderLogitsDependOnlyOnThePrefix() {
    let model = Transformer(configuration: .tiny(), seed: 8)
    let memory = model.encode(sourceIDs: [3, 4, 5, 2], sourceLengths: [4])
    let first = model.decodeLogits(
      memory: memory, sourceLengths: [4], targetInputIDs: [1, 6, 7, 8]
    ).scalars
    let second = model.decodeLogits(
      memory: memory, sourceLengths: [4], targetInputIDs: [1, 6, 9, 10]
    ).scalars
    let vocabulary = 11
    XCTAssertEqual(first[..<(2 * vocabulary)], second[..<(2 * vocabulary)])
    XCTAssertNotEqual(first[(2 * vocabulary)...], second[(2 * vocabulary)...])
  }
}
