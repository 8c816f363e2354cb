import Config
import Foundation
import XCTest

@testable import Training

/// A tiny generated translation task in a temporary directory, with a config for a model
/// small enough that a few dozen steps take well under a second.
///
/// The "language pair": source words from a list of eight, target = the words mapped one to
/// one and in reverse order, so there is something learnable in a handful of steps.
struct TinyRun {
  let directory: URL

  /// A fresh directory with `train.src/.tgt` (300 pairs) and `valid.src/.tgt` (20 pairs).
  init() throws {
    directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("transformer-cli-trainer-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    try write(lines: 300, seed: 1, name: "train")
    try write(lines: 20, seed: 2, name: "valid")
  }

  func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

  /// The run directory most tests train into.
  var runDirectory: String { path("runs/tiny") }

  /// The config JSON, with `training` fields replaced by `training`.
  func configJSON(_ training: [String: String] = [:]) -> String {
    var fields: [String: String] = [
      "seed": "7", "batch_tokens": "120", "accumulate": "2", "schedule": "\"inverse_sqrt\"",
      "peak_lr": "0.01", "warmup_steps": "5", "label_smoothing": "0.1", "clip_norm": "1.0",
      "max_steps": "12", "valid_every": "6", "valid_bleu": "true", "log_every": "1",
      "keep_last_checkpoints": "2",
    ]
    fields.merge(training) { $1 }
    let trainingText = fields.keys.sorted().map { "\"\($0)\": \(fields[$0]!)" }
      .joined(separator: ", ")
    return """
      {
        "data": {
          "train_source": "\(path("train.src"))", "train_target": "\(path("train.tgt"))",
          "valid_source": "\(path("valid.src"))", "valid_target": "\(path("valid.tgt"))",
          "vocab_size": 300, "max_length": 20
        },
        "model": {
          "encoder_layers": 1, "decoder_layers": 1, "d_model": 16, "heads": 2, "d_ff": 32,
          "dropout": 0.1, "norm": "pre", "max_positions": 32
        },
        "training": { \(trainingText) },
        "output": { "dir": "\(runDirectory)" }
      }
      """
  }

  /// Writes the config to `config.json` in the directory and returns its path.
  @discardableResult
  func writeConfig(_ training: [String: String] = [:]) throws -> String {
    let file = path("config.json")
    try Data(configJSON(training).utf8).write(to: URL(fileURLWithPath: file))
    return file
  }

  /// The config, with `overrides` applied.
  func config(_ training: [String: String] = [:], overrides: [String] = []) throws -> RunConfig {
    try RunConfig(jsonText: configJSON(training), source: "tiny.json", overrides: overrides)
  }

  /// Prepares and runs training; `stopAfter` steps (of this session) simulates Ctrl-C.
  @discardableResult
  func train(
    _ config: RunConfig, resume: Bool = false, stopAfter: Int? = nil
  ) throws -> (summary: TrainingSummary, events: [TrainingEvent]) {
    var events: [TrainingEvent] = []
    var steps = 0
    let run = try TrainingRun(config: config, resume: resume) { event in
      events.append(event)
      if case .step = event { steps += 1 }
    }
    run.pointerDirectory = path("runs")
    let summary = try run.run(shouldStop: { stopAfter.map { steps >= $0 } ?? false })
    return (summary, events)
  }

  /// The lines of `metrics.jsonl` in `run`, parsed.
  func metrics(in run: String? = nil) throws -> [[String: Any]] {
    let file = URL(fileURLWithPath: run ?? runDirectory).appendingPathComponent("metrics.jsonl")
    let text = try String(contentsOf: file, encoding: .utf8)
    return try text.split(separator: "\n").map { line in
      try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }
  }

  /// The training lines of `metrics.jsonl` without their timing fields (which differ from run
  /// to run), as written: equal texts mean equal numbers.
  func trainingLosses(in run: String? = nil) throws -> [String] {
    let file = URL(fileURLWithPath: run ?? runDirectory).appendingPathComponent("metrics.jsonl")
    return try String(contentsOf: file, encoding: .utf8).split(separator: "\n")
      .filter { $0.contains("\"loss\"") }
      .map { line in
        line.split(separator: ",")
          .filter { !$0.hasPrefix("\"tokens_per_s\"") && !$0.hasPrefix("\"elapsed_s\"") }
          .joined(separator: ",")
      }
  }

  func remove() {
    try? FileManager.default.removeItem(at: directory)
  }

  private func write(lines count: Int, seed: UInt64, name: String) throws {
    let source = ["red", "blue", "green", "cat", "dog", "runs", "sees", "big"]
    let target = ["rot", "blau", "grun", "katze", "hund", "lauft", "sieht", "gross"]
    var state = seed
    func next(_ bound: Int) -> Int {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Int((state >> 33) % UInt64(bound))
    }
    var sources: [String] = []
    var targets: [String] = []
    for _ in 0..<count {
      let words = (0..<(2 + next(4))).map { _ in next(source.count) }
      sources.append(words.map { source[$0] }.joined(separator: " "))
      targets.append(words.reversed().map { target[$0] }.joined(separator: " "))
    }
    try Data((sources.joined(separator: "\n") + "\n").utf8)
      .write(to: directory.appendingPathComponent("\(name).src"))
    try Data((targets.joined(separator: "\n") + "\n").utf8)
      .write(to: directory.appendingPathComponent("\(name).tgt"))
  }
}

/// Training end to end on the tiny task: the loss falls, runs are reproducible, resuming gives
/// exactly the losses of an uninterrupted run, and `metrics.jsonl` is well formed.
final class TrainerTests: XCTestCase {
  private var tiny: TinyRun!

