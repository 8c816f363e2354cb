import Config
import Foundation
import Tensors
import XCTest

@testable import Training

/// Absurd numbers that reach the trainer (a config built in code, a tampered state) give text
/// or a bounded value instead of trapping, and a stop request ends a long step promptly.
final class TrainingInputLimitTests: XCTestCase {
  private var tiny: TinyRun!

  override func setUpWithError() throws {
    tiny = try TinyRun()
  }

  override func tearDown() {
    tiny.remove()
  }

  func testDurationFormatsAnyNumber() {
    XCTAssertEqual(TrainingFormat.duration(3723), "1:02:03")
    XCTAssertEqual(TrainingFormat.duration(0), "0:00")
    XCTAssertEqual(TrainingFormat.duration(-5), "-0:05")
    XCTAssertEqual(TrainingFormat.duration(-0.2), "0:00")
    XCTAssertEqual(TrainingFormat.duration(.infinity), "?")
    XCTAssertEqual(TrainingFormat.duration(-.infinity), "?")
    XCTAssertEqual(TrainingFormat.duration(.nan), "?")
    // Beyond Int: capped at 1e15 s rather than trapping in the conversion.
    XCTAssertEqual(TrainingFormat.duration(1e300), "277777777777:46:40")
    XCTAssertEqual(TrainingFormat.duration(-1e300), "-277777777777:46:40")
    XCTAssertEqual(TrainingFormat.duration(2e17 * 60), "277777777777:46:40")
  }

  func testBucketBytesNeverTrap() {
    XCTAssertEqual(Trainer.bucketBytes(megabytes: 4), 4 << 20)
    XCTAssertEqual(Trainer.bucketBytes(megabytes: 0), 0)
    XCTAssertEqual(Trainer.bucketBytes(megabytes: 1e13), 1_000_000 << 20)
    XCTAssertEqual(Trainer.bucketBytes(megabytes: .greatestFiniteMagnitude), 1_000_000 << 20)
    XCTAssertEqual(Trainer.bucketBytes(megabytes: -1), 0)
    XCTAssertEqual(Trainer.bucketBytes(megabytes: .nan), 0)
  }

  /// A stop request that arrives between the accumulated batches of a step abandons the step
  /// (the first stop request is not ignored until the step ends); the run saves the state
  /// after the last whole step, and resuming from it gives the uninterrupted run's losses.
  func testStopRequestBetweenAccumulatedBatchesAbandonsTheStep() throws {
    let whole = tiny.path("runs/whole")
    try tiny.train(try tiny.config(overrides: ["output.dir=\(whole)"]))
    let expected = try tiny.trainingLosses(in: whole)

    // accumulate 2: step 1 asks before it (call 1) and before its second batch (call 2);
    // step 2 asks before it (call 3) and before its second batch (call 4), which stops.
    var calls = 0
    let run = try TrainingRun(config: try tiny.config(), resume: false) { _ in }
    run.pointerDirectory = tiny.path("runs")
    let summary = try run.run(shouldStop: {
      calls += 1
      return calls == 4
    })
    XCTAssertEqual(summary.reason, .interrupted)
    XCTAssertEqual(summary.steps, 1)
    XCTAssertEqual(try tiny.trainingLosses().count, 1)
    // As the interrupted process's end would.
    run.releaseLock()

    let resumed = try tiny.train(try tiny.config(), resume: true)
    XCTAssertEqual(resumed.summary.reason, .maxSteps(12))
    XCTAssertEqual(try tiny.trainingLosses(), expected)
  }

  /// A test split whose files do not pair up is refused before the first step, as a bad
  /// validation split is, not after training.
  func testMismatchedTestSplitIsRefusedBeforeTraining() throws {
    let config = try tiny.config(overrides: [
      "data.test_source=\(tiny.path("train.src"))", "data.test_target=\(tiny.path("valid.tgt"))",
    ])
    var steps = 0
    XCTAssertThrowsError(
      try TrainingRun(config: config, resume: false) { event in
        if case .step = event { steps += 1 }
      }
    ) { error in
      let text = "\(error)"
      XCTAssertTrue(text.contains("train.src") && text.contains("valid.tgt"), text)
      XCTAssertFalse(text.contains("\n"), text)
    }
    XCTAssertEqual(steps, 0)
    XCTAssertFalse(
      FileManager.default.fileExists(atPath: tiny.runDirectory + "/metrics.jsonl"))
  }

  /// A gradient that overflowed under a finite loss is not taken either: it would put ∞ into
  /// Adam's moments or NaN into the weights, and the checkpoint would then be refused as
  /// damaged. (An ∞ already in a gradient is added to by the step's batches.)
  func testAnOverflowedGradientIsNotTaken() throws {
    let run = try TrainingRun(config: try tiny.config(), resume: false) { _ in }
    defer { run.releaseLock() }
    let trainer = run.trainer
    let parameter = trainer.model.parameters[0]
    let before = parameter.value.withUnsafeBufferPointer { Array($0) }
    parameter.updateGradient { gradient in
      gradient = Tensor(shape: parameter.shape, repeating: .infinity)
    }
    let step = trainer.step()
    XCTAssertTrue(step.diverged)
    XCTAssertTrue(step.loss.isFinite, "the loss was finite: only the gradient overflowed")
    XCTAssertEqual(trainer.state.step, 0, "the step was not counted")
    XCTAssertEqual(parameter.value.withUnsafeBufferPointer { Array($0) }, before, "nor taken")
    XCTAssertNil(parameter.gradient, "and its gradients were dropped")
    XCTAssertTrue(
      TrainingError.diverged(step: 1, loss: 2.5).description.hasPrefix(
        "training diverged: the gradient of step 1 overflowed (its loss is 2.5), so the step"))
  }

  /// A learning rate that makes the loss overflow stops the run with a one-line error at the
  /// first step whose loss is not finite, before its twelve steps: every step reported had a
  /// finite loss. (The step is not taken: `Trainer.step` undoes it before the update.)
  func testDivergedRunStopsBeforeTakingTheNonFiniteStep() throws {
    let config = try tiny.config(
      ["peak_lr": "1e30", "clip_norm": "0", "warmup_steps": "1", "schedule": "\"linear\""],
      overrides: ["model.norm=post"])
    var losses: [Double] = []
    let run = try TrainingRun(config: config, resume: false) { event in
      if case .step(let progress) = event { losses.append(progress.figures.loss) }
    }
    run.pointerDirectory = tiny.path("runs")
    XCTAssertThrowsError(try run.run()) { error in
      let text = "\(error)"
      XCTAssertTrue(text.hasPrefix("training diverged: the loss of step "), text)
      XCTAssertTrue(text.contains("training.peak_lr"), text)
      XCTAssertFalse(text.contains("\n"), text)
    }
    // Every step reported was taken with a finite loss.
    XCTAssertTrue(losses.allSatisfy(\.isFinite), "\(losses)")
    XCTAssertLessThan(losses.count, 12)
  }
}
