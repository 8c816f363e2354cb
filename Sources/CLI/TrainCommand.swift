import Config
import Distributed
import Foundation
import Support
import Training

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// `transformer-cli train`: trains a translation model as a config file describes, saving
/// checkpoints into the config's output directory; Ctrl-C saves and stops, `--resume` goes on.
struct TrainCommand: Command {
  static var configuration: CommandConfiguration {
    CommandConfiguration(
      name: "train",
      abstract: "Train a Transformer translation model.",
      discussion: """
        Learns a BPE vocabulary on the training files, then trains the model the
        config describes with Adam, label smoothing and token-budget batches,
        validating every training.valid_every steps. Everything is seeded: the same
        config gives the same losses. The run directory (output.dir) receives:
          config.json, bpe.model   the run's config and vocabulary
          metrics.jsonl            one JSON object per log line and per validation
          summary.json             steps, epochs, time, tokens/s, peak memory, BLEU
          last/                    the newest checkpoint, to resume from
          best/                    the checkpoint with the best validation (BLEU
                                   when training.valid_bleu is on, else loss)
          checkpoints/step-N/      the newest training.keep_last_checkpoints models
        Each checkpoint is written aside and renamed into place, so a crash never
        leaves a broken one. runs/.last-run in the current directory names the
        latest run, whatever output.dir is, for 'translate', 'eval', 'attention'
        and 'trace'. A fresh run refuses an output.dir that holds checkpoints.

        Training stops at training.max_steps, max_epochs, max_time_minutes or after
        training.patience validations without improvement, then validates and
        saves. Ctrl-C (or SIGTERM) finishes the current step, saves last/ and exits
        with 130 (143); press it twice to quit at once. --resume continues from
        last/ exactly as if the run had not stopped; raise a limit with --set to
        train longer (a run that has reached its limits is left as it is):
          transformer-cli train --config configs/toy.json --resume \\
            --set training.max_steps=2000
        Resuming with other validation files or lines (data.valid_source,
        valid_target) or another data.max_length is refused unless --reset-best
        forgets the best score measured on the old ones. A run
        locks output.dir (.lock): a second one there is refused until it ends.
        With training.max_steps "auto" the steps that fit max_time_minutes are
        planned at the end of the warm-up, from its measured speed, and re-planned
        once halfway through the decay from the speed since then (earlier, at a
        tenth of the decay, if the first plan would overrun the budget); the number
        replaces "auto" in config.json; --resume keeps it.

        Progress goes to stderr: a line every training.log_every steps (with the
        ETA) and, on a terminal, a live line below them fitted to its width. Their
        loss, perplexity and tokens/s are means over the steps since the previous
        log line. The summary goes to stdout.
        """,
      options: [
        .option("config", value: "file", help: "The run's JSON config file.", required: true),
        .option(
          "set", value: "path=value",
          help: "Override a config value, as in training.max_steps=100; repeat for several.",
          repeatable: true),
        .flag("resume", help: "Continue the run in output.dir from its last/ checkpoint."),
        .flag(
          "reset-best",
          help: "With --resume: forget the best validation score (for other validation files)."),
      ])
  }

  /// The config file.
  var configPath: String?
  /// The `--set` overrides, in command-line order.
  var overrides: [String] = []
  /// Continue from `last/` rather than start afresh.
  var resume = false
  /// Forget the checkpoint's best validation when resuming.
  var resetBest = false

  mutating func parse(_ arguments: Arguments) throws {
    configPath = arguments.value(of: "config")
    overrides = arguments.values(of: "set")
    resume = arguments.contains("resume")
    resetBest = arguments.contains("reset-best")
  }

  func validate() throws {
    if configPath == nil {
      throw UsageError(
        "missing '--config <file>': give the run's config, such as configs/toy.json")
    }
    if resetBest && !resume {
      throw UsageError("--reset-best applies to --resume only: a fresh run has no best score")
    }
  }

