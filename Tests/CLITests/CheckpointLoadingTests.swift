import Checkpoints
import Foundation
import NN
import Tensors
import XCTest

@testable import CLI

/// A checkpoint is refused, in one line naming the file, when its weights are not finite, its
/// format version is unknown, or its config.json describes another model than its
/// model.safetensors; `average` refuses a checkpoint counted twice.
final class CheckpointLoadingTests: XCTestCase {
  private var fixture: AverageFixture!

  override func setUpWithError() throws {
    fixture = try AverageFixture(steps: [50, 60])
  }

  override func tearDown() {
    fixture.directory.remove()
  }

  private var checkpoint: String { fixture.step(60) }
  private var modelPath: String { CheckpointStore.join(checkpoint, Checkpoint.modelFileName) }

  /// The one error line of `run`, which must have failed with status 1.
  private func refusal(_ run: CLIRun, file: StaticString = #filePath, line: UInt = #line)
    -> String
  {
    XCTAssertEqual(run.status, 1, run.output, file: file, line: line)
    XCTAssertEqual(run.errors.filter { $0 == "\n" }.count, 1, run.errors, file: file, line: line)
    return run.errors
  }

  func testNaNWeightsAreRefusedByEveryCommand() throws {
    var file = try SafeTensorsFile(contentsOf: modelPath)
    let name = file.tensors[0].name
    let shape = file.tensors[0].tensor.shape
    file.tensors[0].tensor = Tensor(shape: shape, repeating: .nan)
    try file.write(to: modelPath)
    let expected =
      "\(modelPath): cannot load the checkpoint: tensor \"\(name)\" holds nan (element 0), which "
      + "training never saves, so the file is damaged\n"
    XCTAssertEqual(
      refusal(CLIRun("translate", "--checkpoint", checkpoint, "the cat")), "Error: " + expected)
    XCTAssertEqual(
      refusal(CLIRun("trace", "--checkpoint", checkpoint, "the cat")), "Error: " + expected)
    let output = fixture.directory.path("averaged")
    XCTAssertEqual(
      refusal(CLIRun("average", "--output", output, fixture.step(50), checkpoint)),
      "Error: \(modelPath): tensor \"\(name)\" holds nan (element 0), which training never "
        + "saves, so the file is damaged; leave it out of the average\n")
    XCTAssertFalse(FileManager.default.fileExists(atPath: output))
  }

  /// Without --checkpoint, a runs/.last-run naming a run that is gone says so, naming it,
  /// rather than that no run was recorded.
  func testARecordedRunThatIsGoneIsNamed() throws {
    let previous = FileManager.default.currentDirectoryPath
    XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(fixture.directory.url.path))
    defer { XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(previous)) }
    try FileManager.default.createDirectory(
      atPath: fixture.directory.path("runs"), withIntermediateDirectories: true)
    try fixture.directory.write("runs/.last-run", "gone\n")
    XCTAssertEqual(
      refusal(CLIRun("translate", "the cat")),
      "Error: no checkpoint given, and the run that 'runs/.last-run' records, 'runs/gone', is "
        + "missing (no such directory); pass '--checkpoint <dir>' (a checkpoint or a run "
        + "directory), or train a model again\n")
  }

  func testAnUnknownFormatVersionIsRefused() throws {
    var file = try SafeTensorsFile(contentsOf: modelPath)
    file.metadata[Transformer.formatVersionMetadataKey] = "99"
    try file.write(to: modelPath)
    // Another version's layout, not a damaged file: no advice to copy another checkpoint over
    // it; and `average` must not read it by name and save it as this version's.
    let expected =
      "written in checkpoint format \"99\", but this transformer-cli reads format \"1\" only"
    XCTAssertEqual(
      refusal(CLIRun("translate", "--checkpoint", checkpoint, "the cat")),
      "Error: \(modelPath): cannot load the checkpoint: \(expected); HINT: use the "
        + "transformer-cli that wrote it\n")
    let output = fixture.directory.path("averaged")
    XCTAssertEqual(
      refusal(CLIRun("average", "--output", output, fixture.step(50), checkpoint)),
      "Error: cannot read '\(modelPath)': \(expected)\n")
    XCTAssertFalse(FileManager.default.fileExists(atPath: output))
  }

  /// config.json's model section builds the model, model.safetensors' configuration made the
  /// weights: every key must agree, and both files are named.
  func testConfigDisagreeingWithTheWeightsIsRefused() throws {
    let configPath = CheckpointStore.join(checkpoint, Checkpoint.configFileName)
    let text = try String(contentsOfFile: configPath, encoding: .utf8)
    var json = try XCTUnwrap(
      JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    var model = try XCTUnwrap(json["model"] as? [String: Any])
    model["attention_window"] = 1
    model["max_positions"] = 1000
    json["model"] = model
    try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: configPath))
    XCTAssertEqual(
      refusal(CLIRun("translate", "--checkpoint", checkpoint, "the cat")),
      "Error: \(checkpoint): cannot load the checkpoint: \(configPath) says "
        + "model.max_positions 1000, model.attention_window 1, but \(modelPath) holds a model "
        + "with max_positions 64, attention_window null: the checkpoint's files disagree (one "
        + "was edited or copied from another checkpoint); HINT: put the values "
        + "model.safetensors holds back into config.json, or copy a good checkpoint over it\n")
  }

  func testTheSameCheckpointNamedTwiceIsRefused() throws {
    let output = fixture.directory.path("averaged")
    let respelled = checkpoint + "/."
    XCTAssertEqual(
      refusal(CLIRun("average", "--output", output, checkpoint, fixture.step(50), respelled)),
      "Error: '\(checkpoint)' and '\(respelled)' are the same checkpoint, which would count "
        + "twice in the average; name each checkpoint once\n")
    XCTAssertFalse(FileManager.default.fileExists(atPath: output))
  }

  /// The store hard-links `best/` and `last/` to a step's files: another directory holding
  /// the same weights file is the same checkpoint.
  func testADirectoryOfHardLinksIsTheSameCheckpoint() throws {
    let alias = fixture.directory.path("alias")
    try FileManager.default.createDirectory(atPath: alias, withIntermediateDirectories: false)
    for name in try FileManager.default.contentsOfDirectory(atPath: checkpoint) {
      try FileManager.default.linkItem(
        atPath: CheckpointStore.join(checkpoint, name), toPath: CheckpointStore.join(alias, name))
    }
    let output = fixture.directory.path("averaged")
    XCTAssertEqual(
      refusal(CLIRun("average", "--output", output, checkpoint, alias)),
      "Error: '\(checkpoint)' and '\(alias)' are the same checkpoint, which would count "
        + "twice in the average; name each checkpoint once\n")
    XCTAssertFalse(FileManager.default.fileExists(atPath: output))
  }

  /// `step-60` beside `step-000060` is a second copy of step 60, not another step.
  func testTwoDirectoriesOfOneStepAreRefusedByLast() throws {
    let steps = CheckpointStore(directory: fixture.run).stepsPath
    try FileManager.default.copyItem(
      atPath: checkpoint, toPath: CheckpointStore.join(steps, "step-60"))
    XCTAssertEqual(
      refusal(
        CLIRun("average", "--last", "2", "--output", fixture.directory.path("a"), fixture.run)),
      "Error: '\(steps)' holds 2 checkpoints of step 60 ('step-000060' and 'step-60'), which "
        + "--last would count as two steps; remove the stray copy, or name the checkpoints to "
        + "average\n")
  }
}