  override func setUpWithError() throws {
    tiny = try TinyRun()
  }

  override func tearDown() {
    tiny.remove()
  }

  func testLossDecreasesAndCheckpointsAreWritten() throws {
    let (summary, events) = try tiny.train(
      try tiny.config(["max_steps": "30", "valid_every": "10"]))
    let losses = try tiny.metrics().compactMap { $0["loss"] as? Double }
    XCTAssertEqual(losses.count, 30)
    let first = losses.prefix(3).reduce(0, +) / 3
    let last = losses.suffix(3).reduce(0, +) / 3
    XCTAssertLessThan(last, first - 1, "losses \(losses)")

    XCTAssertEqual(summary.reason, .maxSteps(30))
    XCTAssertEqual(summary.steps, 30)
    XCTAssertNotNil(summary.best?.bleu)
    let manager = FileManager.default
    for directory in ["last", "best"] {
      for file in ["model.safetensors", "config.json", "bpe.model", "trainer.safetensors"] {
        XCTAssertTrue(
          manager.fileExists(atPath: "\(tiny.runDirectory)/\(directory)/\(file)"),
          "\(directory)/\(file)")
      }
    }
    // keep_last_checkpoints 2 of the validations at 10, 20, 30; model files only.
    XCTAssertEqual(
      try manager.contentsOfDirectory(atPath: "\(tiny.runDirectory)/checkpoints").sorted(),
      ["step-000020", "step-000030"])
    XCTAssertEqual(
      try manager.contentsOfDirectory(atPath: "\(tiny.runDirectory)/checkpoints/step-000030")
        .sorted(),
      ["bpe.model", "config.json", "model.safetensors"])
    // No staging or swap directories are left behind; the lock file stays.
    XCTAssertEqual(
      try manager.contentsOfDirectory(atPath: tiny.runDirectory).sorted(),
      [".lock", "best", "bpe.model", "checkpoints", "config.json", "last", "metrics.jsonl"])
    XCTAssertEqual(events.filter { if case .validation = $0 { true } else { false } }.count, 3)
  }

  func testSameSeedGivesTheSameLosses() throws {
    try tiny.train(try tiny.config())
    let first = try tiny.trainingLosses()
    let other = tiny.path("runs/other")
    try tiny.train(try tiny.config(overrides: ["output.dir=\(other)"]))
    XCTAssertEqual(try tiny.trainingLosses(in: other), first)
    XCTAssertEqual(first.count, 12)

    let reseeded = tiny.path("runs/reseeded")
    try tiny.train(try tiny.config(["seed": "8"], overrides: ["output.dir=\(reseeded)"]))
    XCTAssertNotEqual(try tiny.trainingLosses(in: reseeded), first)
  }

  /// Each batch's dropout stream is a function of (seed, step, batch of the step) alone, so
  /// the process that computes a batch draws its masks whatever else it computed; and
  /// neighbouring steps and batches get different streams.
  func testDropoutStreamDependsOnSeedStepAndBatchOnly() {
    let state = { (seed: UInt64, step: Int, batch: Int) in
      Trainer.dropoutGenerator(seed: seed, step: step, batch: batch).state
    }
    XCTAssertEqual(state(1, 7, 3), state(1, 7, 3))
    let neighbours = [
      state(1, 7, 3), state(1, 7, 2), state(1, 8, 3), state(2, 7, 3), state(1, 3, 7),
    ]
    XCTAssertEqual(Set(neighbours.map { $0.description }).count, neighbours.count)
  }

  func testResumeReproducesTheUninterruptedLosses() throws {
    let whole = tiny.path("runs/whole")
    try tiny.train(try tiny.config(overrides: ["output.dir=\(whole)"]))
    let expected = try tiny.trainingLosses(in: whole)

    // Stop at max_steps 5 (between validations), then resume with the full limit.
    let first = try tiny.train(try tiny.config(["max_steps": "5"]))
    XCTAssertEqual(first.summary.steps, 5)
    let (summary, events) = try tiny.train(try tiny.config(), resume: true)
    XCTAssertEqual(summary.steps, 12)
    XCTAssertTrue(events.contains { if case .resumed(5, _) = $0 { true } else { false } })
    XCTAssertEqual(try tiny.trainingLosses(), expected)
  }

