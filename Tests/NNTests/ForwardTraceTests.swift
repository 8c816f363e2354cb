import Autograd
import XCTest

@testable import NN

/// The forward trace: the attention weights it records are probabilities with exact zeros
/// where masked, its steps have the shapes the configuration implies, and recording changes
/// no result.
final class ForwardTraceTests: XCTestCase {
  let batch = TinyBatch()

  private func traced(_ configuration: TransformerConfiguration) -> (ForwardTrace, Float) {
    let model = Transformer(configuration: configuration, seed: 3)
    model.isTraining = false
    let trace = ForwardTrace()
    let (loss, _) = model.loss(
      sourceIDs: batch.sourceIDs, targetInputIDs: batch.targetInputIDs,
      targetOutputIDs: batch.targetOutputIDs, sourceLengths: batch.sourceLengths,
      targetLengths: batch.targetLengths, labelSmoothing: 0.1, trace: trace)
    return (trace, loss.value.scalars[0])
  }

  private func attentionPath(_ stack: String, _ layer: Int, _ module: String) -> [String] {
    [stack, ForwardTrace.Module.layer(layer), module]
  }

  func testAttentionRowsSumToOneAndMaskedKeysAreExactlyZero() throws {
    let configuration = TransformerConfiguration.tiny(norm: .pre, dropout: 0)
    let (trace, _) = traced(configuration)
    let kinds: [(path: [String], keyLengths: [Int], causal: Bool)] = [
      (attentionPath("encoder", 1, ForwardTrace.Module.selfAttention), batch.sourceLengths, false),
      (attentionPath("decoder", 1, ForwardTrace.Module.selfAttention), batch.targetLengths, true),
      (attentionPath("decoder", 1, ForwardTrace.Module.crossAttention), batch.sourceLengths, false),
    ]
    for kind in kinds {
      let p = try XCTUnwrap(
        trace.value(named: ForwardTrace.attentionProbabilities, in: kind.path), "\(kind.path)")
      let (b, h, t, s) = (p.shape[0], p.shape[1], p.shape[2], p.shape[3])
      let values = p.scalars
      for row in 0..<(b * h * t) {
        let (item, query) = (row / (h * t), row % t)
        var visible = kind.keyLengths[item]
        if kind.causal { visible = min(visible, query + 1) }
        let weights = values[(row * s)..<((row + 1) * s)]
        XCTAssertEqual(weights.reduce(0, +), 1, accuracy: 1e-5, "\(kind.path) row \(row)")
        for (key, weight) in weights.enumerated() where key >= visible {
          XCTAssertEqual(weight, 0, "\(kind.path) row \(row) key \(key) is masked")
        }
      }
    }
  }

  func testMaskedScoresAreMinusInfinityExactlyWhereWeightsAreMasked() throws {
    let (trace, _) = traced(.tiny(dropout: 0))
    let path = attentionPath("decoder", 1, ForwardTrace.Module.selfAttention)
    let masked = try XCTUnwrap(
      trace.steps.first { $0.modules == path && $0.name.hasPrefix("mask") })
    let p = try XCTUnwrap(trace.value(named: ForwardTrace.attentionProbabilities, in: path))
    for (score, weight) in zip(masked.value.scalars, p.scalars) {
      XCTAssertEqual(score == -.infinity, weight == 0)
    }
  }

