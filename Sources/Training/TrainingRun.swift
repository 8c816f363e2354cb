import Checkpoints
import Config
import Data
import Distributed
import Foundation
import NN
import Support
import Tokenizer

/// One training run from its config to its checkpoints: what `transformer-cli train` does.
///
/// Setting up (``init(config:resume:report:)``) learns the BPE model (or reads it from the
/// checkpoint when resuming), reads the corpora, builds the ``Trainer`` and, when resuming,
/// restores it from `last/`. ``run(shouldStop:)`` then trains until a limit is reached
/// (`max_steps`, `max_epochs`, `max_time_minutes`, `patience`) or `shouldStop` says so:
///
/// - every `log_every` steps a line goes to `metrics.jsonl`;
/// - with `max_steps: "auto"`, at the end of the warm-up the steps that fit `max_time_minutes`
///   are planned (``StepPlan``) from the measured seconds of a step and of a validation, and
///   fixed: the number goes into `config.json`, the checkpoints and the state (for `--resume`),
///   a line into `metrics.jsonl`, and the linear schedule decays to 0 there; halfway through
///   the decay (or earlier, when the first plan would overrun the budget) the count is
///   re-planned once from the speed since the warm-up (``StepReplan``),
///   recorded the same way, and the decay bends there towards the new count;
/// - every `valid_every` steps (0: at the end of each epoch) the model is validated and a
///   checkpoint installed as `last/`, as `best/` when the validation is the best so far, and
///   as `checkpoints/step-…/`, of which the newest `keep_last_checkpoints` are kept;
/// - at the end the model is validated once more unless the last step just was, and the best
///   checkpoint translates the test set (`data.test_source`, if set) for its BLEU;
/// - on interruption `last/` is saved without validating, so that `--resume` continues from it.
///
/// Progress goes to the `report` closure as ``TrainingEvent``s; nothing is printed.
///
/// In a data-parallel run every process (``ProcessGroup``) runs this with the same config;
/// only rank 0 writes files (the vocabulary, `config.json`, metrics, checkpoints, the test
/// translations). They agree before each step on whether to stop and on the clock, so every
/// process stops at the same step, and each validates (the same weights give the same result)
/// so that `patience` and `best/` are decided alike.
public final class TrainingRun {
  /// The config the run trains with; after a `max_steps: "auto"` plan, with the planned number.
  public private(set) var config: RunConfig
  /// The run's checkpoint directories.
  public let store: CheckpointStore
  /// The model, optimiser and state.
  public let trainer: Trainer
  /// The validation corpus.
  public let validation: ValidationSet
  /// `metrics.jsonl`.
  public let metrics: MetricsLog
  /// Translate only the first this many validation sentences for BLEU; nil for all.
  public var bleuSentenceLimit: Int?
  /// Where the run is recorded as the latest (``TrainingRunPointer``): `runs` of the current
  /// directory; nil records nothing.
  public var pointerDirectory: String? = TrainingRunPointer.defaultRunsDirectory
  /// The clock the run's time (and so `max_time_minutes` and the step plan) is measured on, in
  /// seconds from any origin; tests replace it.
  public var clock: () -> Double = TrainingRun.monotonicSeconds
  private let report: (TrainingEvent) -> Void
  private let group: ProcessGroup
  /// Whether the run plans its steps: `max_steps` was `"auto"` as given, before the plan
  /// replaced it with the number (a run resumed with a numbered `max_steps` never re-plans).
  private let plansSteps: Bool
  /// The test set (`data.test_source`), read with the other splits so that a bad file is
  /// reported before training rather than after it; nil without one.
  private let testSet: ValidationSet?
  /// The lock on `output.dir`; nil on the ranks other than 0 of an MPI run.
  private let lock: TrainingRunLock?

