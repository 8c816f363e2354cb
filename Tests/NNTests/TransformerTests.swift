import Autograd
import XCTest

@testable import NN

/// A fixed padded batch for the tests: B 2, S 5, T 4, ids below 11, padding 0.
struct TinyBatch {
  var sourceIDs = [3, 4, 5, 6, 2, 7, 8, 2, 0, 0]  // [B, S], lengths 5 and 3
  var sourceLengths = [5, 3]
  var targetInputIDs = [1, 3, 5, 7, 1, 9, 0, 0]  // [B, T], lengths 4 and 2
  var targetOutputIDs = [3, 5, 7, 2, 9, 2, 0, 0]
  var targetLengths = [4, 2]

  var batchSize: Int { sourceLengths.count }
  var sourceLength: Int { sourceIDs.count / batchSize }
  var targetLength: Int { targetInputIDs.count / batchSize }

  /// The model's loss and totals on this batch.
  func loss(_ model: Transformer, labelSmoothing: Float = 0.1)
    -> (loss: Variable, totals: CrossEntropyTotals)
  {
    model.loss(
      sourceIDs: sourceIDs, targetInputIDs: targetInputIDs, targetOutputIDs: targetOutputIDs,
      sourceLengths: sourceLengths, targetLengths: targetLengths, labelSmoothing: labelSmoothing)
  }

  /// The same pairs with `extraSource` and `extraTarget` more padding columns.
  func padded(extraSource: Int, extraTarget: Int) -> TinyBatch {
    func pad(_ ids: [Int], width: Int, extra: Int) -> [Int] {
      stride(from: 0, to: ids.count, by: width).flatMap {
        ids[$0..<($0 + width)] + Array(repeating: 0, count: extra)
      }
    }
    var result = self
    result.sourceIDs = pad(sourceIDs, width: sourceLength, extra: extraSource)
    result.targetInputIDs = pad(targetInputIDs, width: targetLength, extra: extraTarget)
    result.targetOutputIDs = pad(targetOutputIDs, width: targetLength, extra: extraTarget)
    return result
  }

  /// Row `row` alone, without padding.
  func row(_ row: Int) -> TinyBatch {
    let (s, t) = (sourceLengths[row], targetLengths[row])
    let sourceStart = row * sourceLength
    let targetStart = row * targetLength
    return TinyBatch(
      sourceIDs: Array(sourceIDs[sourceStart..<(sourceStart + s)]), sourceLengths: [s],
      targetInputIDs: Array(targetInputIDs[targetStart..<(targetStart + t)]),
      targetOutputIDs: Array(targetOutputIDs[targetStart..<(targetStart + t)]),
      targetLengths: [t])
  }
}

extension TransformerConfiguration {
  /// D 8, H 2, F 16, V 11, one layer each: small enough for finite differences.
  static func tiny(
    norm: NormPlacement = .post, tied: Bool = true, activation: Activation = .gelu,
    dropout: Double = 0.1, attentionDropout: Double = 0
  ) -> TransformerConfiguration {
    TransformerConfiguration(
      encoderLayerCount: 1, decoderLayerCount: 1, modelWidth: 8, headCount: 2,
      feedForwardWidth: 16, vocabularySize: 11, dropout: dropout,
      attentionDropout: attentionDropout, activation: activation, norm: norm,
      tieEmbeddings: tied, maxPositions: 16)
  }
}

/// The whole model's gradients against finite differences, and the bookkeeping of its
/// parameters: names, tying, counts.
final class TransformerTests: XCTestCase {
  let batch = TinyBatch()