  mutating func run(_ console: inout Console) throws {
    let configPath = self.configPath ?? ""
    let group = try TrainLaunch.group()
    let config = try Self.config(configPath, overrides: overrides)
    if let problem = StandardAttentionBudget.problem(
      model: config.model, longestRow: config.data.maxLength + 1,
      batchTokens: config.training.batchTokens, training: true)
    {
      throw RuntimeError("train: \(problem)")
    }
    try TrainLaunch.checkAgreement(group: group, configText: config.jsonText)
    if group.size > 1, group.isPrimary {
      console.errors.write(
        "data-parallel: \(group.size) processes, each step takes "
          + "\(config.training.accumulationSteps * group.size) batches (accumulate × processes)\n")
    }
    let isTerminal = console.errors is FileStream && isatty(STDERR_FILENO) != 0
    let reporter = TrainProgressReporter(
      console: console, isTerminal: isTerminal, logInterval: config.training.logInterval)
    defer { console = reporter.console }
    if group.isPrimary, let warning = TrainLaunch.oversubscription(group: group) {
      reporter.handle(.warning(warning))
    }

    // Until training starts there is nothing to save, so Ctrl-C keeps its default action.
    // Only rank 0 reports; the others train silently.
    let run: TrainingRun
    do {
      run = try TrainingRun(
        config: config, resume: resume, resetBest: resetBest,
        report: group.isPrimary ? reporter.handle : { _ in }, group: group,
        alsoWriting: [TrainSummaryFile.fileName])
    } catch {
      // Rank 0 says why; one line is enough.
      if error == .primaryFailed { throw ExitStatus(status: 1) }
      throw error
    }
    // Held until summary.json is written.
    defer { run.releaseLock() }
    let watcher = TrainSignalWatcher()
    defer { watcher.stop() }
    let summary = try run.run(shouldStop: { watcher.receivedSignal != nil })
    // Every rank got here at the same step. MPI ends only on this path (so that a rank failing
    // above exits at once and mpirun ends the job), and after rank 0 has written everything:
    // finalising waits for all ranks, so none exits (perhaps with 143, which makes mpirun
    // kill the job) while rank 0 still writes.
    if group.isPrimary {
      reporter.finishLine()
      let memory = ProcessMemory.peakResidentMegabytes()
      try TrainSummaryFile.write(
        summary, peakResidentMegabytes: memory, directory: config.output.directory)
      reporter.writeSummary(
        summary, peakResidentMegabytes: memory,
        resumeCommand: resumeCommand(configPath, processes: group.size))
    }
    group.finish()
    // SIGUSR1 asks for a stop, as a time limit does (the launcher script reports the user's
    // signal itself): status 0, so that mpirun does not take the ranks for failed ones.
    if summary.reason == .interrupted, let signal = watcher.receivedSignal, signal != SIGUSR1 {
      // marian's convention: the checkpoint is saved, then the status says which signal
      // stopped the run (130 for SIGINT, 143 for SIGTERM), as a shell reports a killed job.
      console = reporter.console
      throw ExitStatus(status: 128 + signal)
    }
  }

  /// The config file with the overrides applied. A mistake in a `--set` argument is a
  /// command-line mistake, so it exits 64 like the others.
  static func config(_ path: String, overrides: [String]) throws -> RunConfig {
    do {
      return try RunConfig(contentsOf: path, overrides: overrides)
    } catch {
      switch error {
      case .invalid(let source, _, _) where source.hasPrefix("--set "),
        .syntax(let source, _, _, _) where source.hasPrefix("--set "):
        throw UsageError(error.description)
      default:
        throw error
      }
    }
  }

  /// The command line that continues this run (under `mpirun` when it ran under it).
  private func resumeCommand(_ configPath: String, processes: Int) -> String {
    let sets = overrides.map { " --set \(Self.shellQuoted($0))" }.joined()
    let launcher = processes > 1 ? "mpirun -np \(processes) " : ""
    return "\(launcher)transformer-cli train --config \(Self.shellQuoted(configPath))\(sets)"
      + " --resume"
  }

  /// `text` as one shell word: unchanged when safe, else in single quotes.
  static func shellQuoted(_ text: String) -> String {
    let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%")
    if !text.isEmpty, text.allSatisfy({ safe.contains($0) }) { return text }
    return "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }
}
