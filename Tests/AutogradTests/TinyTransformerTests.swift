import XCTest

@testable import Autograd
@testable import Tensors

/// A whole encoder–decoder Transformer (Vaswani et al., 2017), one layer each, built from the
/// recorded operations, and every parameter's gradient checked against finite differences.
///
/// Shapes: B 2, S 5, T 4, D 8, H 2, K 4, F 16, V 11. Post-norm residual blocks as in the paper
/// (`LayerNorm(x + Sublayer(x))`); one embedding table shared by the encoder input, the decoder
/// input and the output projection (§3.4); sinusoidal positions (§3.5); dropout with a fixed
/// seed; GELU in the feed-forward blocks (smooth, so finite differences never straddle a kink).
final class TinyTransformerTests: XCTestCase {
  static let padding = 0
  let (width, heads, feedForwardWidth, vocabularySize) = (8, 2, 16, 11)

  /// Source `[B, S]` with lengths 5 and 3; decoder input and targets `[B, T]` with lengths 4 and 2.
  let source = [3, 4, 5, 6, 7, 8, 9, 2, padding, padding]
  let sourceLengths = [5, 3]
  let decoderInput = [1, 3, 5, 7, 1, 4, padding, padding]
  let targets = [3, 5, 7, 2, 4, 2, padding, padding]
  let targetLengths = [4, 2]

  struct Attention {
    var query, key, value, output: Variable  // [D, D]
    var queryBias, keyBias, valueBias, outputBias: Variable  // [D]
    var parameters: [Variable] {
      [query, key, value, output, queryBias, keyBias, valueBias, outputBias]
    }
  }

  struct FeedForward {
    var inner: Variable  // [D, F]
    var innerBias: Variable  // [F]
    var outer: Variable  // [F, D]
    var outerBias: Variable  // [D]
    var parameters: [Variable] { [inner, innerBias, outer, outerBias] }
  }

  struct Norm {
    var gamma, beta: Variable  // [D]
    var parameters: [Variable] { [gamma, beta] }
  }

  struct Model {
    var embedding: Variable  // [V, D]
    var encoderAttention: Attention
    var encoderNorms: [Norm]
    var encoderFeedForward: FeedForward
    var decoderSelfAttention: Attention
    var decoderCrossAttention: Attention
    var decoderNorms: [Norm]
    var decoderFeedForward: FeedForward

    var parameters: [Variable] {
      [embedding] + encoderAttention.parameters + encoderNorms.flatMap(\.parameters)
        + encoderFeedForward.parameters + decoderSelfAttention.parameters
        + decoderCrossAttention.parameters + decoderNorms.flatMap(\.parameters)
        + decoderFeedForward.parameters
    }
  }

  func makeModel() -> Model {
    var generator = RandomGenerator(seed: 2017)
    func parameter(_ shape: [Int], _ name: String, scale: Float = 0.5, center: Float = 0)
      -> Variable
    {
      Variable.parameter(
        Tensor.uniform(shape: shape, low: center - scale, high: center + scale, using: &generator),
        name: name)
    }
    let d = width
    func attention(_ name: String) -> Attention {
      Attention(
        query: parameter([d, d], "\(name).query"), key: parameter([d, d], "\(name).key"),
        value: parameter([d, d], "\(name).value"), output: parameter([d, d], "\(name).output"),
        queryBias: parameter([d], "\(name).query_bias", scale: 0.1),
        keyBias: parameter([d], "\(name).key_bias", scale: 0.1),
        valueBias: parameter([d], "\(name).value_bias", scale: 0.1),
        outputBias: parameter([d], "\(name).output_bias", scale: 0.1))
    }
    func norm(_ name: String) -> Norm {
      Norm(
        gamma: parameter([d], "\(name).gamma", scale: 0.2, center: 1),
        beta: parameter([d], "\(name).beta", scale: 0.1))
    }
    func feedForward(_ name: String) -> FeedForward {
      FeedForward(
        inner: parameter([d, feedForwardWidth], "\(name).inner"),
        innerBias: parameter([feedForwardWidth], "\(name).inner_bias", scale: 0.1),
        outer: parameter([feedForwardWidth, d], "\(name).outer"),
        outerBias: parameter([d], "\(name).outer_bias", scale: 0.1))
    }
    return Model(
      embedding: parameter([vocabularySize, d], "embedding"),
      encoderAttention: attention("encoder.self_attention"),
      encoderNorms: [norm("encoder.norm1"), norm("encoder.norm2")],
      encoderFeedForward: feedForward("encoder.ffn"),
      decoderSelfAttention: attention("decoder.self_attention"),
      decoderCrossAttention: attention("decoder.cross_attention"),
      decoderNorms: [norm("decoder.norm1"), norm("decoder.norm2"), norm("decoder.norm3")],
      decoderFeedForward: feedForward("decoder.ffn"))
  }

