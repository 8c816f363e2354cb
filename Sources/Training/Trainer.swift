import Autograd
import Checkpoints
import Config
import Data
import Distributed
import Foundation
import NN
import Support
import Tensors
import Tokenizer

/// The mechanics of training one model: optimiser steps over token-budget batches, validation,
/// and saving and restoring everything needed to continue exactly where it stopped.
///
/// One ``step()`` draws `training.accumulate` batches, sums their gradients (each batch's loss
/// is its mean over target tokens, so the sum is scaled by 1/accumulate), clips the global norm
/// to `training.clip_norm` and takes one Adam step at the schedule's rate for that step (Vaswani
/// et al. 2017, §5.3–5.4). Everything random comes from the seed: the initial weights, the
/// batch order (``BatchPlanner``) and the dropout masks, drawn for each batch from a generator
/// seeded by (seed, step, batch of the step), so the same config gives the same losses, resumed
/// or not.
///
/// In a data-parallel run of N processes (``ProcessGroup``), a step spans the k·N batches one
/// process would take with `accumulate` k·N: process r takes batches r, r + N, …, the gradients
/// and loss totals are summed over the processes (``GradientAllReduce``) and every process takes
/// the same Adam step. So N processes with `accumulate` 1 train as one with `accumulate` N,
/// dropout included: batch r + kN draws the masks it would draw in one process. The gradients
/// are summed in buckets started while the last backward runs (``GradientAllReduce``).
///
/// ```swift
/// let trainer = try Trainer(config: config, vocabulary: vocabulary, corpus: corpus)
/// while trainer.state.step < 100 { let step = trainer.step() }
/// let result = trainer.validate(on: validation)
/// ```
public final class Trainer {
  /// The run's config; once a `training.max_steps: "auto"` plan is fixed, with the planned
  /// number in `max_steps` (see ``adopt(plannedSteps:replan:)``).
  public private(set) var config: RunConfig
  /// The BPE model(s).
  public let vocabulary: TrainingVocabulary
  /// The model being trained.
  public let model: Transformer
  /// The learning rate per step.
  public private(set) var schedule: LearningRateSchedule
  /// Where training is, what it has seen, the best validation.
  public private(set) var state: TrainerState
  private var optimizer: Adam
  private var batches: BatchIterator
  private let parameters: [Variable]
  private let group: ProcessGroup
  private let allReduce: GradientAllReduce

  /// A fresh trainer: a model initialised from `training.seed`, Adam's moments at zero, and
  /// the batches of `corpus` from the start of the first epoch.
  ///
  /// - Parameter group: the processes that train together; each builds the same model.
  /// - Throws: ``TrainingError`` when the batches cannot be planned.
  public init(
    config: RunConfig, vocabulary: TrainingVocabulary, corpus: ParallelCorpus,
    group: ProcessGroup = .single
  ) throws(TrainingError) {
    self.config = config
    self.group = group
    self.vocabulary = vocabulary
    let configuration = config.transformerConfiguration(
      vocabularySize: vocabulary.modelVocabularySize)
    model = Transformer(configuration: configuration, seed: config.training.seed)
    model.isTraining = true
    parameters = model.parameters
    allReduce = GradientAllReduce(
      group: group, parameters: parameters,
      bucketBytes: Self.bucketBytes(megabytes: config.training.allReduceBucketMB))
    optimizer = config.training.makeAdam(parameters: parameters.map { ($0.name, $0.shape) })
    schedule = config.training.learningRateSchedule(modelWidth: config.model.modelWidth)
    let planner: BatchPlanner
    do {
      planner = try BatchPlanner(
        pairs: corpus.pairs, maxTokens: config.training.batchTokens, seed: config.training.seed,
        joinsSourceAndTarget: configuration.isDecoderOnly)
    } catch {
      // The corpus loader refuses an empty corpus and the config a non-positive budget.
      throw .unsupported(path: "training.batch_tokens", message: error.description)
    }
    if let problem = TrainingMemoryCheck.problem(
      configuration: configuration, batchTokens: config.training.batchTokens,
      accumulate: config.training.accumulationSteps, pairs: corpus.pairs,
      maxRows: planner.chunkSize, parameterCount: model.parameterCount,
      processes: group.localSize)
    {
      throw .unsupported(path: "training.batch_tokens", message: problem)
    }
    batches = BatchIterator(planner: planner)
    state = TrainerState()
    state.batchFingerprint = planner.fingerprint
    state.dropoutGeneratorState = model.dropoutGenerator.state
  }

