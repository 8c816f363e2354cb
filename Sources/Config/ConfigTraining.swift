import Autograd
import NN

/// The `training` section: batching, the optimiser, the schedule, when to validate, when to stop.
///
/// The defaults follow the paper (section 5.3–5.4): Adam with β1 0.9, β2 0.98, ε 1e-9, the
/// warm-up schedule with 4000 warm-up steps, label smoothing 0.1, 100k steps.
public struct TrainingConfig: ConfigSection {
  /// How the learning rate moves with the step (see `LearningRateSchedule`).
  public enum Schedule: String, ConfigChoice {
    /// `lr_scale · d_model^-0.5 · min(step^-0.5, step · warmup^-1.5)`, the paper's.
    case noam
    /// Linear warm-up to `peak_lr`, then `peak_lr · sqrt(warmup / step)`.
    case inverseSquareRoot = "inverse_sqrt"
    /// Linear warm-up to `peak_lr`, then linearly down to 0 at `max_steps`.
    case linear
  }

  /// Fixes initialisation, dropout masks and batch order.
  public var seed: UInt64 = 1
  /// The token budget per batch, padding included (rows × longest row).
  public var batchTokens = 4096
  /// How many batches' gradients are summed before each optimiser step.
  public var accumulationSteps = 1
  /// Adam's first-moment decay β1.
  public var adamBeta1 = 0.9
  /// Adam's second-moment decay β2.
  public var adamBeta2 = 0.98
  /// Adam's ε.
  public var adamEpsilon = 1e-9
  /// The learning-rate schedule.
  public var schedule = Schedule.noam
  /// The factor in front of the `noam` schedule.
  public var learningRateScale = 1.0
  /// The highest rate of the `inverse_sqrt` and `linear` schedules, reached at the end of warm-up.
  public var peakLearningRate = 5e-4
  /// The optimiser steps of linear warm-up.
  public var warmupSteps = 4000
  /// The probability mass label smoothing spreads over the vocabulary (ε_ls).
  public var labelSmoothing = 0.1
  /// The largest global gradient norm allowed; 0 turns clipping off.
  public var clipNorm = 0.0
  /// Stop after this many optimiser steps (0 for no limit), or after the number of steps the
  /// trainer plans to fit `maxTimeMinutes` (`"auto"`).
  public var maxSteps: StepLimit = 100_000
  /// Where a `max_steps: "auto"` run re-planned its step count, which bent the `linear` decay;
  /// written by the trainer into the run's `config.json`, so that a rerun repeats the rates.
  /// Nil for one straight decay.
  public var replanned: DecayReplan?
  /// Stop after this many passes over the training data; 0 for no limit.
  public var maxEpochs = 0
  /// Stop after this many minutes of training; 0 for no limit.
  public var maxTimeMinutes = 0.0
  /// Validate every this many steps; 0 validates at the end of each epoch.
  public var validationInterval = 1000
  /// Whether validation also decodes the validation set and reports BLEU (slower).
  public var validationBLEU = false
  /// Stop after this many validations without a better loss; 0 never stops early.
  public var patience = 0
  /// Print a progress line every this many steps.
  public var logInterval = 100
  /// How many of the latest step checkpoints to keep on disk; 0 keeps them all.
  public var keptCheckpointCount = 5
  /// In a run of several processes (MPI), the size in MB of the buckets of gradients summed
  /// while backward goes on; 0 sums all of them in one call after backward.
  public var allReduceBucketMB = 4.0

  /// Every field at its default.
  public init() {}