  /// Multi-head attention of queries `[B, T, D]` over keys and values `[B, S, D]`.
  func multiHeadAttention(_ p: Attention, _ x: Variable, _ memory: Variable, mask: AttentionMask)
    -> Variable
  {
    let q = splitHeads(matmul(x, p.query) + p.queryBias, heads: heads)  // [B, H, T, K]
    let k = splitHeads(matmul(memory, p.key) + p.keyBias, heads: heads)  // [B, H, S, K]
    let v = splitHeads(matmul(memory, p.value) + p.valueBias, heads: heads)  // [B, H, S, K]
    let context = mergeHeads(attention(query: q, key: k, value: v, mask: mask))  // [B, T, D]
    return matmul(context, p.output) + p.outputBias  // [B, T, D]
  }

  func feedForward(_ p: FeedForward, _ x: Variable) -> Variable {
    matmul(gelu(matmul(x, p.inner) + p.innerBias), p.outer) + p.outerBias  // [B, T, D]
  }

  /// `LayerNorm(x + Dropout(sublayer))`; with `forgetSkip`, a deliberately broken residual whose
  /// pullback forgets the skip connection's gradient (for the checker's own test).
  func residual(
    _ x: Variable, _ sublayer: Variable, _ norm: Norm, _ generator: inout RandomGenerator,
    forgetSkip: Bool = false
  ) -> Variable {
    let dropped = dropout(sublayer, probability: 0.1, using: &generator)
    let sum = forgetSkip ? Self.addForgettingFirstGradient(x, dropped) : x + dropped
    return layerNorm(sum, gamma: norm.gamma, beta: norm.beta)
  }

  /// `a + b` whose pullback passes the gradient to `b` only: the missing-term bug.
  static func addForgettingFirstGradient(_ a: Variable, _ b: Variable) -> Variable {
    let value = a.value + b.value
    guard let tape = Tape.active(a, b) else { return Variable(value) }
    return tape.append("broken add", value) { g in b.cell!.accumulate(g, from: "broken add") }
  }

  /// The mean label-smoothed cross-entropy of the model on the fixed batch.
  ///
  /// - Parameters:
  ///   - tables: stand-ins for the shared embedding at its three uses (encoder input, decoder
  ///     input, output projection); the model's own table when nil.
  ///   - brokenEncoderResidual: use the broken residual in the encoder's feed-forward block.
  func loss(
    _ m: Model, tables: (source: Variable, target: Variable, output: Variable)? = nil,
    brokenEncoderResidual: Bool = false
  ) -> Variable {
    let tables = tables ?? (m.embedding, m.embedding, m.embedding)
    var generator = RandomGenerator(seed: 99)  // the same dropout masks on every call
    let (batch, sourceLength, targetLength) = (2, 5, 4)
    let scale = Float(width).squareRoot()
    func embed(_ table: Variable, _ ids: [Int], length: Int) -> Variable {
      // [T, D]
      let positions = Variable(sinusoidalPositionalEncoding(maxLength: length, width: width))
      // [B, T, D]
      let x = embedding(table, ids: ids, shape: [batch, length], scale: scale) + positions
      return dropout(x, probability: 0.1, using: &generator)
    }
    let sourceMask = AttentionMask(keyLengths: sourceLengths)
    var encoded = embed(tables.source, source, length: sourceLength)  // [B, S, D]
    encoded = residual(
      encoded, multiHeadAttention(m.encoderAttention, encoded, encoded, mask: sourceMask),
      m.encoderNorms[0],
      &generator)
    encoded = residual(
      encoded, feedForward(m.encoderFeedForward, encoded), m.encoderNorms[1], &generator,
      forgetSkip: brokenEncoderResidual)

    var decoded = embed(tables.target, decoderInput, length: targetLength)  // [B, T, D]
    let causal = AttentionMask(keyLengths: targetLengths, causalOffset: 0)
    decoded = residual(
      decoded, multiHeadAttention(m.decoderSelfAttention, decoded, decoded, mask: causal),
      m.decoderNorms[0],
      &generator)
    decoded = residual(
      decoded, multiHeadAttention(m.decoderCrossAttention, decoded, encoded, mask: sourceMask),
      m.decoderNorms[1], &generator)
    decoded = residual(
      decoded, feedForward(m.decoderFeedForward, decoded), m.decoderNorms[2], &generator)

    let logits = matmul(decoded, tables.output, transposeB: true)  // [B, T, V], the tied projection
    return crossEntropy(
      logits: logits, targets: targets, labelSmoothing: 0.1, ignoreIndex: Self.padding
    ).loss
  }

