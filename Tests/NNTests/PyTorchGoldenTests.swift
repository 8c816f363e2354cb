import Autograd
import Foundation
import Checkpoints
import NN
import XCTest

/// Our model against PyTorch, as llm.c's `test_gpt2.c` checks GPT-2: for each checkpoint of
/// `PyTorchGoldenModel`, `scripts/pytorch_golden.py --write-fixture` built the same model from
/// PyTorch's own layers, ran one padded batch and saved the logits, the label-smoothed loss,
/// every parameter's gradient (under our tensor names, in our layout) and a 10-step loss
/// trajectory with `torch.optim.Adam` into `golden.safetensors`, with the batch and the
/// training settings in its metadata. Python is not needed here: the numbers are committed.
///
/// Both sides compute in Float32, in a different order, so the values agree to rounding.
/// Tolerances, about ten times the largest error measured over both models (in brackets):
/// - logits: |ours − PyTorch| ≤ 1e-5 (1.2e-6; the logits are O(1));
/// - loss: ≤ 5e-6 (2.4e-7);
/// - gradients: per tensor, max |ours − PyTorch| ≤ 2e-5 · max |PyTorch| (1.8e-6). The key
///   projections' biases are the exception: their gradient is 0 in exact arithmetic (adding
///   q·b_K to every score of a softmax row changes nothing), so both sides hold rounding noise
///   (~1e-8) and it is compared absolutely, ≤ 2e-5;
/// - the 10-step trajectory: losses ≤ 1e-5 (7.2e-7), gradient norms ≤ 2e-5 relative (2.4e-6).
/// A transposed weight, a missing √D, or fairseq's smoothing convention (ε/(V − 1) on the
/// non-targets) moves the compared values by 1e-3 to 1, far beyond these.
final class PyTorchGoldenTests: XCTestCase {
  static let logitTolerance: Float = 1e-5
  static let lossTolerance: Float = 5e-6
  static let gradientTolerance: Float = 2e-5
  static let trajectoryLossTolerance: Float = 1e-5
  static let gradientNormTolerance: Float = 2e-5

  /// Writes the checkpoints (opt-in): see `PyTorchGoldenModel`.
  func testWriteCheckpoints() throws {
    guard ProcessInfo.processInfo.environment["PYTORCH_GOLDEN_WRITE_CHECKPOINTS"] == "1" else {
      throw XCTSkip("set PYTORCH_GOLDEN_WRITE_CHECKPOINTS=1 to rewrite the golden checkpoints")
    }
    for model in PyTorchGoldenModel.allCases { try model.writeCheckpoint() }
  }

  /// Post-norm, ReLU, untied embeddings, 2+2 layers; noam schedule, no clipping.
  func testPostNormUntiedModelMatchesPyTorch() throws {
    try checkAgainstPyTorch(.postNormUntied)
  }

  /// Pre-norm, GELU, tied embeddings, 1+1 layers; linear schedule, clipping at norm 0.5.
  func testPreNormTiedModelMatchesPyTorch() throws {
    try checkAgainstPyTorch(.preNormTied)
  }

  /// Decoder-only, pre-norm, GELU, tied embeddings, 2 layers; linear schedule, clipping.
  func testDecoderOnlyModelMatchesPyTorch() throws {
    try checkAgainstPyTorch(.decoderOnly)
  }

  /// RoPE and grouped-query attention (H 4, G 2), pre-norm, GELU, tied, 1+1 layers;
  /// inverse square-root schedule, clipping at norm 1.
  func testRoPEGroupedQueryModelMatchesPyTorch() throws {
    try checkAgainstPyTorch(.ropeGQA)
  }

  // MARK: The comparison

  private func checkAgainstPyTorch(_ golden: PyTorchGoldenModel) throws {
    let model = try Transformer(contentsOf: golden.modelPath)
    XCTAssertEqual(model.configuration, golden.configuration)
    model.isTraining = false
    let fixture = try SafeTensorsFile(contentsOf: golden.goldenPath)
    let batch = try GoldenBatch(fixture)
    let training = try GoldenTraining(fixture)
    let tag = golden.rawValue

    // Logits, through the inference path.
    let logits = model.targetLogits(
      sourceIDs: batch.sourceIDs, sourceLengths: batch.sourceLengths,
      targetInputIDs: batch.targetInputIDs, targetLengths: batch.targetLengths)  // [B, T, V]
    let expectedLogits = try XCTUnwrap(fixture["logits"], tag)
    XCTAssertEqual(logits.shape, expectedLogits.shape, tag)
    let logitError = maximumDifference(logits.scalars, expectedLogits.scalars)
    XCTAssertLessThanOrEqual(logitError, Self.logitTolerance, "\(tag) logits")

    // Loss and gradients, through the training path.
    let loss = try XCTUnwrap(fixture["loss"], tag)[flat: 0]
    XCTAssertEqual(batch.loss(model, training), loss, accuracy: Self.lossTolerance, tag)
    let gradientNames = fixture.tensors.map(\.name).filter { $0.hasPrefix("gradient.") }
    XCTAssertEqual(
      Set(gradientNames), Set(model.parameters.map { "gradient." + $0.name }),
      "\(tag): the fixture's gradients are not the model's parameters")
    for parameter in model.parameters {
      let expected = try XCTUnwrap(fixture["gradient." + parameter.name], parameter.name)
      let actual = try XCTUnwrap(parameter.gradient, parameter.name)
      XCTAssertEqual(actual.shape, expected.shape, parameter.name)
      let scale =
        parameter.name.hasSuffix(".key.bias") ? 1 : max(expected.scalars.map(abs).max() ?? 0, 1e-6)
      let error = maximumDifference(actual.scalars, expected.scalars) / scale
      XCTAssertLessThanOrEqual(error, Self.gradientTolerance, "\(tag) \(parameter.name)")
    }

    // Ten Adam steps from the same weights, as the trainer takes them.
    for parameter in model.parameters { parameter.zeroGradient() }
    let (losses, norms) = try batch.trajectory(model, training)
    let expectedLosses = try XCTUnwrap(fixture["trajectory.loss"], tag).scalars
    let expectedNorms = try XCTUnwrap(fixture["trajectory.gradient_norm"], tag).scalars
    XCTAssertEqual(losses.count, expectedLosses.count, tag)
    let lossError = maximumDifference(losses, expectedLosses)
    XCTAssertLessThanOrEqual(lossError, Self.trajectoryLossTolerance, "\(tag) loss trajectory")
    let normError = zip(norms, expectedNorms).map { abs($0 - $1) / $1 }.max() ?? .infinity
    XCTAssertLessThanOrEqual(normError, Self.gradientNormTolerance, "\(tag) gradient norms")
  }