  /// Prepares a run: a fresh one in `output.dir`, or, with `resume`, the continuation of the
  /// run whose `last/` checkpoint is there.
  ///
  /// Every corpus file is read and checked first, and the run's files are written only once the
  /// model is built, so that a failure leaves `output.dir` as it was (a directory this run made
  /// is removed again). The directory is locked (``TrainingRunLock``) until the run is released
  /// or ``releaseLock()`` is called.
  ///
  /// - Parameters:
  ///   - resetBest: with `resume`, forget the checkpoint's best validation (and the validations
  ///     without improvement), as a run resumed on other validation files must.
  ///   - group: the processes training together; only rank 0 writes (and locks).
  ///   - alsoWriting: the names of files the caller writes into `output.dir` after the run
  ///     (`summary.json`), checked with the run's own before anything is trained.
  /// - Throws: ``TrainingError``: a fresh run into a directory that holds checkpoints, a
  ///   directory another run holds, nothing to resume, a damaged or mismatched checkpoint, a
  ///   best score whose `best/` is gone without `resetBest`, other validation files without
  ///   `resetBest`, unreadable corpora, unwritable files.
  public init(
    config: RunConfig, resume: Bool, resetBest: Bool = false,
    report: @escaping (TrainingEvent) -> Void = { _ in }, group: ProcessGroup = .single,
    alsoWriting: [String] = []
  ) throws(TrainingError) {
    self.config = config
    self.report = report
    self.group = group
    plansSteps = config.training.maxSteps == .auto
    let directory = config.output.directory
    store = CheckpointStore(directory: directory)
    metrics = MetricsLog(directory: directory)
    let splits = try TrainingRunSplits(data: config.data, outputDirectory: directory)
    // Rank 0 makes and locks the directory (finishing an interrupted install when resuming)
    // before any rank reads it; every rank learns whether it could.
    var prepared: (lock: TrainingRunLock, directory: TrainingRunDirectory?)?
    var failure: TrainingError?
    if group.isPrimary {
      do {
        prepared = try Self.prepare(
          store, resume: resume, outputFiles: Self.outputFiles(of: config) + alsoWriting)
      } catch {
        failure = error
      }
    }
    if group.any(failure != nil) { throw failure ?? .primaryFailed }
    lock = prepared?.lock
    do throws(TrainingError) {
      let clock = ContinuousClock()
      let start = clock.now
      let vocabulary: TrainingVocabulary
      var resumedBest: ValidationResult?
      if resume {
        guard FileManager.default.fileExists(atPath: store.lastPath) else {
          throw .nothingToResume(directory: directory)
        }
        // A finished run stays as it is: no second test decoding, no duplicate metrics line.
        let saved = try TrainerCheckpointFile.state(
          at: CheckpointStore.join(store.lastPath, TrainerCheckpointFile.fileName))
        try Self.checkResumable(
          config: config, checkpoint: store.lastPath, best: resetBest ? nil : saved.best,
          report: report)
        if let reason = Self.limitReached(config.training, state: saved) {
          throw .nothingToDo(directory: directory, step: saved.step, reason: reason)
        }
        resumedBest = saved.best
        vocabulary = try tokenizing(
          try TrainingVocabulary(
            contentsOf: store.lastPath, isJoint: config.data.jointVocabulary))
      } else {
        vocabulary = try TrainingVocabulary.learn(
          from: config.data, sourceLines: splits.train.sourceLines,
          targetLines: splits.train.targetLines)
      }
      report(
        .vocabulary(
          pieces: vocabulary.modelVocabularySize, learned: !resume,
          seconds: Self.seconds(start.duration(to: clock.now))))

      let corpus: ParallelCorpus
      do {
        corpus = try ParallelCorpus(
          sourceLines: splits.train.sourceLines, targetLines: splits.train.targetLines,
          sourcePath: splits.train.sourcePath, targetPath: splits.train.targetPath,
          sourceModel: vocabulary.source, targetModel: vocabulary.target,
          maxLength: config.data.maxLength)
      } catch {
        throw .corpus(error)
      }
      report(.corpus(name: "train", statistics: corpus.statistics))
      validation = try Self.heldOut(splits.valid, vocabulary: vocabulary, config: config)
      report(.corpus(name: "valid", statistics: validation.corpus.statistics))
      testSet = try splits.test.map { (split) throws(TrainingError) in
        try Self.heldOut(split, vocabulary: vocabulary, config: config)
      }

      trainer = try Trainer(config: config, vocabulary: vocabulary, corpus: corpus, group: group)
      report(
        .model(
          parameterCount: trainer.parameterCount,
          vocabularySize: vocabulary.modelVocabularySize,
          batchesPerEpoch: trainer.batchesInEpoch()))
      let validationFingerprint = validation.fingerprint
      if resume {
        try trainer.restore(from: store.lastPath)
        // Found now rather than when the test set is translated with it, after training (and
        // after last/, which may share its files).
        if !resetBest, let best = resumedBest {
          try Self.checkBest(store.bestPath, model: trainer.model, best: Self.describe(best))
        }
        // Files rewritten in place keep their names, which the config comparison saw.
        if !resetBest, let best = trainer.state.best,
          let saved = trainer.state.validationFingerprint, saved != validationFingerprint
        {
          throw .validationChanged(
            checkpoint: store.lastPath,
            changes: [
              "the lines of data.valid_source or data.valid_target changed since it was saved"
            ],
            best: Self.describe(best))
        }
      }
      // Written once every check has passed: a refused resume leaves the directory as it was.
      if group.isPrimary {
        try tokenizing(try vocabulary.save(in: directory))
        do {
          try config.write(to: store.path(Checkpoint.configFileName))
        } catch {
          throw .config(error)
        }
      }
      if resume {
        if group.isPrimary { try metrics.truncate(afterStep: trainer.state.step) }
        report(.resumed(step: trainer.state.step, position: trainer.state.position))
        let ahead = store.steps(after: trainer.state.step)
        if group.isPrimary, !ahead.isEmpty {
          report(.warning(Self.aheadWarning(ahead, step: trainer.state.step)))
        }
        if resetBest, let best = resumedBest {
          trainer.resetBest()
          report(
            .warning(
              "--reset-best: the best score so far (\(Self.describe(best))) is forgotten; the "
                + "next validation becomes best/"))
        }
        // An "auto" run continues with the number it planned (and its re-plan, if made).
        if config.training.maxSteps == .auto, let planned = trainer.state.plannedSteps {
          trainer.adopt(plannedSteps: planned, replan: trainer.state.replan)
          self.config = trainer.config
          if group.isPrimary {
            do {
              try self.config.write(to: store.path(Checkpoint.configFileName))
            } catch {
              throw .config(error)
            }
          }
          report(.resumedPlan(steps: planned))
        }
      } else if group.isPrimary {
        try metrics.reset()
      }
      trainer.measureValidation(on: validationFingerprint)
    } catch {
      // Nothing of a run that could not start is kept in a directory it made, nor its lock
      // file in one it found.
      if let made = prepared?.directory, made.made.isEmpty { prepared?.lock.discard() }
      prepared?.directory?.remove()
      throw error
    }
  }