  func testShapesFollowTheConfiguration() throws {
    let (b, s, t) = (batch.batchSize, batch.sourceLength, batch.targetLength)
    for configuration in [
      TransformerConfiguration.tiny(norm: .post),
      TransformerConfiguration(
        encoderLayerCount: 2, decoderLayerCount: 3, modelWidth: 12, headCount: 3,
        feedForwardWidth: 20, vocabularySize: 11, dropout: 0, activation: .relu,
        norm: .pre, maxPositions: 16),
    ] {
      let c = configuration
      let (d, h, k, f, v) = (
        c.modelWidth, c.headCount, c.modelWidth / c.headCount, c.feedForwardWidth,
        c.vocabularySize
      )
      let (trace, _) = traced(configuration)
      func shape(_ modules: [String], _ name: String) -> [Int]? {
        trace.steps.first { $0.modules == modules && $0.name.hasPrefix(name) }?.value.shape
      }
      XCTAssertEqual(shape(["encoder"], "embedding lookup"), [b, s, d])
      XCTAssertEqual(shape(["encoder"], "positional encoding"), [s, d])
      XCTAssertEqual(shape(["decoder"], "+ PE"), [b, t, d])
      for layer in 1...c.encoderLayerCount {
        let attention = attentionPath("encoder", layer, ForwardTrace.Module.selfAttention)
        XCTAssertEqual(shape(attention, "Q ="), [b, s, d])
        XCTAssertEqual(shape(attention, "split heads Q"), [b, h, s, k])
        XCTAssertEqual(shape(attention, "scores"), [b, h, s, s])
        XCTAssertEqual(shape(attention, "× V"), [b, h, s, k])
        XCTAssertEqual(shape(attention, "merge heads"), [b, s, d])
        let ffn = attentionPath("encoder", layer, ForwardTrace.Module.feedForward)
        XCTAssertEqual(shape(ffn, "x·W₁"), [b, s, f])
        XCTAssertEqual(shape(ffn, c.activation == .relu ? "ReLU" : "GELU"), [b, s, f])
        XCTAssertEqual(shape(ffn, "residual"), [b, s, d])
      }
      for layer in 1...c.decoderLayerCount {
        let masked = attentionPath("decoder", layer, ForwardTrace.Module.selfAttention)
        XCTAssertEqual(shape(masked, "scores"), [b, h, t, t])
        let cross = attentionPath("decoder", layer, ForwardTrace.Module.crossAttention)
        XCTAssertEqual(shape(cross, "K ="), [b, s, d])
        XCTAssertEqual(shape(cross, "split heads K"), [b, h, s, k])
        XCTAssertEqual(shape(cross, ForwardTrace.attentionProbabilities), [b, h, t, s])
        XCTAssertEqual(shape(cross, "output projection"), [b, t, d])
      }
      XCTAssertNil(shape(attentionPath("decoder", c.decoderLayerCount + 1, "self-attention"), ""))
      XCTAssertEqual(shape([], "logits"), [b, t, v])
      XCTAssertEqual(shape([], "loss"), [])
      let softmaxSteps = trace.steps.filter { $0.name == ForwardTrace.attentionProbabilities }
      XCTAssertEqual(softmaxSteps.count, c.encoderLayerCount + 2 * c.decoderLayerCount)
    }
  }

  /// The trace only reads: the loss and every gradient are bit-identical with and without it,
  /// in training with dropout.
  func testRecordingChangesNothing() {
    let configuration = TransformerConfiguration.tiny(
      norm: .pre, dropout: 0.1, attentionDropout: 0.1)
    func run(trace: ForwardTrace?) -> (Float, [[Float]]) {
      let model = Transformer(configuration: configuration, seed: 9)
      let tape = Tape()
      let (loss, _) = tape.record {
        model.loss(
          sourceIDs: batch.sourceIDs, targetInputIDs: batch.targetInputIDs,
          targetOutputIDs: batch.targetOutputIDs, sourceLengths: batch.sourceLengths,
          targetLengths: batch.targetLengths, labelSmoothing: 0.1, trace: trace)
      }
      loss.backward()
      return (loss.value.scalars[0], model.parameters.map { $0.gradient?.scalars ?? [] })
    }
    let trace = ForwardTrace()
    let plain = run(trace: nil)
    let recorded = run(trace: trace)
    XCTAssertEqual(plain.0, recorded.0)
    XCTAssertEqual(plain.1, recorded.1)
    XCTAssertTrue(trace.steps.contains { $0.name.hasPrefix("dropout") })
  }

  func testWithoutATraceNothingIsEvaluated() {
    var evaluated = false
    let context = ForwardContext.inference
    context.record(
      {
        evaluated = true
        return "name"
      }(), "", Tensor(shape: [1], scalars: [0]))
    XCTAssertFalse(evaluated)
  }
}