  /// Every parameter's gradient, for both norm placements, tied and untied, with residual and
  /// attention dropout on (the masks drawn afresh from one seed on every call). GELU keeps the
  /// loss smooth, so no difference straddles a ReLU kink.
  ///
  /// The key projections' biases are the exception: adding `b` to every key adds `q·b` to all
  /// scores of a query's row, which the softmax cancels, so their true gradient is exactly 0
  /// and the finite differences are pure rounding noise. Their analytic gradient must be ~0.
  func testEveryParameterGradientMatchesFiniteDifferences() {
    // h = 0.05, as for the autograd's tiny Transformer: the Float loss's rounding over 2h stays
    // ~10× below the tolerance, and the O(h⁴) truncation is negligible.
    let checker = GradientCheck(step: 0.05)
    for norm in [TransformerConfiguration.NormPlacement.post, .pre] {
      for tied in [true, false] {
        let configuration = TransformerConfiguration.tiny(
          norm: norm, tied: tied, attentionDropout: 0.1)
        let model = Transformer(configuration: configuration, seed: 7)
        let dropoutSeed = model.dropoutGenerator
        func loss() -> Variable {
          model.dropoutGenerator = dropoutSeed
          return batch.loss(model).loss
        }
        let isKeyBias = { (parameter: Variable) in parameter.name.hasSuffix(".key.bias") }
        let report = checker.check(model.parameters.filter { !isKeyBias($0) }, loss)
        XCTAssertTrue(report.passed, "norm \(norm), tied \(tied):\n\(report)")
        XCTAssertEqual(report.inputs.count, model.parameters.count - 3)
        for input in report.inputs {
          XCTAssertTrue(
            input.analytic.contains { $0 != 0 }, "\(input.name) got no gradient (\(norm), \(tied))")
        }

        let tape = Tape()
        tape.record(loss).backward()
        for keyBias in model.parameters.filter(isKeyBias) {
          let largest = keyBias.gradient!.scalars.map(abs).max()!
          XCTAssertLessThan(largest, 1e-6, "\(keyBias.name)")
          keyBias.zeroGradient()
        }
      }
    }
  }

  func testParameterNamesAreStableAndDotted() {
    let model = Transformer(configuration: .tiny(), seed: 1)
    let names = model.parameters.map(\.name)
    XCTAssertEqual(Set(names).count, names.count, "names must be unique")
    let attention = ["query", "key", "value", "output"].flatMap { ["\($0).weight", "\($0).bias"] }
    let feedForward = ["inner.weight", "inner.bias", "outer.weight", "outer.bias"]
    let norm = ["weight", "bias"]
    func prefixed(_ prefix: String, _ suffixes: [String]) -> [String] {
      suffixes.map { "\(prefix).\($0)" }
    }
    let encoder = "encoder.layers.0"
    let decoder = "decoder.layers.0"
    let expected =
      ["embedding.weight"]
      + prefixed("\(encoder).self_attention", attention)
      + prefixed("\(encoder).self_attention_norm", norm)
      + prefixed("\(encoder).feed_forward", feedForward)
      + prefixed("\(encoder).feed_forward_norm", norm)
      + prefixed("\(decoder).self_attention", attention)
      + prefixed("\(decoder).self_attention_norm", norm)
      + prefixed("\(decoder).cross_attention", attention)
      + prefixed("\(decoder).cross_attention_norm", norm)
      + prefixed("\(decoder).feed_forward", feedForward)
      + prefixed("\(decoder).feed_forward_norm", norm)
    XCTAssertEqual(names, expected)

    let preNorm = Transformer(configuration: .tiny(norm: .pre, tied: false), seed: 1)
    let preNames = preNorm.parameters.map(\.name)
    XCTAssertEqual(
      Array(preNames.prefix(3)),
      ["source_embedding.weight", "target_embedding.weight", "output_projection.weight"])
    XCTAssertTrue(preNames.contains("encoder.final_norm.weight"))
    XCTAssertTrue(preNames.contains("decoder.final_norm.bias"))
    XCTAssertEqual(preNames.count, names.count + 2 + 4)
  }