  public static let name = "training"
  public static let summary =
    "Batching, optimiser, learning-rate schedule, validation and stopping."
  public static let fields: [ConfigField<TrainingConfig>] = [
    .unsigned("seed", \.seed, "Random seed for initialisation, dropout and batch order."),
    .integer(
      "batch_tokens", \.batchTokens, minimum: 1, maximum: ConfigLimits.batchTokens,
      "Token budget per batch, padding included (sentences × longest row)."),
    .integer(
      "accumulate", \.accumulationSteps, minimum: 1,
      maximum: ConfigLimits.accumulationSteps,
      "Batches whose gradients are summed per optimiser step (an effective batch of `accumulate × batch_tokens`)."
    ),
    .number(
      "adam_beta1", \.adamBeta1, .unitInterval, usedAsFloat: true,
      "Adam β1, the decay of the gradient mean."),
    .number(
      "adam_beta2", \.adamBeta2, .unitInterval, usedAsFloat: true,
      "Adam β2, the decay of the squared-gradient mean."),
    .number(
      "adam_eps", \.adamEpsilon, .positive, usedAsFloat: true,
      "Adam ε, added to the root of the second moment."),
    .choice(
      "schedule", \.schedule,
      "`noam`: `lr_scale · d_model^-0.5 · min(step^-0.5, step · warmup_steps^-1.5)`; `inverse_sqrt`: linear warm-up to `peak_lr`, then `peak_lr · sqrt(warmup_steps / step)`; `linear`: linear warm-up to `peak_lr`, then linearly down to 0 at `max_steps`."
    ),
    .number(
      "lr_scale", \.learningRateScale, .positive, usedAsFloat: true,
      "Factor in front of the `noam` schedule."),
    .number(
      "peak_lr", \.peakLearningRate, .positive, usedAsFloat: true,
      "Highest learning rate of the `inverse_sqrt` and `linear` schedules."),
    .integer(
      "warmup_steps", \.warmupSteps, minimum: 1,
      "Optimiser steps of linear warm-up; every schedule peaks here."),
    .number(
      "label_smoothing", \.labelSmoothing, .unitInterval, usedAsFloat: true,
      "Probability mass spread uniformly over the vocabulary in the loss (ε_ls)."),
    .number(
      "clip_norm", \.clipNorm, .nonNegative, usedAsFloat: true,
      "Largest global gradient L2 norm; larger gradients are scaled down. 0 = off."),
    .stepLimit(
      "max_steps", \.maxSteps,
      "Stop after this many optimiser steps. 0 = no limit. `\"auto\"`: as many as fit "
        + "`max_time_minutes`, measured over the warm-up and fixed at its end (written into the "
        + "run's `config.json`) and re-planned once halfway through the decay; needs "
        + "`max_time_minutes` and `valid_every` ≤ `warmup_steps`."),
    .decayReplan(
      "replanned", \.replanned,
      "Written by `max_steps: \"auto\"` when it re-plans: the `linear` decay followed the line to "
        + "0 at `from_max_steps` up to `at_step`, then a straight line from the rate there to 0 "
        + "at `max_steps`. Other schedules ignore it. null = one straight decay."),
    .integer(
      "max_epochs", \.maxEpochs, minimum: 0,
      "Stop after this many passes over the training data. 0 = no limit."),
    .number(
      "max_time_minutes", \.maxTimeMinutes, .nonNegativeUpTo(ConfigLimits.maxTimeMinutes),
      "Stop after this many minutes of training. 0 = no limit."),
    .integer(
      "valid_every", \.validationInterval, minimum: 0,
      "Validate (and checkpoint) every this many steps. 0 = at the end of each epoch."),
    .boolean(
      "valid_bleu", \.validationBLEU,
      "Also translate the validation set and report BLEU at each validation (slower)."),
    .integer(
      "patience", \.patience, minimum: 0,
      "Stop after this many validations in a row without a new best (higher BLEU when "
        + "`valid_bleu` is on, else lower loss). 0 = off."),
    .integer(
      "log_every", \.logInterval, minimum: 1, "Print a progress line every this many steps."),
    .integer(
      "keep_last_checkpoints", \.keptCheckpointCount, minimum: 0,
      "How many of the newest step checkpoints to keep on disk. 0 = keep all."),
    .number(
      "allreduce_bucket_mb", \.allReduceBucketMB,
      .nonNegativeUpTo(ConfigLimits.allReduceBucketMB),
      "With several processes (MPI): MB of gradients per bucket summed while backward runs. 0 = one sum after backward."
    ),
  ]

  /// The learning-rate schedule for a model of width `modelWidth`.
  public func learningRateSchedule(modelWidth: Int) -> LearningRateSchedule {
    switch schedule {
    case .noam:
      return .noam(scale: learningRateScale, modelWidth: modelWidth, warmupSteps: warmupSteps)
    case .inverseSquareRoot:
      return .inverseSquareRoot(peak: peakLearningRate, warmupSteps: warmupSteps)
    case .linear:
      // Before an "auto" limit is planned only the warm-up runs, which no end step changes;
      // the trainer fixes the end before the first step of the decay.
      if let replanned, let totalSteps = maxSteps.fixedSteps {
        return .replannedLinear(
          peak: peakLearningRate, warmupSteps: warmupSteps, replan: replanned,
          totalSteps: totalSteps)
      }
      return .linear(
        peak: peakLearningRate, warmupSteps: warmupSteps, totalSteps: maxSteps.fixedSteps ?? .max)
    }
  }

  /// An Adam optimiser with this section's β1, β2 and ε for parameters of these names and shapes.
  public func makeAdam(parameters: [(name: String, shape: [Int])]) -> Adam {
    Adam(
      parameters: parameters, beta1: Float(adamBeta1), beta2: Float(adamBeta2),
      epsilon: Float(adamEpsilon))
  }

  /// Decodes the keys present, with the same checks as a config file.
  public init(from decoder: Decoder) throws { try self.init(decodingFieldsFrom: decoder) }
  /// Encodes every field under its JSON key.
  public func encode(to encoder: Encoder) throws { try encodeFields(to: encoder) }
}
