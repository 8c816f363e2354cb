import Checkpoints
import Config
import Decoding
import Foundation
import NN
import Tensors
import Tokenizer
import Training
import XCTest

@testable import CLI

/// A run directory with step checkpoints of one tiny model, each with different random weights.
struct AverageFixture {
  let directory: TemporaryDirectory
  /// `run/`.
  let run: String
  let bpe: BPEModel
  let config: RunConfig

  init(steps: [Int]) throws {
    directory = try TemporaryDirectory()
    let text = ["the cat sat on the mat", "a dog ran home", "le chat", "un chien"]
    bpe = try BPEModel.learn(lines: text, vocabularySize: 300, minimumPairCount: 1)
    var config = RunConfig()
    config.model.encoderLayerCount = 1
    config.model.decoderLayerCount = 1
    config.model.modelWidth = 16
    config.model.headCount = 2
    config.model.feedForwardWidth = 32
    config.model.maxPositions = 64
    config.data.maxLength = 60
    self.config = config
    run = directory.path("run")
    for step in steps {
      try writeCheckpoint(CheckpointStore(directory: run).stepPath(step), seed: UInt64(step))
    }
  }

  /// Writes a checkpoint of the fixture's model with weights from `seed`; `modelWidth`
  /// changes the architecture.
  func writeCheckpoint(_ path: String, seed: UInt64, modelWidth: Int = 16) throws {
    var config = self.config
    config.model.modelWidth = modelWidth
    let model = Transformer(
      configuration: config.transformerConfiguration(vocabularySize: bpe.vocabulary.count),
      seed: seed)
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    try Checkpoint.write(
      into: path, model: model, config: config, vocabulary: TrainingVocabulary(joint: bpe),
      trainer: nil)
  }

  func step(_ step: Int) -> String { CheckpointStore(directory: run).stepPath(step) }

  static func model(in checkpoint: String) throws -> SafeTensorsFile {
    try SafeTensorsFile(contentsOf: CheckpointStore.join(checkpoint, Checkpoint.modelFileName))
  }
}

final class AverageCommandTests: XCTestCase {

  static let help = """
    OVERVIEW: Average the weights of the last checkpoints of a run.

    Writes the element-wise mean of the parameters of the given checkpoint
    directories (such as runs/x/checkpoints/step-000500 or runs/x/best, or a
    file in one such as its model.safetensors), as Vaswani et al. 2017
    (section 6.1) average the last checkpoints of a run before decoding. With
    --last N the single argument is a run directory and its newest N step
    checkpoints (checkpoints/step-*/, by step) are averaged; step checkpoints
    of a later step than its last/ are left out, with a warning:
      transformer-cli average --last 5 --output runs/m30k/averaged runs/m30k

    Every checkpoint must hold the same model configuration, the same tensor
    names and shapes and the same BPE model as the newest one (the last given);
    the error names the checkpoint and the field or tensor that differs. Sums
    are taken in double precision.

    --output gets model.safetensors and, copied from the newest checkpoint,
    config.json and the BPE model: a checkpoint for 'translate --checkpoint'
    and 'eval --checkpoint'. Adam's moments are not averaged, so it has no
    trainer.safetensors and cannot be resumed. The directory is written under
    a hidden name beside it and renamed into place; an existing non-empty one
    is replaced only with --force, and only when it is a checkpoint (it holds
    model.safetensors and no file a checkpoint does not have).

    USAGE: transformer-cli average --output <dir> [--last <count>] [--force]
      [--threads <count>] <checkpoint> ...

    ARGUMENTS:
      <checkpoint>            Checkpoint directories, oldest first; with --last, one
                              run directory.

    OPTIONS:
      --output <dir>          The checkpoint directory to write.
      --last <count>          Average the newest <count> step checkpoints of the run
                              directory given.
      --force                 Replace --output if it exists.
      --threads <count>       Threads the kernels use (default:
                              $TRANSFORMER_THREADS, else one per processor).
      -h, --help              Show help information.

    """

  func testHelp() {
    let run = CLIRun("average", "--help")
    XCTAssertEqual(run.status, 0)
    XCTAssertEqual(run.output, Self.help)
    XCTAssertEqual(CLIRun("help", "average").output, Self.help)
  }
  var fixture: AverageFixture!

  override func setUpWithError() throws {
    fixture = try AverageFixture(steps: [100, 200, 999_999, 1_000_000])
  }
  override func tearDownWithError() throws { fixture.directory.remove() }

