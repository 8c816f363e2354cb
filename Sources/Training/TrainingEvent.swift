import Data
import NN
import Support

/// What a ``TrainingRun`` reports while it works, for a progress display to render.
///
/// The run itself prints nothing: the command line shows these events as a live line on a
/// terminal or as log lines otherwise, and tests collect them.
public enum TrainingEvent: Sendable {
  /// The BPE model(s) were learned (`learned`) or read from the checkpoint; `pieces` is V.
  case vocabulary(pieces: Int, learned: Bool, seconds: Double)
  /// A corpus was read: `name` is `train` or `valid`.
  case corpus(name: String, statistics: CorpusStatistics)
  /// The model was built: its trainable scalars and vocabulary size.
  case model(parameterCount: Int, vocabularySize: Int, batchesPerEpoch: Int)
  /// Training continues from a checkpoint at `step`.
  case resumed(step: Int, position: BatchPosition)
  /// A resumed `max_steps: "auto"` run continues with the step count it planned.
  case resumedPlan(steps: Int)
  /// `max_steps: "auto"` was planned from `timing` (at the end of the warm-up).
  case planned(StepPlan, timing: StepTiming)
  /// `max_steps: "auto"` was re-planned (at the midpoint of the decay, or earlier when behind) from
  /// `timing`, the
  /// measurements since the warm-up (`warmUp`: those the plan was made from).
  case replanned(StepReplan, timing: StepTiming, warmUp: StepTiming)
  /// A warning that does not stop the run (a changed setting on resume).
  case warning(String)
  /// One optimiser step finished.
  case step(TrainingProgress)
  /// A log interval ended (every `training.log_every` steps); also written to `metrics.jsonl`.
  case log(TrainingLogEntry)
  /// Validation is starting (it can take a while with BLEU).
  case validating(step: Int)
  /// A validation finished; `isBest` when it replaced `best/`.
  case validation(ValidationResult, isBest: Bool)
  /// A checkpoint was installed in `path` (`last/`, plus `best/` when `isBest`).
  case checkpoint(path: String, step: Int, isBest: Bool)
  /// Training is stopping, and why.
  case stopping(TrainingStopReason)
  /// The test set is being translated with the best checkpoint.
  case testing(sentences: Int)
  /// The test set's BLEU, with the step of the checkpoint that translated it.
  case test(bleu: Double, step: Int, translationsPath: String)
}

/// Where training stands after a step, for a live progress line: the figures of the log
/// interval so far (read as the progress's own, `progress.loss`) and what the ETA needs.
@dynamicMemberLookup
public struct TrainingProgress: Sendable, Equatable {
  /// Step, epoch, loss, perplexity, learning rate, speed and elapsed time of the current log
  /// interval so far.
  public var figures: TrainingLogEntry
  /// Estimated seconds until a stopping limit (steps, epochs or time) is reached; nil when
  /// none is set or nothing has been measured yet.
  public var remainingSeconds: Double?
  /// `training.max_steps`, 0 for none.
  public var maxSteps: Int

  /// Progress from the interval's figures so far.
  public init(figures: TrainingLogEntry, remainingSeconds: Double?, maxSteps: Int) {
    self.figures = figures
    self.remainingSeconds = remainingSeconds
    self.maxSteps = maxSteps
  }

  /// Progress from each figure (see ``TrainingLogEntry``).
  public init(
    step: Int, epoch: Int, loss: Double, perplexity: Double, learningRate: Double,
    tokensPerSecond: Double, elapsedSeconds: Double, remainingSeconds: Double?, maxSteps: Int
  ) {
    self.init(
      figures: TrainingLogEntry(
        step: step, epoch: epoch, loss: loss, perplexity: perplexity, learningRate: learningRate,
        tokensPerSecond: tokensPerSecond, elapsedSeconds: elapsedSeconds),
      remainingSeconds: remainingSeconds, maxSteps: maxSteps)
  }

  /// A figure of the interval, as the progress's own.
  public subscript<Value>(dynamicMember keyPath: KeyPath<TrainingLogEntry, Value>) -> Value {
    figures[keyPath: keyPath]
  }
}

