import Autograd
import XCTest

@testable import NN

/// Each layer's inference step form (`callAsFunction(step:…)`) against its training form in
/// evaluation: the same equation on the rows of one position, with few rows (the row
/// products) and many (the blocked GEMM, packed and not).
final class StepFormTests: XCTestCase {
  var generator = RandomGenerator(seed: 17)
  /// A small pre-norm GELU model; its decoder's first layer supplies the layers under test.
  lazy var model = Transformer(
    configuration: TransformerConfiguration(
      encoderLayerCount: 1, decoderLayerCount: 1, modelWidth: 24, headCount: 3,
      feedForwardWidth: 40, vocabularySize: 31, dropout: 0, activation: .gelu,
      norm: .pre, tieEmbeddings: true, maxPositions: 10),
    seed: 5)

  /// Row counts on both sides of `rowProductMaxRows`.
  let rowCounts = [1, 3, rowProductMaxRows, rowProductMaxRows + 5]

  func rows(_ count: Int, width: Int) -> Tensor {
    Tensor.uniform(shape: [count, width], low: -1, high: 1, using: &generator)
  }

  func assertClose(
    _ actual: Tensor, _ expected: Tensor, _ message: String, file: StaticString = #filePath,
    line: UInt = #line
  ) {
    XCTAssertEqual(actual.shape, expected.shape, message, file: file, line: line)
    for (a, e) in zip(actual.scalars, expected.scalars) {
      XCTAssertEqual(a, e, accuracy: 1e-5 + 1e-5 * abs(e), message, file: file, line: line)
    }
  }

  /// The training form on `[R, D]` rows, without recording.
  func training(_ x: Tensor, _ body: (Variable, inout ForwardContext) -> Variable) -> Tensor {
    Tape.withoutRecording {
      var context = ForwardContext.inference
      return body(Variable(x), &context).value
    }
  }

  func testLinearLayerNormFeedForwardAndConnection() {
    let layer = model.decoder.layers[0]
    let packed = PackedWeights(decoderOf: model)
    let width = model.configuration.modelWidth
    for count in rowCounts {
      let x = rows(count, width: width)  // [R, D]
      for weights in [nil, packed] {
        let label = "\(count) rows, \(weights == nil ? "unpacked" : "packed")"
        let linear = layer.selfAttention.query
        assertClose(linear(step: x, packed: weights), training(x) { x, _ in linear(x) }, label)
        assertClose(
          layer.feedForward(step: x, packed: weights),
          training(x) { x, context in layer.feedForward(x, context: &context) }, label)
        assertClose(
          model.outputProjection.asLinear(step: x, packed: weights),
          training(x) { x, _ in model.outputProjection.asLinear(x) }, label)
      }
      let norm = layer.feedForwardConnection.norm
      assertClose(norm(step: x), training(x) { x, _ in norm(x) }, "\(count) rows")
      for placement in [TransformerConfiguration.NormPlacement.pre, .post] {
        let connection = SublayerConnection(
          name: "connection", width: width, placement: placement, dropout: 0.3)
        assertClose(
          connection(step: x) { layer.feedForward(step: $0) },
          training(x) { x, context in
            connection(x, context: &context) { x, context in
              layer.feedForward(x, context: &context)
            }
          }, "\(placement), \(count) rows")
      }
    }
  }

  /// The cross-attention step of W rows per sentence equals the training attention of each
  /// row's query over its sentence's encoder output.
  func testCrossAttentionStepEqualsTrainingAttention() {
    let attention = model.decoder.layers[0].crossAttention!
    let width = model.configuration.modelWidth
    let (lengths, beams) = ([4, 2], 3)
    let memory = Tensor.uniform(shape: [2, 4, width], low: -1, high: 1, using: &generator)
    let x = rows(2 * beams, width: width)  // [B·W, D]
    let step = attention(
      step: x, memory: attention.cachedKeysAndValues(of: memory),
      mask: AttentionMask(keyLengths: lengths))
    let expected = Tape.withoutRecording {
      var context = ForwardContext.inference
      return attention(
        Variable(x.reshaped([2, beams, width])), memory: Variable(memory),
        mask: AttentionMask(keyLengths: lengths), context: &context
      ).value
    }  // [B, W, D]: the W rows of a sentence as its W query positions
    assertClose(step, expected.reshaped([2 * beams, width]), "cross-attention")
  }
}