  func testInterruptedRunSavesLastAndResumesExactly() throws {
    let whole = tiny.path("runs/whole")
    try tiny.train(try tiny.config(overrides: ["output.dir=\(whole)"]))
    let expected = try tiny.trainingLosses(in: whole)

    // Ctrl-C after 8 steps: the 8th step (past the validation at 6) is saved to last/.
    let (interrupted, _) = try tiny.train(try tiny.config(), stopAfter: 8)
    XCTAssertEqual(interrupted.reason, .interrupted)
    XCTAssertEqual(interrupted.steps, 8)
    XCTAssertEqual(interrupted.best?.step, 6)
    let resumed = try tiny.train(try tiny.config(), resume: true)
    XCTAssertEqual(resumed.summary.reason, .maxSteps(12))
    XCTAssertEqual(try tiny.trainingLosses(), expected)
    // A run that has reached its limit is left as it is: nothing trained, nothing logged.
    let metrics = try String(
      contentsOfFile: tiny.runDirectory + "/metrics.jsonl", encoding: .utf8)
    XCTAssertThrowsError(try tiny.train(try tiny.config(), resume: true)) { error in
      XCTAssertEqual(
        error as? TrainingError,
        .nothingToDo(directory: tiny.runDirectory, step: 12, reason: .maxSteps(12)))
    }
    XCTAssertEqual(
      try String(contentsOfFile: tiny.runDirectory + "/metrics.jsonl", encoding: .utf8), metrics)
  }

  func testMetricsLinesParse() throws {
    try tiny.train(try tiny.config(["log_every": "4"]))
    let lines = try tiny.metrics()
    let training = lines.filter { $0["loss"] != nil }
    let validations = lines.filter { $0["valid_loss"] != nil }
    XCTAssertEqual(training.compactMap { $0["step"] as? Int }, [4, 8, 12])
    XCTAssertEqual(validations.compactMap { $0["step"] as? Int }, [6, 12])
    for line in training {
      XCTAssertEqual(
        Set(line.keys), ["step", "epoch", "loss", "ppl", "lr", "tokens_per_s", "elapsed_s"])
      XCTAssertGreaterThan(line["ppl"] as? Double ?? 0, 1)
    }
    for line in validations {
      XCTAssertEqual(Set(line.keys), ["step", "valid_loss", "valid_ppl", "valid_bleu"])
      let bleu = try XCTUnwrap(line["valid_bleu"] as? Double)
      XCTAssertTrue((0...100).contains(bleu))
    }
  }

  func testPatienceStopsTraining() throws {
    // A learning rate below every weight's rounding step leaves the model, and so the
    // validation loss, exactly as it was: no validation after the first can improve.
    let (summary, _) = try tiny.train(
      try tiny.config([
        "max_steps": "200", "valid_every": "1", "valid_bleu": "false", "patience": "2",
        "peak_lr": "1e-30", "warmup_steps": "1",
      ]))
    XCTAssertEqual(summary.reason, .patience(2))
    XCTAssertEqual(summary.steps, 3)
    XCTAssertEqual(summary.best?.step, 1)
  }

  func testEpochLimitAndValidationPerEpoch() throws {
    let (summary, events) = try tiny.train(
      try tiny.config([
        "max_steps": "0", "max_epochs": "2", "valid_every": "0", "valid_bleu": "false",
        "accumulate": "1",
      ]))
    XCTAssertEqual(summary.reason, .maxEpochs(2))
    XCTAssertEqual(summary.epochs, 2)
    let validations = events.compactMap { event -> Int? in
      if case .validation(let result, _) = event { return result.step }
      return nil
    }
    XCTAssertEqual(validations.count, 2)
    XCTAssertEqual(validations.last, summary.steps)
  }

  func testSeparateVocabulariesTrainAndResume() throws {
    let overrides = ["data.joint_vocabulary=false", "model.tie_embeddings=false"]
    try tiny.train(try tiny.config(["max_steps": "6"], overrides: overrides))
    let last = "\(tiny.runDirectory)/last"
    XCTAssertTrue(FileManager.default.fileExists(atPath: "\(last)/source.bpe.model"))
    XCTAssertTrue(FileManager.default.fileExists(atPath: "\(last)/target.bpe.model"))
    XCTAssertFalse(FileManager.default.fileExists(atPath: "\(last)/bpe.model"))
    let (summary, _) = try tiny.train(try tiny.config(overrides: overrides), resume: true)
    XCTAssertEqual(summary.steps, 12)

    // Tied embeddings need one table for both languages.
    XCTAssertThrowsError(
      try tiny.train(
        try tiny.config(overrides: ["data.joint_vocabulary=false", "output.dir=\(tiny.path("x"))"]))
    ) { error in
      XCTAssertTrue(
        "\(error)".hasSuffix(
          ": model.tie_embeddings: true needs data.joint_vocabulary true (one table serves both "
            + "languages); set one of them to the other value"), "\(error)")
    }
  }
}