/// The figures of one log interval: one line of `metrics.jsonl`.
public struct TrainingLogEntry: Sendable, Equatable {
  /// The step the interval ended at.
  public var step: Int
  /// The epoch, from 1.
  public var epoch: Int
  /// The mean label-smoothed loss per target token over the interval.
  public var loss: Double
  /// exp(mean negative log-likelihood per target token) over the interval.
  public var perplexity: Double
  /// The learning rate of the interval's last step.
  public var learningRate: Double
  /// Target tokens per second of training time over the interval.
  public var tokensPerSecond: Double
  /// Seconds of training over every session of the run.
  public var elapsedSeconds: Double

  /// An entry from its figures.
  public init(
    step: Int, epoch: Int, loss: Double, perplexity: Double, learningRate: Double,
    tokensPerSecond: Double, elapsedSeconds: Double
  ) {
    self.step = step
    self.epoch = epoch
    self.loss = loss
    self.perplexity = perplexity
    self.learningRate = learningRate
    self.tokensPerSecond = tokensPerSecond
    self.elapsedSeconds = elapsedSeconds
  }
}

/// Why training stopped.
public enum TrainingStopReason: Sendable, Equatable, CustomStringConvertible {
  /// `training.max_steps` optimiser steps were taken.
  case maxSteps(Int)
  /// `training.max_epochs` passes over the data were made.
  case maxEpochs(Int)
  /// `training.max_time_minutes` passed.
  case maxTime(minutes: Double)
  /// `training.patience` validations in a row did not improve.
  case patience(Int)
  /// The caller asked to stop (Ctrl-C).
  case interrupted

  /// "reached training.max_steps (3000)" and the like.
  public var description: String {
    switch self {
    case .maxSteps(let steps): return "reached training.max_steps (\(steps))"
    case .maxEpochs(let epochs): return "reached training.max_epochs (\(epochs))"
    case .maxTime(let minutes):
      return "reached training.max_time_minutes (\(TrainingFormat.number(minutes)))"
    case .patience(let count):
      return "\(counted(count, "validation")) in a row without improvement (training.patience)"
    case .interrupted: return "interrupted"
    }
  }
}

/// What a finished (or interrupted) run reports.
public struct TrainingSummary: Sendable, Equatable {
  /// Why it stopped.
  public var reason: TrainingStopReason
  /// Optimiser steps taken over every session.
  public var steps: Int
  /// Complete passes over the training data.
  public var epochs: Int
  /// Seconds of training over every session.
  public var elapsedSeconds: Double
  /// Passes over the training data, the current epoch's batches counted as a fraction.
  public var epochProgress: Double
  /// Target tokens (padding excluded) trained on over every session.
  public var targetTokens: Int
  /// The best validation, the one in ``bestPath``; nil if none was made.
  public var best: ValidationResult?
  /// The most recent validation.
  public var lastValidation: ValidationResult?
  /// `output.dir/best`.
  public var bestPath: String
  /// `output.dir/last`.
  public var lastPath: String
  /// `output.dir/metrics.jsonl`.
  public var metricsPath: String
  /// The BLEU of the best checkpoint's greedy translations of the test set, when
  /// `data.test_source` is set and training was not interrupted.
  public var testBLEU: Double?
  /// Where those translations were written.
  public var testTranslationsPath: String?
  /// The step count `max_steps: "auto"` planned (re-planned, if it was); nil for a fixed
  /// limit.
  public var plannedSteps: Int? = nil
  /// The re-plan, when one was made: the first plan's count and the step it was made after.
  public var replan: DecayReplan? = nil
  /// `max_time_minutes` in seconds; nil when there is no time limit.
  public var budgetSeconds: Double? = nil
  /// The run's clock when training stopped, before the final validation and test decoding
  /// (which come on top of the time limit).
  public var stoppedAtSeconds: Double? = nil

  /// The fraction of the time budget training used up to its stop; nil without a budget.
  public var budgetFraction: Double? {
    guard let budgetSeconds, budgetSeconds > 0, let stoppedAtSeconds else { return nil }
    return stoppedAtSeconds / budgetSeconds
  }

  /// Target tokens per second of training, over every session.
  public var targetTokensPerSecond: Double {
    Double(targetTokens) / max(elapsedSeconds, 1e-9)
  }
}
