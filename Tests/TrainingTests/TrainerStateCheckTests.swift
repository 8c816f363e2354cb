import Data
import Foundation
import XCTest

@testable import Checkpoints
@testable import Training

/// A trainer state edited by hand (or damaged) is refused on `--resume` with one line naming
/// the file and the field, instead of trapping or being silently adjusted.
final class TrainerStateCheckTests: XCTestCase {
  private var tiny: TinyRun!

  override func setUpWithError() throws {
    tiny = try TinyRun()
    try tiny.train(try tiny.config(["max_steps": "6", "valid_bleu": "false"]))
  }

  override func tearDown() {
    tiny.remove()
  }

  private var statePath: String { "\(tiny.runDirectory)/last/trainer.safetensors" }

  /// Rewrites the saved state with `change` applied.
  private func tamper(_ change: (inout TrainerState) -> Void) throws {
    var file = try SafeTensorsFile(contentsOf: statePath)
    var state = try TrainerCheckpointFile.state(of: file, path: statePath)
    change(&state)
    file.metadata[TrainerCheckpointFile.stateKey] = TrainerCheckpointFile.stateJSON(state)
    try file.write(to: statePath)
  }

  /// The message resuming throws.
  private func resumeMessage() throws -> String {
    do {
      try tiny.train(try tiny.config(), resume: true)
    } catch {
      return "\(error)"
    }
    XCTFail("resumed")
    return ""
  }

  private func assertRefused(
    _ reason: String, file: StaticString = #filePath, line: UInt = #line,
    _ change: (inout TrainerState) -> Void
  ) throws {
    try tamper(change)
    let text = try resumeMessage()
    XCTAssertTrue(
      text.hasPrefix("\(statePath): damaged checkpoint: \(reason); HINT: "), text, file: file,
      line: line)
    XCTAssertFalse(text.contains("\n"), text, file: file, line: line)
  }

  func testHugeStepIsRefused() throws {
    try assertRefused(
      "its trainer state's \"step\" is 4611686018427387904, outside 0...9007199254740992"
    ) { $0.step = 1 << 62 }
  }

  func testNegativeElapsedTimeIsRefused() throws {
    try assertRefused(
      "its trainer state's \"elapsed_seconds\" is -1e+300, not a number of seconds in 0...1e12"
    ) { $0.elapsedSeconds = -1e300 }
  }

  func testNegativePositionIsRefused() throws {
    try assertRefused(
      "its trainer state's \"position.epoch\" is -5, outside 0...9007199254740992"
    ) { $0.position.epoch = -5 }
  }

  func testNegativeBatchIndexIsRefused() throws {
    try assertRefused(
      "its trainer state's \"position.batchIndex\" is -1, outside 0...9007199254740992"
    ) { $0.position.batchIndex = -1 }
  }

  func testBatchIndexPastItsEpochIsRefused() throws {
    try tamper { $0.position.batchIndex = 999 }
    let text = try resumeMessage()
    XCTAssertTrue(
      text.hasPrefix(
        "\(statePath): damaged checkpoint: its trainer state's \"position.batchIndex\" is 999, "
          + "but epoch 0 has "), text)
    XCTAssertFalse(text.contains("\n"), text)
  }

  func testValidationAfterTheStepIsRefused() throws {
    try assertRefused(
      "its trainer state's \"best.step\" is 7, outside 0...6 (\"step\")"
    ) { $0.best?.step = 7 }
  }

  /// A negative step with a validation on record is refused, not a trap in the range check.
  func testNegativeStepWithAValidationIsRefused() throws {
    try assertRefused(
      "its trainer state's \"step\" is -1, outside 0...9007199254740992"
    ) { $0.step = -1 }
  }

  /// The suggestion of a larger limit saturates rather than overflowing.
  func testNothingToDoMessageNeverOverflows() {
    let text = TrainingError.nothingToDoMessage(
      directory: "runs/x", step: .max, reason: .maxSteps(.max))
    XCTAssertTrue(text.hasSuffix("--set training.max_steps=\(Int.max)"), text)
  }
}
