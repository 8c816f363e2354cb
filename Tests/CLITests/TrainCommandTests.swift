import Foundation
import Training
import XCTest

@testable import CLI

/// `train`: its help, its one-line errors, a tiny run end to end with `--resume`, and the
/// progress texts.
final class TrainCommandTests: XCTestCase {
  static let trainHelp = """
    OVERVIEW: Train a Transformer translation model.

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

    USAGE: transformer-cli train --config <file> [--set <path=value> ...] [--resume]
      [--reset-best] [--threads <count>]

    OPTIONS:
      --config <file>         The run's JSON config file.
      --set <path=value>      Override a config value, as in training.max_steps=100;
                              repeat for several.
      --resume                Continue the run in output.dir from its last/
                              checkpoint.
      --reset-best            With --resume: forget the best validation score (for
                              other validation files).
      --threads <count>       Threads the kernels use (default:
                              $TRANSFORMER_THREADS, else one per processor).
      -h, --help              Show help information.

    """

  private var directory: TemporaryDirectory!
  private var previousDirectory = ""

  /// Each test runs in its own directory, where `runs/.last-run` is written.
  override func setUpWithError() throws {
    directory = try TemporaryDirectory()
    previousDirectory = FileManager.default.currentDirectoryPath
    XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(directory.url.path))
  }

  override func tearDown() {
    XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(previousDirectory))
    directory.remove()
  }

  func testHelp() {
    for run in [CLIRun("train", "--help"), CLIRun("help", "train"), CLIRun("train", "-h")] {
      XCTAssertEqual(run.status, 0)
      XCTAssertEqual(run.output, Self.trainHelp)
      XCTAssertEqual(run.errors, "")
    }
    for line in Self.trainHelp.split(separator: "\n") {
      XCTAssertLessThanOrEqual(line.count, 80, "\(line)")
    }
  }

  func testMissingConfigIsAUsageError() {
    let run = CLIRun("train")
    XCTAssertEqual(run.status, 64)
    XCTAssertEqual(
      run.errors,
      "Error: missing '--config <file>': give the run's config, such as configs/toy.json. "
        + "(see 'transformer-cli train --help')\n")
  }

  func testConfigErrorIsOneLineNamingTheJSONPath() throws {
    let config = try directory.write("c.json", #"{"training": {"max_step": 10}}"#)
    let run = CLIRun("train", "--config", config)
    XCTAssertEqual(run.status, 1)
    XCTAssertEqual(
      run.errors, "Error: \(config): training.max_step: unknown key (did you mean \"max_steps\"?)\n"
    )
    XCTAssertEqual(run.output, "")

    let valid = try directory.write("valid.json", "{}")
    let overridden = CLIRun("train", "--config", valid, "--set", "training.max_steps=ten")
    XCTAssertEqual(overridden.status, 64, "a --set mistake is a command-line mistake")
    XCTAssertTrue(
      overridden.errors.hasPrefix(
        "Error: --set training.max_steps=ten: training.max_steps: expected an integer"),
      overridden.errors)
    XCTAssertEqual(overridden.errors.filter { $0 == "\n" }.count, 1)

    let missing = CLIRun("train", "--config", directory.path("none.json"))
    XCTAssertEqual(missing.status, 1)
    XCTAssertEqual(
      missing.errors, "Error: cannot read config '\(directory.path("none.json"))': no such file\n")
  }

  /// The members of `summary.json` in `runDirectory`, one a line as scripts read them.
  private func summaryMembers(_ runDirectory: String) throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: runDirectory + "/summary.json"))
    let text = String(decoding: data, as: UTF8.self)
    XCTAssertEqual(
      text.split(separator: "\n").count - 2,
      text.split(separator: "\n").filter { $0.hasPrefix("  \"") }.count, text)
    return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
  }

  func testResetBestWithoutResumeIsAUsageError() throws {
    let run = CLIRun("train", "--config", try writeTinyConfig(), "--reset-best")
    XCTAssertEqual(run.status, 64)
    XCTAssertTrue(
      run.errors.hasPrefix(
        "Error: --reset-best applies to --resume only: a fresh run has no best score."),
      run.errors)
  }

  func testRunIntoADirectoryAnotherRunHoldsIsRefused() throws {
    let config = try writeTinyConfig()
    let runDirectory = directory.path("runs/tiny")
    try FileManager.default.createDirectory(
      atPath: runDirectory, withIntermediateDirectories: true)
    let lock = try TrainingRunLock(directory: runDirectory)
    for arguments in [["--config", config], ["--config", config, "--resume"]] {
      let run = CLIRun(["train"] + arguments)
      XCTAssertEqual(run.status, 1)
      XCTAssertEqual(
        run.errors,
        "Error: '\(runDirectory)' is in use by another training run (process \(getpid())); wait "
          + "for it to end, or choose another directory with --set output.dir=PATH\n")
    }
    lock.release()
    XCTAssertEqual(CLIRun("train", "--config", config).status, 0)
  }

  func testSummaryNumbersOfAnAbsurdBudgetStayShort() {
    // max_time_minutes 1e-300: a budget of 6e-299 s, used 7.4e295 times over.
    XCTAssertEqual(TrainSummaryFile.number(7.4021e295, 4), .number("7.4021e+295"))
    XCTAssertEqual(TrainSummaryFile.number(6e-299, 1), .number("6.0e-299"))
    XCTAssertEqual(TrainSummaryFile.number(0.9742, 4), .number("0.9742"))
    XCTAssertEqual(TrainSummaryFile.number(0, 1), .number("0.0"))
    XCTAssertEqual(TrainSummaryFile.number(.infinity, 1), .null)
    XCTAssertEqual(ProgressLine.fixed(7.4021e297, 1), "7.4e+297")
    XCTAssertEqual(ProgressLine.fixed(97.42, 1), "97.4")
  }

  func testTinyRunThenResume() throws {
    let config = try writeTinyConfig()
    let run = CLIRun("train", "--config", config)
    XCTAssertEqual(run.status, 0, run.errors)
    let runDirectory = directory.path("runs/tiny")
    XCTAssertEqual(
      run.output.split(separator: "\n").map { String($0.prefix(8)) },
      ["stopped:", "speed:  ", "best:   ", "last:   ", "metrics:"])
    XCTAssertTrue(
      run.output.hasPrefix("stopped: reached training.max_steps (4) after 4 steps"), run.output)
    XCTAssertTrue(run.output.contains(" target tokens/s over "), run.output)
    let summary = try summaryMembers(runDirectory)
    XCTAssertEqual(summary["steps"] as? Int, 4)
    XCTAssertEqual(summary["reason"] as? String, "reached training.max_steps (4)")
    XCTAssertGreaterThan(summary["target_tokens"] as? Int ?? 0, 0)
    XCTAssertGreaterThan(summary["target_tokens_per_s"] as? Double ?? 0, 0)
    XCTAssertEqual(summary["best_step"] as? Int, 4)
    // Four steps of batches of several pairs each: more than none and less than one per pair.
    let epochs = summary["epochs"] as? Double ?? 0
    XCTAssertTrue(epochs > 0 && epochs < 4, "\(epochs)")
    XCTAssertTrue(run.output.contains("best:    \(runDirectory)/best (step 4: loss "), run.output)
    // Not a terminal: no carriage returns, one log line per log_every steps.
    XCTAssertFalse(run.errors.contains("\r"))
    let errorLines = run.errors.split(separator: "\n")
    XCTAssertTrue(errorLines[0].hasPrefix("vocabulary: learned "), run.errors)
    XCTAssertTrue(errorLines[1].hasPrefix("train: 40 pairs kept of 40 lines"), run.errors)
    XCTAssertEqual(errorLines.filter { $0.hasPrefix("epoch ") }.count, 2, run.errors)
    XCTAssertTrue(errorLines.contains { $0.hasPrefix("valid  step 4  loss ") }, run.errors)

    let again = CLIRun("train", "--config", config)
    XCTAssertEqual(again.status, 1)
    XCTAssertTrue(again.errors.hasPrefix("Error: '\(runDirectory)' already holds"), again.errors)

    let resumed = CLIRun(
      "train", "--config", config, "--set", "training.max_steps=6", "--resume")
    XCTAssertEqual(resumed.status, 0, resumed.errors)
    XCTAssertTrue(resumed.errors.contains("resumed at step 4; next: batch "), resumed.errors)
    XCTAssertTrue(resumed.output.hasPrefix("stopped: reached training.max_steps (6) after 6 steps"))
    XCTAssertEqual(try summaryMembers(runDirectory)["steps"] as? Int, 6)
    XCTAssertEqual(
      try String(contentsOfFile: directory.path("runs/.last-run"), encoding: .utf8), "tiny\n")
  }

  func testCorpusErrorsNameThePathAsTyped() throws {
    try directory.write("bad.src", bytes: Array("one two\n".utf8) + [0xFF, 0x0A])
    try directory.write("ok.tgt", "one\ntwo\n")
    let config = try directory.write(
      "relative.json",
      """
      {"data": {"train_source": "bad.src", "train_target": "ok.tgt", "valid_source": "ok.tgt",
                "valid_target": "ok.tgt", "vocab_size": 300}}
      """)
    let run = CLIRun("train", "--config", config)
    XCTAssertEqual(run.status, 1)
    XCTAssertTrue(
      run.errors.hasSuffix(
        "Error: bad.src:2: not valid UTF-8; convert the file to UTF-8 (for example with iconv)\n"),
      run.errors)
  }

  func testResumingAFinishedRunHasNothingToDo() throws {
    let config = try writeTinyConfig()
    XCTAssertEqual(CLIRun("train", "--config", config).status, 0)
    let runDirectory = directory.path("runs/tiny")
    let metrics = try directory.read("runs/tiny/metrics.jsonl")
    let summary = try directory.read("runs/tiny/summary.json")

    let finished = CLIRun("train", "--config", config, "--resume")
    XCTAssertEqual(finished.status, 1)
    XCTAssertEqual(finished.output, "")
    XCTAssertEqual(
      finished.errors,
      "Error: nothing to do: the run in '\(runDirectory)' is at step 4, reached "
        + "training.max_steps (4); raise training.max_steps to train longer, as in --set "
        + "training.max_steps=8\n")
    let lowered = CLIRun(
      "train", "--config", config, "--set", "training.max_steps=2", "--resume")
    XCTAssertEqual(lowered.status, 1)
    XCTAssertEqual(
      lowered.errors,
      "Error: nothing to do: the run in '\(runDirectory)' is at step 4, beyond "
        + "training.max_steps (2); raise training.max_steps to train longer, as in --set "
        + "training.max_steps=8\n")
    XCTAssertEqual(try directory.read("runs/tiny/metrics.jsonl"), metrics)
    XCTAssertEqual(try directory.read("runs/tiny/summary.json"), summary)

    let resized = CLIRun(
      "train", "--config", config, "--set", "training.max_steps=5", "--set",
      "data.vocab_size=400", "--resume")
    XCTAssertEqual(resized.status, 0, resized.errors)
    XCTAssertTrue(
      resized.errors.contains(
        "warning: data.vocab_size 300 → 400 has no effect on resume: the "
          + "checkpoint's vocabulary is kept"), resized.errors)
  }

  func testThePointerIsInRunsWhateverTheOutputDirectory() throws {
    let config = try writeTinyConfig()
    let elsewhere = directory.path("exp/a")
    let run = CLIRun("train", "--config", config, "--set", "output.dir=\(elsewhere)")
    XCTAssertEqual(run.status, 0, run.errors)
    XCTAssertEqual(try directory.read("runs/.last-run"), "../exp/a\n")
    XCTAssertFalse(FileManager.default.fileExists(atPath: directory.path("exp/.last-run")))
    XCTAssertEqual(TrainingRunPointer.runDirectory(), "exp/a")

    let translate = CLIRun("translate", "one two")
    XCTAssertEqual(translate.status, 0, translate.errors)
    XCTAssertEqual(
      translate.errors,
      "checkpoint: exp/a/best (step 4; best/ of the latest run, from runs/.last-run)\n")
    let quiet = CLIRun("translate", "--quiet", "one two")
    XCTAssertEqual(quiet.errors, "")
    XCTAssertEqual(quiet.output, translate.output)
  }

  func testProgressTexts() {
    let progress = TrainingProgress(
      step: 1200, epoch: 3, loss: 2.34512, perplexity: 8.123, learningRate: 0.000632,
      tokensPerSecond: 10_512, elapsedSeconds: 83, remainingSeconds: 121, maxSteps: 3000)
    XCTAssertEqual(
      ProgressLine.status(progress),
      "epoch 3  step 1200/3000  loss 2.3451  ppl 8.12  lr 6.32e-04  10.5k tok/s  1:23  ETA 2:01")
    XCTAssertEqual(
      ProgressLine.validation(
        ValidationResult(step: 250, loss: 2.31, perplexity: 10.07, bleu: 41.2), isBest: true),
      "valid  step 250  loss 2.3100  ppl 10.07  BLEU 41.20  (new best)")
    XCTAssertEqual(TrainingFormat.duration(3723), "1:02:03")
    XCTAssertEqual(TrainCommand.shellQuoted("output.dir=runs/a b"), "'output.dir=runs/a b'")
    XCTAssertEqual(TrainCommand.shellQuoted("configs/toy.json"), "configs/toy.json")
  }

  /// A config for 40 pairs of a copy task and a model of width 16, stopping after 4 steps.
  private func writeTinyConfig() throws -> String {
    let words = ["one", "two", "three", "four", "five"]
    let lines = (0..<40).map { index in
      (0..<(2 + index % 3)).map { words[(index + $0 * 2) % words.count] }.joined(separator: " ")
    }
    let text = lines.joined(separator: "\n") + "\n"
    for name in ["train.src", "train.tgt", "valid.src", "valid.tgt"] {
      try directory.write(name, text)
    }
    return try directory.write(
      "tiny.json",
      """
      {
        "data": {
          "train_source": "\(directory.path("train.src"))",
          "train_target": "\(directory.path("train.tgt"))",
          "valid_source": "\(directory.path("valid.src"))",
          "valid_target": "\(directory.path("valid.tgt"))",
          "vocab_size": 300, "max_length": 20
        },
        "model": {
          "encoder_layers": 1, "decoder_layers": 1, "d_model": 16, "heads": 2, "d_ff": 16,
          "max_positions": 24
        },
        "training": {
          "batch_tokens": 64, "warmup_steps": 2, "max_steps": 4, "valid_every": 10,
          "valid_bleu": true, "log_every": 2
        },
        "output": { "dir": "\(directory.path("runs/tiny"))" }
      }
      """)
  }
}