  /// The bytes of `megabytes` MB. Config validation bounds the key; the cap keeps a config
  /// built in code from trapping in the conversion to Int.
  static func bucketBytes(megabytes: Double) -> Int {
    megabytes.isFinite ? Int(min(max(megabytes, 0), 1e6) * 1_048_576) : 0
  }

  /// The number of trainable scalars.
  public var parameterCount: Int { model.parameterCount }

  /// The batches in the current epoch.
  public func batchesInEpoch() -> Int { batches.batchesInEpoch() }

  // MARK: Training

  /// Takes one optimiser step over the next `training.accumulate` batches (times the number
  /// of processes, each taking its share).
  public func step() -> TrainingStep {
    // Never abandoned, so always a step.
    step(abandoningIf: { false })!
  }

  /// Takes one optimiser step as ``step()`` does, unless `shouldAbandon` returns true before
  /// one of the step's later batches: then the step is undone (gradients dropped, the batches
  /// rewound, the state untouched) and the result is nil. A step whose loss is not finite (the
  /// run has diverged) is undone the same way, so that its NaN or infinite gradients never
  /// reach the weights, and returned with `diverged` set.
  ///
  /// A step of many accumulated batches can take long; asking between them lets a signal stop
  /// it promptly. Only a single process asks: the processes of a group would have to agree
  /// mid-step, and their gradient sums are already under way.
  public func step(abandoningIf shouldAbandon: () -> Bool) -> TrainingStep? {
    let accumulation = config.training.accumulationSteps * group.size
    var totals = CrossEntropyTotals(loss: 0, negativeLogLikelihood: 0, count: 0)
    var sourceTokens = 0
    var epoch = batches.position.epoch
    let stepNumber = state.step + 1
    // This process's last batch of the step: its backward starts the gradient buckets.
    let lastOwnBatch = accumulation - group.size + group.rank
    for index in 0..<accumulation {
      // Every process walks all the step's batches, building only its own.
      guard index % group.size == group.rank else {
        epoch = batches.skip().epoch
        continue
      }
      if group.size == 1, index > 0, shouldAbandon() {
        undoStep()
        return nil
      }
      // The iterator never runs dry: after the last batch of an epoch comes the next epoch.
      let batch = batches.next()!
      epoch = batch.position.epoch
      model.dropoutGenerator = Self.dropoutGenerator(
        seed: config.training.seed, step: stepNumber, batch: index)
      let tape = Tape()
      let (loss, batchTotals) = tape.record {
        model.loss(
          sourceIDs: batch.sourceIDs, targetInputIDs: batch.targetInputIDs,
          targetOutputIDs: batch.targetOutputIDs, sourceLengths: batch.sourceLengths,
          targetLengths: batch.targetLengths,
          labelSmoothing: Float(config.training.labelSmoothing))
      }
      // Gradients add up in the parameters across the accumulated batches.
      if index == lastOwnBatch, allReduce.overlapsBackward {
        loss.backward(reporting: parameters) { allReduce.parameterCompleted($0) }
      } else {
        loss.backward()
      }
      totals.loss += batchTotals.loss
      totals.negativeLogLikelihood += batchTotals.negativeLogLikelihood
      totals.count += batchTotals.count
      sourceTokens += batch.sourceLengths.reduce(0, +)
    }
    var figures = [
      totals.loss, totals.negativeLogLikelihood, Double(totals.count), Double(sourceTokens),
    ]
    allReduce.finish(figures: &figures)
    if group.size > 1 {
      totals = CrossEntropyTotals(
        loss: figures[0], negativeLogLikelihood: figures[1], count: Int(figures[2]))
      sourceTokens = Int(figures[3])
    }
    // The totals are the same on every process after the sum, so all of them undo the step.
    guard totals.loss.isFinite else {
      undoStep()
      return TrainingStep(
        step: stepNumber, epoch: epoch, totals: totals, sourceTokens: sourceTokens,
        learningRate: schedule.exactRate(atStep: stepNumber), gradientNorm: nil,
        finishedEpoch: false, diverged: true)
    }
    // A finite loss can still have a gradient that overflowed: taken, it would put ∞ into
    // Adam's second moment (clipping off) or NaN into the weights (clipping scales by 0, and
    // 0·∞ is NaN). Measured once here, and handed to the update for its clipping.
    let norm = GradientClipping.globalNorm(parameters.map(\.gradient))
    guard norm.isFinite else {
      undoStep()
      return TrainingStep(
        step: stepNumber, epoch: epoch, totals: totals, sourceTokens: sourceTokens,
        learningRate: schedule.exactRate(atStep: stepNumber), gradientNorm: Double(norm),
        finishedEpoch: false, diverged: true)
    }
    let update = optimizer.update(
      parameters, step: stepNumber, schedule: schedule, clipNorm: Float(config.training.clipNorm),
      accumulatedBatches: accumulation, summedGradientNorm: norm)

    state.step = stepNumber
    state.position = batches.position
    state.dropoutGeneratorState = model.dropoutGenerator.state
    state.targetTokens += totals.count
    state.window.steps += 1
    state.window.loss += totals.loss
    state.window.negativeLogLikelihood += totals.negativeLogLikelihood
    state.window.targetTokens += totals.count
    return TrainingStep(
      step: stepNumber, epoch: epoch, totals: totals, sourceTokens: sourceTokens,
      learningRate: schedule.exactRate(atStep: stepNumber),
      gradientNorm: update.gradientNorm.map(Double.init),
      finishedEpoch: batches.position.epoch > epoch)
  }