  /// Releases the lock on `output.dir` (``TrainingRunLock``), after the last file is written:
  /// another run may start there. Releasing the run does it too.
  public func releaseLock() {
    lock?.release()
  }

  /// Makes (fresh) and locks the run directory, refuses one holding an earlier run's
  /// checkpoints, and clears what a crashed run left; rank 0's part of setting up.
  ///
  /// - Returns: the lock, and for a fresh run the directory as made.
  private static func prepare(_ store: CheckpointStore, resume: Bool, outputFiles: [String])
    throws(TrainingError) -> (lock: TrainingRunLock, directory: TrainingRunDirectory?)
  {
    let directory = store.directory
    if resume {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory),
        isDirectory.boolValue
      else { throw .nothingToResume(directory: directory) }
      let lock = try TrainingRunLock(directory: directory)
      // Finishes an interrupted install before any rank reads last/.
      try checkpointing(try store.recover())
      try checkOutputFiles(outputFiles, in: store)
      return (lock, nil)
    }
    let made = try TrainingRunDirectory(path: directory)
    let lock: TrainingRunLock
    do {
      lock = try TrainingRunLock(directory: directory)
    } catch {
      // Another run may have locked the directory this one just made: leave it when not empty.
      made.removeIfEmpty()
      throw error
    }
    // Checked under the lock: a run started at the same moment cannot have written any yet.
    if store.holdsCheckpoints { throw .runExists(directory: directory) }
    do throws(TrainingError) {
      try checkOutputFiles(outputFiles, in: store)
    } catch {
      if made.made.isEmpty { lock.discard() }
      made.remove()
      throw error
    }
    try checkpointing(try store.removeStaging())
    return (lock, made)
  }

  /// The names of the files a run with `config` writes into `output.dir` besides its
  /// checkpoints, the config and the vocabulary (which are written while setting up).
  static func outputFiles(of config: RunConfig) -> [String] {
    [MetricsLog.fileName] + (config.data.testSource.isEmpty ? [] : [testTranslationsFileName])
  }

  /// Throws when one of the files `names` in the run directory is something a file written
  /// aside and renamed cannot replace (a directory, a symbolic link, a device), so that the
  /// run is refused before training rather than failing at its end.
  private static func checkOutputFiles(_ names: [String], in store: CheckpointStore)
    throws(TrainingError)
  {
    for name in names {
      let path = store.path(name)
      if let problem = AtomicFile.replacementProblem(path) {
        throw .cannotWrite(
          path: path, reason: "\(problem); the run writes this file, so remove or rename it")
      }
    }
  }

  /// Throws unless the checkpoint `path` (`best/`), which the trainer state says holds the best
  /// score (`best` describes it), loads into `model`: the test set is translated with it at
  /// the end, and a run without it could never make a new one.
  private static func checkBest(_ path: String, model: Transformer, best: String)
    throws(TrainingError)
  {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
      isDirectory.boolValue
    else {
      throw .bestUnusable(path: path, reason: "the directory is missing", best: best)
    }
    do {
      _ = try Checkpoint.weights(for: model, in: path)
    } catch {
      switch error {
      case .damaged(let file, let reason), .mismatched(let file, let reason):
        // The message names the file first; the reason need not again.
        throw .bestUnusable(
          path: file, reason: CheckpointDirectoryError.reason(reason, path: file), best: best)
      default:
        throw .checkpoint(error)
      }
    }
  }

  /// The warning about the step checkpoints `ahead` of the resumed `step`.
  private static func aheadWarning(_ ahead: [String], step: Int) -> String {
    "\(CheckpointStore.listed(ahead)) \(ahead.count == 1 ? "is" : "are") of a later step than "
      + "last/ (step \(step)), left from a later state of the run: "
      + "training.keep_last_checkpoints does not count \(ahead.count == 1 ? "it" : "them"), "
      + "'average --last' leaves \(ahead.count == 1 ? "it" : "them") out, and the run replaces "
      + "\(ahead.count == 1 ? "it" : "each") when it reaches that step; remove "
      + "\(ahead.count == 1 ? "it" : "them") if not wanted"
  }

  /// The held-out set of `split` (validation or test), split with `vocabulary`.
  private static func heldOut(
    _ split: TrainingRunSplits.Split, vocabulary: TrainingVocabulary, config: RunConfig
  ) throws(TrainingError) -> ValidationSet {
    try ValidationSet(
      sourceLines: split.sourceLines, targetLines: split.targetLines,
      sourcePath: split.sourcePath, targetPath: split.targetPath, vocabulary: vocabulary,
      maxLength: config.data.maxLength, batchTokens: config.training.batchTokens)
  }

  /// "step 3, valid loss 4.79" (with the BLEU when measured), for messages.
  private static func describe(_ result: ValidationResult) -> String {
    let loss = "valid loss \(String(format: "%.2f", result.loss))"
    guard let bleu = result.bleu else { return "step \(result.step), \(loss)" }
    return "step \(result.step), valid BLEU \(String(format: "%.2f", bleu)), \(loss)"
  }

  /// Refuses a checkpoint whose config differs in what the weights or vocabulary depend on,
  /// and warns about other differences that make the resumed run differ.
  ///
  /// - Parameter best: the checkpoint's best validation, which other validation files would
  ///   make incomparable (nil when there is none, or it is to be forgotten).
  private static func checkResumable(
    config: RunConfig, checkpoint: String, best: ValidationResult?,
    report: (TrainingEvent) -> Void
  ) throws(TrainingError) {
    let saved = try checkpointing(try Checkpoint.config(in: checkpoint))
    let (fixed, warned) = TrainingResumeCheck.differences(saved: saved, current: config)
    if !fixed.isEmpty {
      throw .mismatchedCheckpoint(
        path: checkpoint,
        reason: "the checkpoint's config differs in \(fixed.joined(separator: ", "))")
    }
    let validation = TrainingResumeCheck.validationChanges(saved: saved, current: config)
    if let best, !validation.isEmpty {
      throw .validationChanged(checkpoint: checkpoint, changes: validation, best: describe(best))
    }
    for kept in TrainingResumeCheck.kept(saved: saved, current: config) {
      report(
        .warning(
          "\(kept) has no effect on resume: the checkpoint's vocabulary is kept (train afresh "
            + "in another output.dir for a new one)"))
    }
    if !warned.isEmpty {
      report(
        .warning(
          "resuming with changed settings (\(warned.joined(separator: ", "))): the run will "
            + "differ from an uninterrupted one"))
    }
  }

  // MARK: Training

  /// Trains until a limit is reached or `shouldStop` returns true (it is asked before each
  /// step, and in a single process between a step's accumulated batches too, which abandons
  /// the step), then validates and saves.
  public func run(shouldStop: () -> Bool = { false }) throws(TrainingError) -> TrainingSummary {
    var training = config.training
    var mark = clock()
    // Adds the time since the last call to the run's clock.
    func tick() {
      let now = clock()
      trainer.addElapsed(now - mark)
      mark = now
    }
    // A run resumed after its warm-up (or at the re-plan) from a checkpoint saved just before
    // the plan (or the re-plan).
    try planIfDue(tick: tick)
    try replanIfDue()
    training = config.training
    // The run's clock at the end of the previous step (and its validation), from which the
    // next step is measured.
    var stepBegan = trainer.state.elapsedSeconds
    // Target tokens and seconds spent in steps since the last log line, for tokens/s.
    var windowTokens = 0
    var windowSeconds = 0.0
    var learningRate = 0.0
    let firstStep = trainer.state.step
    var reason: TrainingStopReason?
    while true {
      // One agreement per step: a signal to any process stops all, and the time limit is
      // judged on the same clock everywhere.
      let stopRequested = trainer.agree(stopRequested: shouldStop())
      reason = limitReached()
      if reason != nil { break }
      if stopRequested {
        reason = .interrupted
        break
      }
      let stepStart = clock()
      guard let step = trainer.step(abandoningIf: shouldStop) else {
        reason = .interrupted
        break
      }
      // Going on would only train NaN weights; what was saved before stays usable.
      if step.diverged { throw .diverged(step: step.step, loss: step.loss) }
      windowSeconds += clock() - stepStart
      windowTokens += step.totals.count
      learningRate = step.learningRate
      tick()
      let tokensPerSecond = windowSeconds > 0 ? Double(windowTokens) / windowSeconds : 0
      // The interval's figures over `window`: the open one after each step, the closed one
      // at a log line.
      func figures(_ window: TrainingWindow) -> TrainingLogEntry {
        TrainingLogEntry(
          step: step.step, epoch: step.epoch + 1, loss: window.meanLoss,
          perplexity: window.perplexity, learningRate: learningRate,
          tokensPerSecond: tokensPerSecond, elapsedSeconds: trainer.state.elapsedSeconds)
      }
      report(
        .step(
          TrainingProgress(
            figures: figures(trainer.state.window), remainingSeconds: remainingSeconds(),
            maxSteps: training.maxSteps.fixedSteps ?? 0)))
      if step.step % training.logInterval == 0 {
        let entry = figures(trainer.closeWindow())
        if group.isPrimary { try metrics.append(MetricsLog.line(for: entry)) }
        report(.log(entry))
        (windowTokens, windowSeconds) = (0, 0)
      }
      // The step's time: from the end of the previous one, its report and log line included.
      tick()
      let measured = measurement(step: step.step)
      if let measured {
        trainer.recordStep(
          seconds: trainer.state.elapsedSeconds - stepBegan, sinceWarmUp: measured == .sinceWarmUp)
      }
      let validationDue =
        training.validationInterval > 0
        ? step.step % training.validationInterval == 0 : step.finishedEpoch
      if validationDue {
        // A stop request skips the validation, so that Ctrl-C is answered promptly.
        if group.any(shouldStop()) {
          reason = .interrupted
          break
        }
        try validateAndSave(tick: tick, measured: measured)
      }
      if try planIfDue(tick: tick) { training = config.training }
      if try replanIfDue() { training = config.training }
      stepBegan = trainer.state.elapsedSeconds
    }
    let stoppedAt = trainer.state.elapsedSeconds
    let stopReason = reason ?? .interrupted
    report(.stopping(stopReason))
    var test: (bleu: Double, path: String)?
    if stopReason == .interrupted {
      // No step in this session: last/ (if any) already holds this state.
      if trainer.state.step > firstStep { try save(isBest: false, keepingStep: false) }
    } else {
      if trainer.state.lastValidation?.step != trainer.state.step {
        try validateAndSave(tick: tick)
      }
      if let testSet, group.isPrimary { test = try scoreTestSet(testSet) }
    }
    tick()
    var summary = summary(stopReason)
    summary.stoppedAtSeconds = stoppedAt
    summary.testBLEU = test?.bleu
    summary.testTranslationsPath = test?.path
    return summary
  }

  /// The file the test set's translations are written to.
  public static let testTranslationsFileName = "test-best-greedy.txt"
  /// The finished run's figures in `output.dir` (written by the command line, listed here with
  /// the run's other files so that no data file can be one of them).
  public static let summaryFileName = "summary.json"

  /// Translates the test set greedily with the best checkpoint, writes the translations beside
  /// the checkpoints and logs the BLEU.
  private func scoreTestSet(_ test: ValidationSet) throws(TrainingError)
    -> (bleu: Double, path: String)
  {
    report(.testing(sentences: test.sourceLines.count))
    var model = trainer.model
    var step = trainer.state.step
    if let best = trainer.state.best, best.step != step {
      model = Transformer(configuration: trainer.model.configuration, seed: 0)
      try checkpointing(try Checkpoint.loadWeights(into: model, from: store.bestPath))
      step = best.step
    }
    let translations = test.translations(by: model, vocabulary: trainer.vocabulary)
    let bleu = test.score(translations)
    let path = store.path(Self.testTranslationsFileName)
    do {
      try Data(translations.map { $0 + "\n" }.joined().utf8).write(
        to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
      throw .cannotWrite(path: path, reason: (error as NSError).localizedDescription)
    }
    try metrics.append(MetricsLog.testLine(step: step, bleu: bleu))
    report(.test(bleu: bleu, step: step, translationsPath: path))
    return (bleu, path)
  }

  /// The limit that has been reached, if any.
  private func limitReached() -> TrainingStopReason? {
    Self.limitReached(config.training, state: trainer.state)
  }

  /// The limit of `training` that a run in `state` has reached, if any.
  static func limitReached(_ training: TrainingConfig, state: TrainerState)
    -> TrainingStopReason?
  {
    // An "auto" limit is the plan once made (a resumed run's config still says "auto").
    let maxSteps = training.maxSteps.fixedSteps ?? state.plannedSteps ?? 0
    if maxSteps > 0, state.step >= maxSteps {
      return .maxSteps(maxSteps)
    }
    if training.maxEpochs > 0, state.position.epoch >= training.maxEpochs {
      return .maxEpochs(training.maxEpochs)
    }
    if training.maxTimeMinutes > 0, state.elapsedSeconds >= training.maxTimeMinutes * 60 {
      return .maxTime(minutes: training.maxTimeMinutes)
    }
    if training.patience > 0, state.validationsWithoutImprovement >= training.patience {
      return .patience(training.patience)
    }
    return nil
  }

  /// Seconds until the nearest limit, extrapolated from the time so far.
  private func remainingSeconds() -> Double? {
    let training = config.training
    let state = trainer.state
    var done: [Double] = []
    if let maxSteps = training.maxSteps.fixedSteps, maxSteps > 0 {
      done.append(Double(state.step) / Double(maxSteps))
    }
    if training.maxEpochs > 0 {
      let batches = Double(max(trainer.batchesInEpoch(), 1))
      let epochs = Double(state.position.epoch) + Double(state.position.batchIndex) / batches
      done.append(epochs / Double(training.maxEpochs))
    }
    if training.maxTimeMinutes > 0 {
      done.append(state.elapsedSeconds / (training.maxTimeMinutes * 60))
    }
    guard let fraction = done.max(), fraction > 0 else { return nil }
    return max(0, state.elapsedSeconds * (1 - fraction) / fraction)
  }

  /// Validates, logs the result and installs a checkpoint (`best/` too when it is the best).
  ///
  /// - Parameter measured: the measurements the validation's time counts towards (the step
  ///   plan's or the re-plan's), if any. The validation is recorded before the checkpoint, so
  ///   that a resumed run has it; the saving time is added after.
  private func validateAndSave(tick: () -> Void, measured: Measurement? = nil)
    throws(TrainingError)
  {
    let began = trainer.state.elapsedSeconds
    report(.validating(step: trainer.state.step))
    let (result, isBest) = trainer.validate(on: validation, bleuLimit: bleuSentenceLimit)
    tick()
    if group.isPrimary { try metrics.append(MetricsLog.line(for: result)) }
    report(.validation(result, isBest: isBest))
    let validated = trainer.state.elapsedSeconds
    if let measured {
      trainer.recordValidation(
        seconds: validated - began, counting: true, sinceWarmUp: measured == .sinceWarmUp)
    }
    try save(isBest: isBest, keepingStep: true)
    tick()
    if let measured {
      trainer.recordValidation(
        seconds: trainer.state.elapsedSeconds - validated, counting: false,
        sinceWarmUp: measured == .sinceWarmUp)
    }
  }

  // MARK: Planning the steps

  /// The measurements of a `max_steps: "auto"` run a step's time goes into.
  enum Measurement {
    /// The plan's, still to be made: the warm-up after its first fifth.
    case warmUp
    /// The re-plan's, still to be made: the steps since the warm-up.
    case sinceWarmUp
  }

  /// What `step` is measured for: the plan still to be made (a step of the warm-up after its
  /// first fifth), the re-plan still to be made (a step after the warm-up, up to the re-plan's),
  /// or nothing.
  private func measurement(step: Int) -> Measurement? {
    guard plansSteps else { return nil }
    let warmupSteps = config.training.warmupSteps
    guard let planned = trainer.state.plannedSteps else {
      let measured =
        step >= StepTiming.firstMeasuredStep(warmupSteps: warmupSteps) && step <= warmupSteps
      return measured ? .warmUp : nil
    }
    guard trainer.state.replan == nil, step > warmupSteps,
      let replanStep = StepReplan.step(warmupSteps: warmupSteps, firstTotalSteps: planned),
      step <= replanStep
    else { return nil }
    return .sinceWarmUp
  }

  /// Plans `max_steps: "auto"` when the warm-up has ended and no plan is made yet: fixes the
  /// number in the trainer, writes it into `config.json` and `metrics.jsonl` and reports it.
  ///
  /// ``replanIfDue()`` re-plans it once, halfway through the decay or earlier when behind.
  ///
  /// - Returns: whether a plan was made.
  @discardableResult
  private func planIfDue(tick: () -> Void) throws(TrainingError) -> Bool {
    let training = config.training
    guard plansSteps, trainer.state.plannedSteps == nil,
      trainer.state.step >= training.warmupSteps
    else { return false }
    // Every process plans from the same figures: the mean clock and the mean measurements.
    _ = trainer.agree(stopRequested: false)
    var timing = trainer.agreedTiming()
    if timing.steps > 0, timing.validations == 0 {
      // Interrupted at the end of the warm-up before its validation: measure one now.
      try validateAndSave(tick: tick, measured: .warmUp)
      _ = trainer.agree(stopRequested: false)
      timing = trainer.agreedTiming()
    }
    guard timing.steps > 0, timing.validations > 0 else {
      throw .unsupported(
        path: "training.max_steps",
        message: "\"auto\" has nothing to plan from: the run is at step "
          + "\(trainer.state.step), past training.warmup_steps (\(training.warmupSteps)), and its "
          + "checkpoint holds no plan or measurements (it was started with a fixed max_steps); "
          + "give max_steps a number")
    }
    let plan = StepPlan(
      budgetSeconds: training.maxTimeMinutes * 60, elapsedSeconds: trainer.state.elapsedSeconds,
      stepsDone: trainer.state.step, secondsPerStep: timing.secondsPerStep,
      secondsPerValidation: timing.secondsPerValidation,
      validationInterval: training.validationInterval)
    trainer.adopt(plannedSteps: plan.totalSteps)
    config = trainer.config
    if group.isPrimary {
      do {
        try config.write(to: store.path(Checkpoint.configFileName))
      } catch {
        throw .config(error)
      }
      try metrics.append(MetricsLog.line(for: plan))
    }
    report(.planned(plan, timing: timing))
    return true
  }

  /// Re-plans `max_steps: "auto"` once, after the midpoint of the first plan's decay, or at an
  /// earlier tenth of it when the first plan would overrun the budget (``StepReplan``), from
  /// the mean step time since the warm-up, the latest validation's time and the clock: fixes
  /// the new count and the bend of the decay in the trainer, writes them into `config.json`
  /// and `metrics.jsonl` and reports them.
  ///
  /// A run resumed before that step re-plans there as an uninterrupted one does; one resumed
  /// from a checkpoint that holds no measurements since the warm-up (written before the re-plan
  /// existed) keeps its first plan.
  ///
  /// - Returns: whether the count was re-planned.
  @discardableResult
  private func replanIfDue() throws(TrainingError) -> Bool {
    let training = config.training
    let step = trainer.state.step
    guard plansSteps, trainer.state.replan == nil, let first = trainer.state.plannedSteps,
      let midpoint = StepReplan.step(warmupSteps: training.warmupSteps, firstTotalSteps: first),
      trainer.state.decayTiming.steps > 0
    else { return false }
    let atMidpoint = step >= midpoint
    guard
      atMidpoint
        || StepReplan.isEarlyCheck(
          step: step, warmupSteps: training.warmupSteps, firstTotalSteps: first)
    else { return false }
    // Every process re-plans from the same figures, as for the plan (and decides to re-plan
    // early from them, so that all do or none does).
    _ = trainer.agree(stopRequested: false)
    let timing = trainer.agreedTiming(sinceWarmUp: true)
    let warmUp = trainer.agreedTiming()
    // The latest validation: since the warm-up when one fell there, else the warm-up's last.
    let validationSeconds =
      timing.validations > 0 ? timing.secondsPerValidation : warmUp.secondsPerValidation
    let budget = training.maxTimeMinutes * 60
    let elapsed = trainer.state.elapsedSeconds
    var trigger = StepReplan.Trigger.midpoint
    if !atMidpoint {
      let fraction = StepReplan.firstPlanFraction(
        firstTotalSteps: first, budgetSeconds: budget, elapsedSeconds: elapsed, stepsDone: step,
        secondsPerStep: timing.secondsPerStep, secondsPerValidation: validationSeconds,
        validationInterval: training.validationInterval)
      guard fraction > 1 else { return false }
      trigger = .behind(firstPlanFraction: fraction)
    }
    let replan = StepReplan(
      firstTotalSteps: first, budgetSeconds: budget, elapsedSeconds: elapsed, stepsDone: step,
      secondsPerStep: timing.secondsPerStep, secondsPerValidation: validationSeconds,
      validationInterval: training.validationInterval, trigger: trigger)
    trainer.adopt(plannedSteps: replan.totalSteps, replan: replan.replan)
    config = trainer.config
    if group.isPrimary {
      do {
        try config.write(to: store.path(Checkpoint.configFileName))
      } catch {
        throw .config(error)
      }
      try metrics.append(MetricsLog.line(for: replan))
    }
    report(.replanned(replan, timing: timing, warmUp: warmUp))
    return true
  }

  /// Writes a checkpoint and installs it as `last/` (and `best/`, and a step checkpoint).
  private func save(isBest: Bool, keepingStep: Bool) throws(TrainingError) {
    guard group.isPrimary else { return }
    let staging = try checkpointing(try store.makeStaging())
    try trainer.writeCheckpoint(into: staging)
    try checkpointing(try store.install(staging, as: CheckpointStore.lastName))
    if isBest { try checkpointing(try store.install(staging, as: CheckpointStore.bestName)) }
    if keepingStep {
      try checkpointing(
        try store.keepStep(
          trainer.state.step, from: staging, excluding: [TrainerCheckpointFile.fileName],
          keep: config.training.keptCheckpointCount))
    } else {
      try checkpointing(try store.discard(staging))
    }
    if let pointerDirectory {
      try TrainingRunPointer.record(runDirectory: config.output.directory, in: pointerDirectory)
    }
    report(.checkpoint(path: store.lastPath, step: trainer.state.step, isBest: isBest))
  }

  private func summary(_ reason: TrainingStopReason) -> TrainingSummary {
    let state = trainer.state
    let batchesInEpoch = max(trainer.batchesInEpoch(), 1)
    return TrainingSummary(
      reason: reason, steps: state.step, epochs: state.position.epoch,
      elapsedSeconds: state.elapsedSeconds,
      epochProgress: Double(state.position.epoch)
        + Double(state.position.batchIndex) / Double(batchesInEpoch),
      targetTokens: state.targetTokens, best: state.best,
      lastValidation: state.lastValidation, bestPath: store.bestPath,
      lastPath: store.lastPath, metricsPath: metrics.path, testBLEU: nil,
      testTranslationsPath: nil, plannedSteps: state.plannedSteps, replan: state.replan,
      budgetSeconds: config.training.maxTimeMinutes > 0
        ? config.training.maxTimeMinutes * 60 : nil)
  }

  /// Seconds on the system's monotonic clock.
  public static func monotonicSeconds() -> Double {
    seconds(monotonicOrigin.duration(to: .now))
  }

  private static let monotonicOrigin = ContinuousClock.now

  private static func seconds(_ duration: Duration) -> Double {
    let parts = duration.components
    return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
  }
}