  private func maximumDifference(_ a: [Float], _ b: [Float]) -> Float {
    guard a.count == b.count else { return .infinity }
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
  }
}

/// The batch of a golden fixture, from its metadata `batch` (row-major, padded ids).
private struct GoldenBatch: Decodable {
  var sourceIDs: [Int]
  var targetInputIDs: [Int]
  var targetOutputIDs: [Int]
  var sourceLengths: [Int]
  var targetLengths: [Int]

  enum CodingKeys: String, CodingKey {
    case sourceIDs = "source_ids"
    case targetInputIDs = "target_input_ids"
    case targetOutputIDs = "target_output_ids"
    case sourceLengths = "source_lengths"
    case targetLengths = "target_lengths"
  }

  init(_ fixture: SafeTensorsFile) throws {
    self = try decodeMetadata(fixture, "batch")
  }

  /// Records the mean loss on a new tape and runs its backward, leaving the gradients in the
  /// parameters; returns the loss.
  func loss(_ model: Transformer, _ training: GoldenTraining) -> Float {
    let tape = Tape()
    let (loss, _) = tape.record {
      model.loss(
        sourceIDs: sourceIDs, targetInputIDs: targetInputIDs, targetOutputIDs: targetOutputIDs,
        sourceLengths: sourceLengths, targetLengths: targetLengths,
        labelSmoothing: training.labelSmoothing)
    }
    loss.backward()
    return loss.value[flat: 0]
  }

  /// `training.steps` optimiser steps on this batch through `Adam.update`, as `Trainer.step()`
  /// takes them with one batch per step: the loss and its gradient, the global norm, the
  /// clipping factor folded into Adam's step at the schedule's rate. Returns each step's loss (before its update) and
  /// gradient norm (before clipping).
  func trajectory(_ model: Transformer, _ training: GoldenTraining) throws -> ([Float], [Float]) {
    let parameters = model.parameters
    var adam = Adam(
      parameters: parameters, beta1: training.adamBeta1, beta2: training.adamBeta2,
      epsilon: training.adamEpsilon)
    let schedule = try training.schedule(modelWidth: model.configuration.modelWidth)
    var (losses, norms): ([Float], [Float]) = ([], [])
    for step in 1...training.steps {
      losses.append(loss(model, training))
      let update = adam.update(
        parameters, step: step, schedule: schedule, clipNorm: training.clipNorm,
        measuringNorm: true)
      norms.append(update.gradientNorm ?? .nan)
    }
    return (losses, norms)
  }
}

/// The training settings of a golden fixture, from its metadata `training`; the keys are the
/// run config's `training` keys.
private struct GoldenTraining: Decodable {
  var labelSmoothing: Float
  var adamBeta1: Float
  var adamBeta2: Float
  var adamEpsilon: Float
  var clipNorm: Float
  var scheduleName: String
  var learningRateScale: Double?
  var peakLearningRate: Double?
  var warmupSteps: Int
  var maxSteps: Int
  var steps: Int

  enum CodingKeys: String, CodingKey {
    case labelSmoothing = "label_smoothing"
    case adamBeta1 = "adam_beta1"
    case adamBeta2 = "adam_beta2"
    case adamEpsilon = "adam_eps"
    case clipNorm = "clip_norm"
    case scheduleName = "schedule"
    case learningRateScale = "lr_scale"
    case peakLearningRate = "peak_lr"
    case warmupSteps = "warmup_steps"
    case maxSteps = "max_steps"
    case steps
  }

  init(_ fixture: SafeTensorsFile) throws {
    self = try decodeMetadata(fixture, "training")
  }

  func schedule(modelWidth: Int) throws -> LearningRateSchedule {
    switch scheduleName {
    case "noam":
      return .noam(scale: learningRateScale ?? 1, modelWidth: modelWidth, warmupSteps: warmupSteps)
    case "inverse_sqrt":
      return .inverseSquareRoot(peak: peakLearningRate ?? 0, warmupSteps: warmupSteps)
    case "linear":
      return .linear(peak: peakLearningRate ?? 0, warmupSteps: warmupSteps, totalSteps: maxSteps)
    default:
      throw DecodingError.dataCorrupted(
        DecodingError.Context(codingPath: [], debugDescription: "unknown schedule \(scheduleName)"))
    }
  }
}

private func decodeMetadata<Value: Decodable>(
  _ fixture: SafeTensorsFile, _ key: String
) throws -> Value {
  let text = try XCTUnwrap(fixture.metadata[key], "golden fixture without metadata \"\(key)\"")
  return try JSONDecoder().decode(Value.self, from: Data(text.utf8))
}