  /// Drops the gradients of a step not taken and rewinds its batches and dropout stream: the
  /// state is that after the previous step.
  private func undoStep() {
    for parameter in parameters { parameter.zeroGradient() }
    batches = BatchIterator(planner: batches.planner, position: state.position)
    // Checked when the state was set: four words, not all zero.
    model.dropoutGenerator = RandomGenerator(state: state.dropoutGeneratorState)!
  }

  /// The dropout masks of batch `batch` (from 0, counted over every process) of step `step`:
  /// a generator seeded by the three, so that the process that computes a batch draws the same
  /// masks for it however many processes share the step.
  static func dropoutGenerator(seed: UInt64, step: Int, batch: Int) -> RandomGenerator {
    // Mixed through SplitMix64's output function, so neighbouring steps and batches get
    // unrelated streams.
    var stepStream = SplitMix64(seed: seed, stream: UInt64(step))
    var batchStream = SplitMix64(seed: stepStream.next(), stream: UInt64(batch))
    return RandomGenerator(seed: batchStream.next())
  }

  /// Adds `seconds` of wall time to the run's clock.
  public func addElapsed(_ seconds: Double) {
    state.elapsedSeconds += seconds
  }

  // MARK: Planning the steps

  /// The measurements of the plan (the warm-up) or, `sinceWarmUp`, of the re-plan.
  private func timingPath(sinceWarmUp: Bool) -> WritableKeyPath<TrainerState, StepTiming> {
    sinceWarmUp ? \.decayTiming : \.timing
  }

  /// Adds one measured step of `seconds` to the plan's measurements, or to the re-plan's
  /// (`sinceWarmUp`).
  public func recordStep(seconds: Double, sinceWarmUp: Bool = false) {
    let path = timingPath(sinceWarmUp: sinceWarmUp)
    state[keyPath: path].steps += 1
    state[keyPath: path].stepSeconds += seconds
  }