  func testParameterCountMatchesTheFormula() {
    let configuration = TransformerConfiguration(
      encoderLayerCount: 2, decoderLayerCount: 3, modelWidth: 16, headCount: 4,
      feedForwardWidth: 24, vocabularySize: 30)
    let (d, f, v) = (16, 24, 30)
    let attention = 4 * (d * d + d)
    let feedForward = d * f + f + f * d + d
    let norm = 2 * d
    let encoderLayer = attention + feedForward + 2 * norm
    let decoderLayer = 2 * attention + feedForward + 3 * norm
    let model = Transformer(configuration: configuration, seed: 3)
    XCTAssertEqual(model.parameterCount, v * d + 2 * encoderLayer + 3 * decoderLayer)

    var untied = configuration
    untied.tieEmbeddings = false
    untied.norm = .pre
    XCTAssertEqual(
      Transformer(configuration: untied, seed: 3).parameterCount,
      3 * v * d + 2 * encoderLayer + 3 * decoderLayer + 2 * norm)
  }

  /// With tying, one `[V, D]` variable is the source embedding, the target embedding and the
  /// output projection: the same object, listed once, and its gradient is the sum of the three
  /// gradients an untied model with equal values gets.
  func testTiedEmbeddingIsOneTensorUsedThreeTimes() {
    let tied = Transformer(configuration: .tiny(dropout: 0), seed: 5)
    XCTAssertTrue(tied.sourceEmbedding.weight === tied.targetEmbedding.weight)
    XCTAssertTrue(tied.sourceEmbedding.weight === tied.outputProjection.weight)
    XCTAssertEqual(tied.parameters.filter { $0.name.contains("embedding") }.count, 1)
    XCTAssertEqual(tied.parameters.filter { $0.shape == [11, 8] }.count, 1)

    let untied = Transformer(configuration: .tiny(tied: false, dropout: 0), seed: 5)
    XCTAssertFalse(untied.sourceEmbedding.weight === untied.targetEmbedding.weight)
    let table = tied.sourceEmbedding.weight.value
    let copies = [untied.sourceEmbedding, untied.targetEmbedding, untied.outputProjection]
    for copy in copies { copy.weight.value = table }
    let shared = Dictionary(uniqueKeysWithValues: tied.parameters.map { ($0.name, $0) })
    for parameter in untied.parameters.dropFirst(3) {
      parameter.value = shared[parameter.name]!.value
    }

    let tiedTape = Tape()
    let tiedLoss = tiedTape.record { batch.loss(tied).loss }
    tiedLoss.backward()
    let untiedTape = Tape()
    let untiedLoss = untiedTape.record { batch.loss(untied).loss }
    untiedLoss.backward()
    XCTAssertEqual(tiedLoss.value[flat: 0], untiedLoss.value[flat: 0])

    var sum = Tensor(shape: table.shape)
    for copy in copies {
      let gradient = copy.weight.gradient!
      XCTAssertTrue(gradient.scalars.contains { $0 != 0 }, "\(copy.weight.name) got no gradient")
      sum += gradient
    }
    for (a, b) in zip(tied.sourceEmbedding.weight.gradient!.scalars, sum.scalars) {
      XCTAssertEqual(a, b, accuracy: 1e-6)
    }
  }

  func testConfigurationTravelsAsJSON() throws {
    let configuration = TransformerConfiguration.tiny(norm: .pre, tied: false)
    let text = configuration.jsonText
    XCTAssertTrue(text.contains("\"d_model\":8"), text)
    XCTAssertTrue(text.contains("\"norm\":\"pre\""), text)
    XCTAssertTrue(text.contains("\"tie_embeddings\":false"), text)
    XCTAssertEqual(TransformerConfiguration(jsonText: text), configuration)
    XCTAssertNil(TransformerConfiguration(jsonText: "{\"d_model\": 8}"))
  }

  func testConfigurationProblemsAreNamed() {
    XCTAssertNil(TransformerConfiguration().problem)
    var bad = TransformerConfiguration()
    bad.headCount = 7
    XCTAssertEqual(bad.problem, "d_model (512) must be at least 2 and divisible by heads (7)")
    bad = TransformerConfiguration(vocabularySize: 10, paddingID: 10)
    XCTAssertEqual(bad.problem, "padding_id 10 is outside the vocabulary 0..<10")
    bad = TransformerConfiguration(dropout: 1)
    XCTAssertNotNil(bad.problem)
  }
}