  /// Every element of the output equals the Float nearest the exact mean of the inputs.
  private func assertMean(of checkpoints: [String], in output: String) throws {
    let averaged = try AverageFixture.model(in: output)
    let inputs = try checkpoints.map(AverageFixture.model(in:))
    XCTAssertEqual(averaged.tensors.map(\.name), inputs.last?.tensors.map(\.name))
    for entry in averaged.tensors {
      let values = inputs.map { $0[entry.name]!.withUnsafeBufferPointer(Array.init) }
      let expected = (0..<entry.tensor.count).map { position in
        Float(values.map { Double($0[position]) }.reduce(0, +) / Double(values.count))
      }
      XCTAssertEqual(entry.tensor.shape, inputs[0][entry.name]!.shape, entry.name)
      XCTAssertEqual(entry.tensor.withUnsafeBufferPointer(Array.init), expected, entry.name)
    }
  }

  /// A checkpoint written before `init` and `attention` were in the metadata averages with a
  /// new one of the same model.
  func testCheckpointsOfEarlierVersionsAverageWithNewOnes() throws {
    let old = fixture.step(100)
    let path = CheckpointStore.join(old, Checkpoint.modelFileName)
    var file = try SafeTensorsFile(contentsOf: path)
    let key = Transformer.configurationMetadataKey
    let text = try XCTUnwrap(file.metadata[key])
    file.metadata[key] = text.replacingOccurrences(of: #""init":"xavier_uniform","#, with: "")
      .replacingOccurrences(of: #""attention":"auto","#, with: "")
    XCTAssertNotEqual(file.metadata[key], text)
    try file.write(to: path)
    let output = fixture.directory.path("averaged")
    let run = CLIRun("average", "--output", output, old, fixture.step(200))
    XCTAssertEqual(run.status, 0, run.errors)
    try assertMean(of: [old, fixture.step(200)], in: output)
  }

  func testAveragesTwoCheckpointsElementWise() throws {
    let output = fixture.directory.path("averaged")
    let inputs = [fixture.step(100), fixture.step(200)]
    let run = CLIRun("average", "--output", output, inputs[0], inputs[1])
    XCTAssertEqual(run.status, 0, run.errors)
    XCTAssertEqual(run.errors, "")
    try assertMean(of: inputs, in: output)
    XCTAssertEqual(
      try FileManager.default.contentsOfDirectory(atPath: output).sorted(),
      ["bpe.model", "config.json", "model.safetensors"])
    for name in ["bpe.model", "config.json"] {
      XCTAssertEqual(
        FileManager.default.contents(atPath: CheckpointStore.join(output, name)),
        FileManager.default.contents(atPath: CheckpointStore.join(inputs[1], name)), name)
    }
    // Nothing left beside it.
    XCTAssertEqual(try fixture.directory.contents(), ["averaged", "run"])
  }

  func testLastSelectsTheNewestStepsByNumber() throws {
    XCTAssertEqual(
      try CheckpointAverage.lastSteps(2, inRun: fixture.run),
      [fixture.step(999_999), fixture.step(1_000_000)])
    let output = CheckpointStore.join(fixture.run, "averaged")
    let run = CLIRun("average", "--last", "3", "--output", output, fixture.run)
    XCTAssertEqual(run.status, 0, run.errors)
    try assertMean(
      of: [fixture.step(200), fixture.step(999_999), fixture.step(1_000_000)], in: output)
  }

  /// Step checkpoints of a later step than last/ are left from a later state of the run (its
  /// last/ replaced by an older checkpoint): `--last` leaves them out, saying so.
  func testLastLeavesOutStepsAfterLastWithAWarning() throws {
    let last = CheckpointStore(directory: fixture.run).lastPath
    try FileManager.default.createDirectory(atPath: last, withIntermediateDirectories: true)
    let state = SafeTensorsFile(
      tensors: [], metadata: [TrainerCheckpointFile.stateKey: #"{"step":200}"#])
    try state.write(to: CheckpointStore.join(last, TrainerCheckpointFile.fileName))
    let output = fixture.directory.path("averaged")
    let run = CLIRun("average", "--last", "1", "--output", output, fixture.run)
    XCTAssertEqual(run.status, 0, run.errors)
    XCTAssertEqual(
      run.errors,
      "warning: left out '\(fixture.step(999_999))' and '\(fixture.step(1_000_000))': of a "
        + "later step than last/ (step 200), so left from a later state of the run; name them "
        + "to average them, or remove them\n")
    XCTAssertEqual(run.output, "averaged 1 checkpoint into '\(output)': \(fixture.step(200))\n")
    let tooFew = CLIRun(
      "average", "--last", "3", "--output", fixture.directory.path("b"), fixture.run)
    XCTAssertEqual(tooFew.status, 1)
    XCTAssertTrue(tooFew.errors.contains("holds 2 step checkpoints"), tooFew.errors)
  }

  /// The checkpoint arguments are taken as `translate --checkpoint` takes them: a file inside a
  /// checkpoint names its directory; a run directory is refused with what to name instead.
  func testCheckpointArgumentsAreResolvedAsTranslateResolvesThem() throws {
    let output = fixture.directory.path("averaged")
    let files = [100, 200].map { CheckpointStore.join(fixture.step($0), Checkpoint.modelFileName) }
    let run = CLIRun("average", "--output", output, files[0], files[1])
    XCTAssertEqual(run.status, 0, run.errors)
    XCTAssertEqual(
      run.output,
      "averaged 2 checkpoints into '\(output)': \(fixture.step(100)), \(fixture.step(200))\n")
    try assertMean(of: [fixture.step(100), fixture.step(200)], in: output)
    // One checkpoint by two spellings still counts once.
    let twice = CLIRun(
      "average", "--output", fixture.directory.path("b"), files[0], fixture.step(100))
    XCTAssertEqual(twice.status, 1)
    XCTAssertTrue(twice.errors.contains("are the same checkpoint"), twice.errors)

    let runDirectory = CLIRun(
      "average", "--output", fixture.directory.path("c"), fixture.run, fixture.step(100))
    XCTAssertEqual(runDirectory.status, 1)
    XCTAssertEqual(
      runDirectory.errors,
      "Error: '\(fixture.run)' is a run directory, not a checkpoint; name the checkpoints to "
        + "average ('\(fixture.run)/checkpoints/step-N', '\(fixture.run)/best' or "
        + "'\(fixture.run)/last'), or pass --last N to average its newest N step checkpoints\n")
    let stray = try fixture.directory.write("notes.txt", "x")
    let outside = CLIRun("average", "--output", fixture.directory.path("d"), stray)
    XCTAssertEqual(outside.status, 1)
    XCTAssertTrue(outside.errors.contains("is a file outside any checkpoint"), outside.errors)
    XCTAssertEqual(try fixture.directory.contents(), ["averaged", "notes.txt", "run"])
  }

  func testTooFewStepsIsAnError() {
    let run = CLIRun("average", "--last", "5", "--output", fixture.directory.path("a"), fixture.run)
    XCTAssertEqual(run.status, 1)
    XCTAssertTrue(run.errors.contains("holds 4 step checkpoints"), run.errors)
  }

  func testAveragedCheckpointTranslates() throws {
    let output = fixture.directory.path("averaged")
    XCTAssertEqual(
      CLIRun("average", "--output", output, fixture.step(100), fixture.step(200)).status, 0)
    let model = try Transformer(
      contentsOf: CheckpointStore.join(output, Checkpoint.modelFileName))
    XCTAssertEqual(model.configuration.modelWidth, 16)
    let translator = try Translator(checkpoint: output, options: DecodingOptions(beamSize: 2))
    let run = CLIRun("translate", "--checkpoint", output, "--beam", "2", "the cat sat")
    XCTAssertEqual(run.status, 0, run.errors)
    XCTAssertEqual(run.output, translator.translate(["the cat sat"])[0] + "\n")
  }

  func testMismatchedConfigurationNamesCheckpointAndField() throws {
    let other = fixture.directory.path("wide")
    try fixture.writeCheckpoint(other, seed: 3, modelWidth: 32)
    let run = CLIRun(
      "average", "--output", fixture.directory.path("a"), other, fixture.step(100))
    XCTAssertEqual(run.status, 1)
    XCTAssertTrue(
      run.errors.hasPrefix("Error: '\(other)': model field 'd_model' is 32"), run.errors)
    XCTAssertEqual(run.errors.filter { $0 == "\n" }.count, 1)
    XCTAssertFalse(FileManager.default.fileExists(atPath: fixture.directory.path("a")))
  }

  func testMismatchedTensorNamesTheTensor() throws {
    let path = CheckpointStore.join(fixture.step(100), Checkpoint.modelFileName)
    var file = try SafeTensorsFile(contentsOf: path)
    let name = file.tensors[1].name
    file.tensors[1].tensor = Tensor(shape: [3, 5], repeating: 0)
    try file.write(to: path)
    let run = CLIRun(
      "average", "--output", fixture.directory.path("a"), fixture.step(100), fixture.step(200))
    XCTAssertEqual(run.status, 1)
    XCTAssertTrue(
      run.errors.contains("'\(fixture.step(100))': tensor '\(name)' has shape [3, 5]"), run.errors)
    file.tensors.remove(at: 1)
    try file.write(to: path)
    let missing = CLIRun(
      "average", "--output", fixture.directory.path("a"), fixture.step(100), fixture.step(200))
    XCTAssertTrue(missing.errors.contains("tensor '\(name)' is missing"), missing.errors)
  }

  func testRefusesANonEmptyOutputWithoutForce() throws {
    let output = fixture.directory.path("averaged")
    XCTAssertEqual(CLIRun("average", "--output", output, fixture.step(200)).status, 0)
    let refused = CLIRun("average", "--output", output, fixture.step(100))
    XCTAssertEqual(refused.status, 1)
    XCTAssertTrue(refused.errors.contains("pass --force"), refused.errors)
    // An earlier average is replaced with --force.
    let forced = CLIRun("average", "--force", "--output", output, fixture.step(100))
    XCTAssertEqual(forced.status, 0, forced.errors)
    XCTAssertEqual(
      try FileManager.default.contentsOfDirectory(atPath: output).sorted(),
      ["bpe.model", "config.json", "model.safetensors"])
    XCTAssertEqual(try fixture.directory.contents(), ["averaged", "run"])
    // A training checkpoint is not: resuming needs its trainer state.
    try fixture.directory.write("averaged/trainer.safetensors", "x")
    let training = CLIRun("average", "--force", "--output", output, fixture.step(100))
    XCTAssertEqual(training.status, 1)
    XCTAssertTrue(
      training.errors.contains("it is a training checkpoint, whose trainer.safetensors"),
      training.errors)
  }

  /// `--force` never replaces a run's own checkpoints (a step checkpoint has no trainer state).
  func testForceLeavesARunsCheckpointsAlone() throws {
    let step = fixture.step(100)
    let before = try FileManager.default.contentsOfDirectory(atPath: step).sorted()
    let refused = CLIRun("average", "--force", "--output", step, fixture.step(200))
    XCTAssertEqual(refused.status, 1)
    XCTAssertTrue(refused.errors.contains("it is a checkpoint of the run '"), refused.errors)
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: step).sorted(), before)
    // An average kept inside the run directory is not one of its checkpoints: --force redoes it.
    _ = try fixture.directory.write("run/metrics.jsonl", "{\"step\":100,\"loss\":1}\n")
    let kept = fixture.run + "/average"
    XCTAssertEqual(CLIRun("average", "--output", kept, fixture.step(100)).status, 0)
    let redone = CLIRun("average", "--force", "--output", kept, fixture.step(200))
    XCTAssertEqual(redone.status, 0, redone.errors)
    // Its best/ is, even without a trainer state.
    let best = fixture.run + "/best"
    XCTAssertEqual(CLIRun("average", "--output", best, fixture.step(100)).status, 0)
    let refusedBest = CLIRun("average", "--force", "--output", best, fixture.step(200))
    XCTAssertEqual(refusedBest.status, 1)
    XCTAssertTrue(
      refusedBest.errors.contains("it is a checkpoint of the run '"), refusedBest.errors)
  }

  /// `average --output DIR --force` once replaced any directory, a project's sources included.
  func testForceReplacesOnlyACheckpoint() throws {
    let manager = FileManager.default
    let output = fixture.directory.path("project")
    try manager.createDirectory(atPath: output + "/src", withIntermediateDirectories: true)
    try fixture.directory.write("project/src/main.c", "int main(){}\n")
    try fixture.directory.write("project/config.json", "{}\n")
    let refused = CLIRun("average", "--force", "--output", output, fixture.step(100))
    XCTAssertEqual(refused.status, 1)
    XCTAssertEqual(
      refused.errors,
      "Error: '\(output)' cannot be replaced (it holds 'src', which no checkpoint has); --force "
        + "replaces only an empty directory or an earlier average, so choose another --output\n")
    try manager.removeItem(atPath: output + "/src")
    let noModel = CLIRun("average", "--force", "--output", output, fixture.step(100))
    XCTAssertTrue(noModel.errors.contains("(it holds no model.safetensors)"), noModel.errors)
    // A directory named like a checkpoint's file is not one either.
    try manager.createDirectory(
      atPath: output + "/model.safetensors", withIntermediateDirectories: false)
    let directoryEntry = CLIRun("average", "--force", "--output", output, fixture.step(100))
    XCTAssertTrue(
      directoryEntry.errors.contains("its 'model.safetensors' is a directory"),
      directoryEntry.errors)
    XCTAssertEqual(
      try manager.contentsOfDirectory(atPath: output).sorted(),
      ["config.json", "model.safetensors"])
    XCTAssertEqual(try fixture.directory.read("project/config.json"), "{}\n")
    // An empty directory needs no --force.
    let empty = fixture.directory.path("empty")
    try manager.createDirectory(atPath: empty, withIntermediateDirectories: false)
    XCTAssertEqual(CLIRun("average", "--output", empty, fixture.step(100)).status, 0)
  }

  func testUsageErrors() {
    XCTAssertEqual(CLIRun("average", fixture.step(100)).status, 64)
    XCTAssertEqual(CLIRun("average", "--output", "x").status, 64)
    let twoRuns = CLIRun("average", "--last", "2", "--output", "x", "a", "b")
    XCTAssertEqual(twoRuns.status, 64)
    XCTAssertTrue(twoRuns.errors.contains("one run directory"), twoRuns.errors)
  }
}