  /// Adds `seconds` of validation to the plan's measurements, or to the re-plan's
  /// (`sinceWarmUp`); `counting` is false for the checkpoint that follows a validation already
  /// counted.
  public func recordValidation(seconds: Double, counting: Bool, sinceWarmUp: Bool = false) {
    let path = timingPath(sinceWarmUp: sinceWarmUp)
    if counting {
      state[keyPath: path].validations += 1
      state[keyPath: path].lastValidationSeconds = 0
    }
    state[keyPath: path].validationSeconds += seconds
    state[keyPath: path].lastValidationSeconds += seconds
  }

  /// The plan's measurements (the re-plan's, `sinceWarmUp`) as every process agrees on them:
  /// their means over the processes, so that all plan the same step count. Identity in a
  /// one-process run.
  public func agreedTiming(sinceWarmUp: Bool = false) -> StepTiming {
    var timing = state[keyPath: timingPath(sinceWarmUp: sinceWarmUp)]
    guard group.size > 1 else { return timing }
    var figures = [timing.stepSeconds, timing.validationSeconds, timing.lastValidationSeconds]
    group.sum(&figures)
    timing.stepSeconds = figures[0] / Double(group.size)
    timing.validationSeconds = figures[1] / Double(group.size)
    timing.lastValidationSeconds = figures[2] / Double(group.size)
    return timing
  }

  /// Fixes `training.max_steps` at `steps`, the planned number: the config (and every
  /// checkpoint written from now on) holds the number, the linear schedule decays to 0 there,
  /// and the state keeps it for `--resume`.
  ///
  /// With `replan`, the count was re-planned: the linear decay bends there
  /// (`training.replanned`), and the state keeps the re-plan too.
  public func adopt(plannedSteps steps: Int, replan: DecayReplan? = nil) {
    config.training.maxSteps = .steps(steps)
    config.training.replanned = replan
    schedule = config.training.learningRateSchedule(modelWidth: config.model.modelWidth)
    state.plannedSteps = steps
    state.replan = replan
  }

  /// Whether any process asks to stop; also sets every process's clock to their mean, so that
  /// `max_time_minutes` ends them all at the same step. Identity in a one-process run.
  public func agree(stopRequested: Bool) -> Bool {
    guard group.size > 1 else { return stopRequested }
    var figures = [stopRequested ? 1 : 0, state.elapsedSeconds]
    group.sum(&figures)
    state.elapsedSeconds = figures[1] / Double(group.size)
    return figures[0] > 0
  }

  /// The figures of the log interval that ends now, and a fresh interval.
  public func closeWindow() -> TrainingWindow {
    let window = state.window
    state.window = TrainingWindow()
    return window
  }

  // MARK: Validation

  /// Measures the model on `validation` (BLEU when `training.valid_bleu`), records the result
  /// as the best when it is, and counts validations without improvement.
  ///
  /// - Parameter bleuLimit: translate only the first this many sentences for BLEU.
  /// - Returns: the result, and whether it is the new best.
  public func validate(on validation: ValidationSet, bleuLimit: Int? = nil)
    -> (result: ValidationResult, isBest: Bool)
  {
    let result = validation.evaluate(
      model, vocabulary: vocabulary, step: state.step, withBLEU: config.training.validationBLEU,
      bleuLimit: bleuLimit)
    let isBest = state.best.map { result.isBetter(than: $0) } ?? true
    if isBest {
      state.best = result
      state.validationsWithoutImprovement = 0
    } else {
      state.validationsWithoutImprovement += 1
    }
    state.lastValidation = result
    return (result, isBest)
  }

  /// Forgets the best validation and the validations without improvement, so that the next
  /// validation is the best (`--reset-best`: a resumed run validating on other files).
  public func resetBest() {
    state.best = nil
    state.validationsWithoutImprovement = 0
  }

  /// Records which validation files the scores from now on are measured on
  /// (``ValidationSet/fingerprint``), for a later resume to compare.
  public func measureValidation(on fingerprint: UInt64) {
    state.validationFingerprint = fingerprint
  }

