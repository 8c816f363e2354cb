import Data
import Foundation
import NN

/// Everything about a training run that is not a tensor: where it is, what it has seen, the best
/// validation so far and the running sums of the current log interval.
///
/// Saved as JSON in the checkpoint's `trainer.safetensors` beside Adam's moments (see
/// ``TrainerCheckpointFile``), so that a resumed run continues with exactly the batches, dropout
/// masks and logged figures of an uninterrupted one.
public struct TrainerState: Equatable, Sendable {
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
  /// ``ValidationSet/fingerprint`` of the validation files ``best`` was measured on; nil in
  /// checkpoints written before it was kept.
  public var validationFingerprint: UInt64?
  /// The step count `training.max_steps: "auto"` planned, once it is fixed (at the end of the
  /// warm-up), and re-planned once in the decay; a resumed run keeps it. Nil for a
  /// fixed limit or before the plan.
  public var plannedSteps: Int?
  /// What the plan is measured from: the warm-up after its first fifth.
  public var timing = StepTiming()
  /// What the re-plan is measured from: the steps since the warm-up (``StepReplan``).
  public var decayTiming = StepTiming()
  /// The re-plan, once made: the first plan's count and the step it was made after.
  public var replan: DecayReplan?

  /// The state before the first step.
  public init() {}
}

/// The sums over the steps since the last log line, from which that line's figures come.
public struct TrainingWindow: Equatable, Sendable {
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
}
