import Foundation
import Data

/// Everything about a training run that is not a tensor: where it is, what it has seen, the best
/// validation so far and the running sums of the current log interval.
///
/// Saved as JSON in the checkpoint's `trainer.safetensors` beside Adam's moments (see
/// ``TrainerCheckpointFile``), so that a resumed run continues with exactly the batches, dropout
/// masks and logged figures of an uninterrupted one.
public struct TrainerState: Codable, Equatable, Sendable {
  /// Optimiser steps taken.
  public var step = 0
  /// The batch that comes next.
  public var position = BatchPosition()
  /// The dropout generator's four words (`RandomGenerator.state`).
  public var dropoutGeneratorState: [UInt64] = []
  /// Seconds spent training (validation and saving included), over every session of the run.
  public var elapsedSeconds = 0.0
  /// Target tokens (`</s>` included, padding not) trained on so far.
  public var targetTokens = 0
  /// The running sums of the log interval in progress.
  public var window = TrainingWindow()
  /// The best validation so far, the one `best/` holds.
  public var best: ValidationResult?
  /// The most recent validation.
  public var lastValidation: ValidationResult?
  /// Validations in a row that did not beat ``best`` (for `training.patience`).
  public var validationsWithoutImprovement = 0
  /// ``BatchPlanner/fingerprint`` of the training batches: a resumed run must find the same
  /// value, or its saved position would point at other batches.
  public var batchFingerprint: UInt64 = 0
  /// The step count `training.max_steps: "auto"` planned, once it is fixed (at the end of the
  /// warm-up); a resumed run keeps it. Nil for a fixed limit or before the plan.
  public var plannedSteps: Int?
  /// What the plan is measured from, while it is still to be made.
  public var timing = StepTiming()

  /// The state before the first step.
  public init() {}

  private enum CodingKeys: String, CodingKey {
    case step, position
    case dropoutGeneratorState = "dropout_generator_state"
    case elapsedSeconds = "elapsed_seconds"
    case targetTokens = "target_tokens"
    case window, best
    case lastValidation = "last_validation"
    case validationsWithoutImprovement = "validations_without_improvement"
    case batchFingerprint = "batch_fingerprint"
    case plannedSteps = "planned_steps"
    case timing
  }

  /// Decodes the state; 64-bit words are hexadecimal strings, so no JSON reader rounds them.
  public init(from decoder: Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    step = try container.decode(Int.self, forKey: .step)
    position = try container.decode(BatchPosition.self, forKey: .position)
    dropoutGeneratorState = try container.decode([String].self, forKey: .dropoutGeneratorState)
      .map { text in
        guard let word = UInt64(text, radix: 16) else {
          throw DecodingError.dataCorruptedError(
            forKey: .dropoutGeneratorState, in: container,
            debugDescription: "\"\(text)\" is not a hexadecimal 64-bit word")
        }
        return word
      }
    elapsedSeconds = try container.decode(Double.self, forKey: .elapsedSeconds)
    targetTokens = try container.decode(Int.self, forKey: .targetTokens)
    window = try container.decode(TrainingWindow.self, forKey: .window)
    best = try container.decodeIfPresent(ValidationResult.self, forKey: .best)
    lastValidation = try container.decodeIfPresent(ValidationResult.self, forKey: .lastValidation)
    validationsWithoutImprovement = try container.decode(
      Int.self, forKey: .validationsWithoutImprovement)
    let fingerprint = try container.decode(String.self, forKey: .batchFingerprint)
    guard let value = UInt64(fingerprint, radix: 16) else {
      throw DecodingError.dataCorruptedError(
        forKey: .batchFingerprint, in: container,
        debugDescription: "\"\(fingerprint)\" is not a hexadecimal 64-bit word")
    }
    batchFingerprint = value
    // Absent from checkpoints written before "auto" existed.
    plannedSteps = try container.decodeIfPresent(Int.self, forKey: .plannedSteps)
    timing = try container.decodeIfPresent(StepTiming.self, forKey: .timing) ?? StepTiming()
  }

  /// Encodes the state, 64-bit words as hexadecimal strings.
  public func encode(to encoder: Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(step, forKey: .step)
    try container.encode(position, forKey: .position)
    try container.encode(
      dropoutGeneratorState.map { String($0, radix: 16) }, forKey: .dropoutGeneratorState)
    try container.encode(elapsedSeconds, forKey: .elapsedSeconds)
    try container.encode(targetTokens, forKey: .targetTokens)
    try container.encode(window, forKey: .window)
    try container.encodeIfPresent(best, forKey: .best)
    try container.encodeIfPresent(lastValidation, forKey: .lastValidation)
    try container.encode(validationsWithoutImprovement, forKey: .validationsWithoutImprovement)
    try container.encode(String(batchFingerprint, radix: 16), forKey: .batchFingerprint)
    try container.encodeIfPresent(plannedSteps, forKey: .plannedSteps)
    try container.encode(timing, forKey: .timing)
  }
}

/// The sums over the steps since the last log line, from which that line's figures come.
public struct TrainingWindow: Codable, Equatable, Sendable {
  /// Steps in the window.
  public var steps = 0
  /// Σ label-smoothed loss over the window's target tokens.
  public var loss = 0.0
  /// Σ negative log-likelihood (no smoothing) over the window's target tokens.
  public var negativeLogLikelihood = 0.0
  /// Target tokens in the window.
  public var targetTokens = 0

  /// An empty window.
  public init() {}

  /// The mean label-smoothed loss per target token: what the optimiser minimises.
  public var meanLoss: Double { loss / Double(max(targetTokens, 1)) }
  /// exp(mean negative log-likelihood): the training perplexity, without smoothing.
  public var perplexity: Double { exp(negativeLogLikelihood / Double(max(targetTokens, 1))) }

  private enum CodingKeys: String, CodingKey {
    case steps, loss
    case negativeLogLikelihood = "negative_log_likelihood"
    case targetTokens = "target_tokens"
  }
}
