import Data
import Foundation
import NN
import Support
import XCTest

@testable import Checkpoints
@testable import Training

/// Checkpoints: refused when damaged or mismatched (with the message), recovered after a crash
/// during an install, the trainer state round trip, and the pointer to the latest run.
final class TrainerCheckpointTests: XCTestCase {
  private var tiny: TinyRun!

  override func setUpWithError() throws {
    tiny = try TinyRun()
  }

  override func tearDown() {
    tiny.remove()
  }

  /// The message `body` throws, or nil.
  private func message(_ body: () throws -> Void) -> String? {
    do {
      try body()
      return nil
    } catch {
      return "\(error)"
    }
  }

  /// Trains the tiny run for 6 steps, leaving last/ and best/.
  private func trainBriefly() throws {
    try tiny.train(try tiny.config(["max_steps": "6", "valid_bleu": "false"]))
  }

  /// Cuts the file at `path` to half its length.
  private func truncate(_ path: String) throws {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path))
  }

  func testTruncatedModelIsRefused() throws {
    try trainBriefly()
    let model = "\(tiny.runDirectory)/last/model.safetensors"
    try truncate(model)
    let text = message { try tiny.train(try tiny.config(), resume: true) }
    XCTAssertEqual(
      text,
      "\(model): damaged checkpoint: not a valid safetensors file: "
        + (text?.components(separatedBy: "not a valid safetensors file: ").last ?? ""))
    XCTAssertTrue(text?.contains("HINT: copy a good checkpoint") ?? false, text ?? "")
    XCTAssertFalse(text?.contains("\n") ?? true)
  }

  func testTruncatedTrainerStateIsRefused() throws {
    try trainBriefly()
    let state = "\(tiny.runDirectory)/last/trainer.safetensors"
    try truncate(state)
    let text = try XCTUnwrap(message { try tiny.train(try tiny.config(), resume: true) })
    XCTAssertTrue(
      text.hasPrefix("\(state): damaged checkpoint: not a valid safetensors file"), text)
  }

  func testForeignTrainerStateIsRefused() throws {
    try trainBriefly()
    // A model file where the trainer state should be: valid safetensors, wrong magic word.
    let last = "\(tiny.runDirectory)/last"
    try FileManager.default.removeItem(atPath: "\(last)/trainer.safetensors")
    try FileManager.default.copyItem(
      atPath: "\(last)/model.safetensors", toPath: "\(last)/trainer.safetensors")
    XCTAssertEqual(
      message { try tiny.train(try tiny.config(), resume: true) },
      "\(last)/trainer.safetensors: damaged checkpoint: its metadata \"trainer.format\" is not "
        + "\"transformer-cli-trainer\", so it is not a trainer state; HINT: copy a good "
        + "checkpoint (such as 'best') over it to resume from there, or train afresh in another "
        + "output.dir")
  }

  func testOtherArchitectureIsRefused() throws {
    try trainBriefly()
    XCTAssertEqual(
      message { try tiny.train(try tiny.config(overrides: ["model.d_model=32"]), resume: true) },
      "\(tiny.runDirectory)/last: the checkpoint's config differs in model.d_model 16 → 32; "
        + "HINT: resume with the config the run was started with (its copy is the checkpoint's "
        + "config.json), or train afresh in another output.dir")
  }

  func testChangedTrainingDataIsRefused() throws {
    try trainBriefly()
    let text = try XCTUnwrap(
      message {
        try tiny.train(try tiny.config(["batch_tokens": "100"]), resume: true)
      })
    XCTAssertTrue(
      text.hasPrefix(
        "\(tiny.runDirectory)/last/trainer.safetensors: it was trained on other "
          + "batches"), text)
  }

  func testChangedLearningRateIsAWarning() throws {
    try trainBriefly()
    let (_, events) = try tiny.train(try tiny.config(["peak_lr": "0.02"]), resume: true)
    let warnings = events.compactMap { event -> String? in
      if case .warning(let text) = event { return text }
      return nil
    }
    XCTAssertEqual(
      warnings,
      [
        "resuming with changed settings (training.peak_lr 0.01 → 0.02): the run will differ "
          + "from an uninterrupted one"
      ])
  }

  func testFreshRunRefusesToOverwriteAndResumeNeedsACheckpoint() throws {
    XCTAssertEqual(
      message { try tiny.train(try tiny.config(), resume: true) },
      "nothing to resume: '\(tiny.runDirectory)' holds no checkpoint 'last'; train without "
        + "--resume to start the run")
    try trainBriefly()
    XCTAssertEqual(
      message { try trainBriefly() },
      "'\(tiny.runDirectory)' already holds the checkpoints of a run; pass --resume to continue "
        + "it, or choose another directory with --set output.dir=PATH (or remove this one)")
  }

  func testInterruptedInstallIsRecovered() throws {
    try trainBriefly()
    let store = CheckpointStore(directory: tiny.runDirectory)
    // A crash between the two renames of an install: last/ moved aside, the new one not yet
    // in place, and a half-written staging directory.
    XCTAssertEqual(rename(store.lastPath, store.path(".last.old")), 0)
    try FileManager.default.createDirectory(
      atPath: store.path(".last.new"), withIntermediateDirectories: true)
    try FileManager.default.createDirectory(
      atPath: store.path(".staging"), withIntermediateDirectories: true)
    XCTAssertTrue(store.holdsCheckpoints)
    let (summary, _) = try tiny.train(try tiny.config(["max_steps": "8"]), resume: true)
    XCTAssertEqual(summary.steps, 8)
    let names = try FileManager.default.contentsOfDirectory(atPath: tiny.runDirectory)
    XCTAssertFalse(names.contains { $0.hasPrefix(".") && $0 != ".lock" }, "\(names)")
  }

  func testInstallReplacesTheDirectoryAndKeepsTheNewestSteps() throws {
    let store = CheckpointStore(directory: tiny.path("store"))
    for step in 1...4 {
      let staging = try store.makeStaging()
      try Data("\(step)".utf8).write(to: URL(fileURLWithPath: "\(staging)/a"))
      try Data("state".utf8).write(to: URL(fileURLWithPath: "\(staging)/b"))
      try store.install(staging, as: "last")
      try store.keepStep(step, from: staging, excluding: ["b"], keep: 2)
    }
    XCTAssertEqual(try String(contentsOfFile: "\(store.lastPath)/a", encoding: .utf8), "4")
    XCTAssertEqual(
      try FileManager.default.contentsOfDirectory(atPath: store.lastPath).sorted(), ["a", "b"])
    XCTAssertEqual(
      try FileManager.default.contentsOfDirectory(atPath: store.stepsPath).sorted(),
      ["step-000003", "step-000004"])
    XCTAssertEqual(
      try FileManager.default.contentsOfDirectory(atPath: store.stepPath(4)), ["a"])
    XCTAssertTrue(store.stepPath(1_234_567).hasSuffix("/checkpoints/step-1234567"))
  }

  func testTrainerStateRoundTripsThroughTheFile() throws {
    var state = TrainerState()
    state.step = 42
    state.position = BatchPosition(epoch: 3, batchIndex: 17)
    state.dropoutGeneratorState = [.max, 1, 0, 0x0123_4567_89AB_CDEF]
    state.elapsedSeconds = 12.345678901234567
    state.window.loss = 0.1 + 0.2
    state.window.negativeLogLikelihood = .nan
    state.best = ValidationResult(step: 40, loss: 1.5, perplexity: exp(1.5), bleu: 99.9)
    state.batchFingerprint = 0xFEDC_BA98_7654_3210
    // A re-planned "auto" run: the plan, both windows of measurements and the re-plan.
    state.plannedSteps = 44
    state.timing = StepTiming(
      steps: 4, stepSeconds: 4.5, validations: 1, validationSeconds: 4, lastValidationSeconds: 4)
    state.decayTiming = StepTiming(
      steps: 14, stepSeconds: 7.25, validations: 2, validationSeconds: 8.5,
      lastValidationSeconds: 4.25)
    state.replan = DecayReplan(step: 19, firstTotalSteps: 34)
    let json = TrainerCheckpointFile.stateJSON(state)
    XCTAssertTrue(json.contains(#""replan":{"at_step":19,"from_planned_steps":34}"#), json)
    var decoded = try XCTUnwrap(TrainerState(json: try JSONParser.parse(json)))
    XCTAssertTrue(decoded.window.negativeLogLikelihood.isNaN)
    decoded.window.negativeLogLikelihood = state.window.negativeLogLikelihood
    state.window.negativeLogLikelihood = 0
    decoded.window.negativeLogLikelihood = 0
    XCTAssertEqual(decoded, state)
  }

  /// The state exactly as a checkpoint written with Foundation's JSONEncoder holds it (from a
  /// toy run's `last/trainer.safetensors`): it still reads, and is written back byte for byte.
  func testTrainerStateWrittenByEarlierVersionsReads() throws {
    let old =
      #"{"batch_fingerprint":"7ba92c4123a51678","best":{"step":100,"valid_bleu":0.035844103636048535,"#
      + #""valid_loss":4.311434862349118,"valid_ppl":74.54737746199473},"dropout_generator_state":"#
      + #"["c064cc3162682a84","7d32704bba26d139","af34c5fe6294952f","994dd8b352e3dba5"],"#
      + #""elapsed_seconds":83.16723323200004,"last_validation":{"step":100,"#
      + #""valid_bleu":0.035844103636048535,"valid_loss":4.311434862349118,"#
      + #""valid_ppl":74.54737746199473},"position":{"batchIndex":13,"epoch":1},"step":100,"#
      + #""target_tokens":159125,"validations_without_improvement":0,"window":{"loss":0,"#
      + #""negative_log_likelihood":0,"steps":0,"target_tokens":0}}"#
    let state = try XCTUnwrap(TrainerState(json: try JSONParser.parse(old)))
    XCTAssertEqual(state.step, 100)
    XCTAssertEqual(state.position, BatchPosition(epoch: 1, batchIndex: 13))
    XCTAssertEqual(state.batchFingerprint, 0x7ba9_2c41_23a5_1678)
    XCTAssertEqual(state.best?.loss, 4.311434862349118)
    XCTAssertEqual(state.elapsedSeconds, 83.16723323200004)
    XCTAssertEqual(TrainerCheckpointFile.stateJSON(state), old)
    XCTAssertNil(TrainerState(json: try JSONParser.parse(#"{"step":1}"#)))
  }

  func testPointerNamesTheLatestRun() throws {
    try trainBriefly()
    let runs = tiny.path("runs")
    XCTAssertEqual(
      try String(contentsOfFile: "\(runs)/.last-run", encoding: .utf8), "tiny\n")
    XCTAssertEqual(TrainingRunPointer.runDirectory(in: runs), "\(runs)/tiny")
    XCTAssertNil(TrainingRunPointer.runDirectory(in: tiny.path("nowhere")))
  }
}