  let checker = GradientCheck(step: 0.05)

  func testEveryParameterGradientMatchesFiniteDifferences() {
    let model = makeModel()
    XCTAssertEqual(model.parameters.count, 1 + 8 + 4 + 4 + 8 + 8 + 6 + 4)
    // A larger step than for single ops: the loss is a Float near 2.4, whose rounding (~2e-7)
    // divided by 2h is the noise floor of the differences; h = 0.05 keeps it ~10× below the
    // tolerance, while the O(h⁴) truncation stays negligible.
    let report = checker.check(model.parameters) { loss(model) }
    if ProcessInfo.processInfo.environment["GRADIENT_CHECK_VERBOSE"] != nil { print(report) }
    XCTAssertTrue(report.passed, "\(report)")
    // Every parameter takes part: none has an all-zero gradient.
    for input in report.inputs {
      XCTAssertTrue(input.analytic.contains { $0 != 0 }, "\(input.name) got no gradient")
    }
  }

  /// The same checker, on the same model, rejects a residual connection whose pullback forgets
  /// the skip path: every parameter upstream of it fails, those downstream still pass.
  func testCheckerCatchesAMissingResidualGradient() {
    let model = makeModel()
    let upstream = [model.embedding, model.encoderAttention.value, model.encoderNorms[0].gamma]
    let downstream = [model.decoderFeedForward.outer, model.decoderNorms[2].gamma]
    let report = checker.check(upstream + downstream) { loss(model, brokenEncoderResidual: true) }
    for input in report.inputs.prefix(upstream.count) {
      XCTAssertFalse(input.passed, "the broken residual went unnoticed in \(input.name)")
    }
    for input in report.inputs.suffix(downstream.count) { XCTAssertTrue(input.passed, "\(input)") }
  }

  /// The shared table's gradient is the sum of its three uses' gradients: computed once with
  /// one table, and once with three stand-in copies, one per use.
  func testSharedEmbeddingAccumulatesAllThreeUses() {
    let model = makeModel()
    let tape = Tape()
    tape.backward(from: tape.record { loss(model) })
    let shared = model.embedding.gradient!

    let copies = (0..<3).map { _ in Variable(model.embedding.value, requiresGradient: true) }
    let separate = Tape()
    separate.backward(
      from: separate.record { loss(model, tables: (copies[0], copies[1], copies[2])) })
    var total = Tensor(shape: shared.shape)
    for copy in copies {
      let gradient = copy.gradient!
      XCTAssertTrue(gradient.scalars.contains { $0 != 0 }, "a use contributed nothing")
      total += gradient
    }
    for (a, b) in zip(shared.scalars, total.scalars) { XCTAssertEqual(a, b, accuracy: 1e-6) }
  }

  /// One training step's bookkeeping: the loss is finite, every parameter has a gradient of
  /// its own shape, the tape is empty afterwards, and no-grad evaluation gives the same loss.
  func testTrainingStepAndInference() {
    let model = makeModel()
    let tape = Tape()
    let recorded = tape.record { loss(model) }
    XCTAssertGreaterThan(tape.recordedCount, 50)
    tape.backward(from: recorded)
    XCTAssertEqual(tape.recordedCount, 0)
    for parameter in model.parameters {
      XCTAssertEqual(parameter.gradient?.shape, parameter.shape, parameter.name)
      assertFinite(parameter.gradient, parameter.name)
    }
    let inference = Tape.withoutRecording { loss(model) }
    XCTAssertEqual(inference.value[flat: 0], recorded.value[flat: 0])
    XCTAssertTrue(recorded.value[flat: 0].isFinite)
  }
}