  // MARK: Checkpoints

  /// Writes a complete checkpoint (with the optimiser and trainer state) into `directory`.
  public func writeCheckpoint(into directory: String) throws(TrainingError) {
    try checkpointing(
      try Checkpoint.write(
        into: directory, model: model, config: config, vocabulary: vocabulary,
        trainer: TrainerCheckpointFile.file(state: state, optimizer: optimizer)))
  }

  /// Continues from the checkpoint in `directory`: its weights, optimiser moments, dropout
  /// generator, batch position and trainer state replace this trainer's.
  ///
  /// - Throws: ``TrainingError/damagedCheckpoint(path:reason:)`` for a missing, truncated,
  ///   non-finite or foreign file; ``TrainingError/mismatchedCheckpoint(path:reason:)`` when the
  ///   weights are of another architecture or the batches of another corpus;
  ///   ``TrainingError/checkpoint(_:)`` when the checkpoint's config.json and weights disagree.
  ///   Nothing changes on error.
  public func restore(from directory: String) throws(TrainingError) {
    // The weights first: a model of another configuration is named as such, not taken for a
    // damaged trainer state when its moments have other shapes, or for other batches.
    let weights = try checkpointing(
      try Checkpoint.weights(
        for: model, in: directory,
        modelName: "the run's model (its config with the checkpoint's BPE model)"))
    let trainerPath = CheckpointStore.join(directory, TrainerCheckpointFile.fileName)
    var restoredOptimizer = optimizer
    let restored = try TrainerCheckpointFile.read(from: trainerPath, into: &restoredOptimizer)
    guard restored.batchFingerprint == state.batchFingerprint else {
      throw .mismatchedCheckpoint(
        path: trainerPath,
        reason: "it was trained on other batches (the training files, data.vocab_size, "
          + "data.max_length, training.batch_tokens or training.seed changed), so its position "
          + "\(restored.position) would not continue the same run")
    }
    // The iterator would quietly move a position past its epoch to the next one.
    let batchCount = batches.planner.plan(epoch: restored.position.epoch).count
    guard restored.position.batchIndex < batchCount else {
      throw .damagedCheckpoint(
        path: trainerPath,
        reason: "its trainer state's \"position.batchIndex\" is "
          + "\(restored.position.batchIndex), but epoch \(restored.position.epoch) has "
          + "\(batchCount) batches (0...\(batchCount - 1))")
    }
    guard restoredOptimizer.stepCount == restored.step else {
      throw .damagedCheckpoint(
        path: trainerPath,
        reason: "Adam has taken \(restoredOptimizer.stepCount) steps but the trainer "
          + "\(restored.step)")
    }
    model.assign(weights)
    optimizer = restoredOptimizer
    state = restored
    // Checked by the reader: four words, not all zero.
    model.dropoutGenerator = RandomGenerator(state: restored.dropoutGeneratorState)!
    batches = BatchIterator(planner: batches.planner, position: restored.position)
  }
}

/// What one optimiser step did.
public struct TrainingStep: Sendable, Equatable {
  /// The step's number, from 1.
  public var step: Int
  /// The epoch (from 0) of the step's last batch.
  public var epoch: Int
  /// The summed loss totals of the step's batches.
  public var totals: CrossEntropyTotals
  /// Source tokens in the step's batches, `</s>` included, padding not.
  public var sourceTokens: Int
  /// The learning rate the step used.
  public var learningRate: Double
  /// The global norm of the averaged gradient before clipping (∞ or NaN in a diverged step);
  /// nil when not measured.
  public var gradientNorm: Double?
  /// Whether the step used the last batch of an epoch.
  public var finishedEpoch: Bool
  /// Whether the loss or the gradient was not finite, so that the step was not taken
  /// (``Trainer/step(abandoningIf:)``).
  public var diverged = false

  /// The mean label-smoothed loss per target token.
  public var loss: Double { totals.loss / Double(max(totals.count, 1)) }
}
