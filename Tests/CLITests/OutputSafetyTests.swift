import Checkpoints
import Foundation
import NN
import Tokenizer
import XCTest

@testable import CLI
@testable import Support

/// Outputs that would destroy an input or replace something other than a regular file, and
/// the messages of outputs and checkpoints that cannot be used.
final class OutputSafetyTests: XCTestCase {
  private var directory: TemporaryDirectory!

  override func setUpWithError() throws {
    directory = try TemporaryDirectory()
  }

  override func tearDown() {
    directory.remove()
  }

  private static let corpus = "the cat sat on the mat\nthe dog sat on the log\n"

  private func learnModel() throws -> String {
    let input = try directory.write("train.txt", Self.corpus)
    let model = directory.path("model.bpe")
    let run = CLIRun("bpe", "learn", "--vocab-size", "300", "--input", input, "--output", model)
    XCTAssertEqual(run.status, 0, run.errors)
    return model
  }

  /// `bpe learn --output c.en --input c.en` once replaced the corpus by the model.
  func testBPELearnRefusesToWriteOverItsInput() throws {
    let corpus = try directory.write("c.en", Self.corpus)
    let other = try directory.write("c.de", Self.corpus)
    // Another spelling of the same file.
    let spelled = directory.url.appendingPathComponent(".").path + "/c.en"
    let run = CLIRun(
      "bpe", "learn", "--vocab-size", "300", "--input", other, "--input", corpus, "--output",
      spelled)
    XCTAssertEqual(run.status, 64)
    XCTAssertTrue(
      run.errors.hasPrefix(
        "Error: '--output \(spelled)' is an --input file, which this command reads"),
      run.errors)
    XCTAssertEqual(try directory.read("c.en"), Self.corpus)
  }

  /// A streaming command reads its input while writing the output; the output file replacing
  /// the input at the end would lose it.
  func testBPEEncodeRefusesToWriteOverItsInput() throws {
    let model = try learnModel()
    let input = directory.path("train.txt")
    try FileManager.default.createSymbolicLink(
      atPath: directory.path("alias.txt"), withDestinationPath: input)
    try FileManager.default.linkItem(atPath: input, toPath: directory.path("hard.txt"))
    // The same file by name, through a symbolic link and through a hard link: refused before
    // anything is read, on any system (not only where /proc shows the open input).
    for output in [input, directory.path("alias.txt"), directory.path("hard.txt")] {
      let run = CLIRun("bpe", "encode", "--model", model, "--input", input, "--output", output)
      XCTAssertEqual(run.status, 64, output)
      XCTAssertEqual(run.errors.filter { $0 == "\n" }.count, 1, run.errors)
      XCTAssertTrue(
        run.errors.hasPrefix("Error: '--output \(output)' is the --input file"), run.errors)
    }
    XCTAssertEqual(try directory.read("train.txt"), Self.corpus)
    XCTAssertEqual(
      try directory.contents(), ["alias.txt", "hard.txt", "model.bpe", "train.txt"])
  }

  /// `--output` naming a symbolic link or a device was replaced by a regular file.
  func testOutputRefusesAnythingButARegularFile() throws {
    let model = try learnModel()
    let input = directory.path("train.txt")
    let target = try directory.write("target.txt", "keep\n")
    let link = directory.path("link.txt")
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
    let viaLink = CLIRun("bpe", "encode", "--model", model, "--input", input, "--output", link)
    XCTAssertEqual(viaLink.status, 1)
    XCTAssertTrue(
      viaLink.errors.hasPrefix("Error: cannot write '\(link)': it is a symbolic link"),
      viaLink.errors)
    XCTAssertEqual(
      try FileManager.default.destinationOfSymbolicLink(atPath: link), target)
    XCTAssertEqual(try directory.read("target.txt"), "keep\n")

    let device = CLIRun(
      "bpe", "encode", "--model", model, "--input", input, "--output", "/dev/null")
    XCTAssertEqual(device.status, 1)
    XCTAssertEqual(
      device.errors,
      "Error: cannot write '/dev/null': it is a device, not a regular file; choose a regular "
        + "file\n")

    // The model file of `bpe learn` goes through AtomicFile, which refuses the same.
    let learned = CLIRun(
      "bpe", "learn", "--vocab-size", "300", "--input", input, "--output", link)
    XCTAssertEqual(learned.status, 1)
    XCTAssertTrue(learned.errors.contains("it is a symbolic link"), learned.errors)
    XCTAssertEqual(try directory.read("target.txt"), "keep\n")
  }

  /// The messages once said "the directory … does not exist" for a parent that is a file or a
  /// directory where files cannot be created.
  func testOutputMessagesSayWhatIsInTheWay() throws {
    let model = try learnModel()
    let input = directory.path("train.txt")
    let underFile = input + "/x.txt"
    let run = CLIRun("bpe", "encode", "--model", model, "--input", input, "--output", underFile)
    XCTAssertEqual(
      run.errors, "Error: cannot write '\(underFile)': '\(input)' is a file, not a directory\n")
    let missing = directory.path("none/x.txt")
    let missingRun = CLIRun(
      "bpe", "encode", "--model", model, "--input", input, "--output", missing)
    XCTAssertEqual(
      missingRun.errors,
      "Error: cannot write '\(missing)': the directory '\(directory.path("none"))' does not "
        + "exist\n")
    #if os(Linux)
      let proc = CLIRun(
        "bpe", "encode", "--model", model, "--input", input, "--output", "/proc/version")
      XCTAssertEqual(proc.status, 1)
      XCTAssertTrue(
        proc.errors.hasPrefix(
          "Error: cannot write '/proc/version': files cannot be created in "
            + "'/proc'"), proc.errors)
    #endif
  }

  /// `eval --output` equal to `--source` or `--reference` replaced it with the translations.
  func testEvalRefusesToWriteOverSourceOrReference() throws {
    let source = try directory.write("s.txt", "ein Satz\n")
    let reference = try directory.write("r.txt", "a sentence\n")
    let respelled = directory.url.appendingPathComponent("sub/../r.txt").path
    try FileManager.default.createDirectory(
      atPath: directory.path("sub"), withIntermediateDirectories: false)
    for (output, role) in [(source, "the --source file"), (respelled, "a --reference file")] {
      let run = CLIRun(
        "eval", "--checkpoint", directory.path("none"), "--bleu", "--source", source,
        "--reference", reference, "--output", output, "--force")
      XCTAssertEqual(run.status, 64, run.errors)
      XCTAssertTrue(
        run.errors.hasPrefix("Error: '--output \(output)' is \(role), which this command "),
        run.errors)
    }
    XCTAssertEqual(try directory.read("s.txt"), "ein Satz\n")
    XCTAssertEqual(try directory.read("r.txt"), "a sentence\n")
  }

  /// `--force` once let an output replace a file the command reads: the checkpoint's weights,
  /// vocabulary or config, a run's metrics.jsonl, the BPE model being applied.
  func testOutputsRefuseEveryFileTheCommandReads() throws {
    let fixture = try AverageFixture(steps: [100])
    defer { fixture.directory.remove() }
    let checkpoint = fixture.step(100)
    let manager = FileManager.default
    func snapshot() throws -> [String: Data] {
      var files: [String: Data] = [:]
      for name in try manager.contentsOfDirectory(atPath: checkpoint) {
        files[name] = manager.contents(atPath: CheckpointStore.join(checkpoint, name))
      }
      return files
    }
    let before = try snapshot()
    let source = try directory.write("s.txt", "le chat\n")
    let reference = try directory.write("r.txt", "the cat\n")
    let role = { (name: String) in "the \(name) of checkpoint '\(checkpoint)'" }
    let cases: [([String], String, String)] = [
      (["translate", "hallo", "--checkpoint", checkpoint], "bpe.model", role("bpe.model")),
      // The checkpoint named by its weights file, the output by another spelling.
      (
        ["translate", "--input", source, "--checkpoint", checkpoint + "/model.safetensors"],
        "./config.json", role("config.json")
      ),
      (
        ["attention", "hallo", "--checkpoint", checkpoint], "model.safetensors",
        role("model.safetensors")
      ),
      // Not there in this checkpoint, but loading would read it: compared by path.
      (
        ["attention", "hallo", "--checkpoint", checkpoint], "trainer.safetensors",
        role("trainer.safetensors")
      ),
      (
        [
          "eval", "--bleu", "--checkpoint", checkpoint, "--source", source, "--reference",
          reference,
        ], "config.json", role("config.json")
      ),
    ]
    for (arguments, name, role) in cases {
      let option = arguments[0] == "attention" ? "--svg" : "--output"
      let output = CheckpointStore.join(checkpoint, name)
      let run = CLIRun(arguments + [option, output, "--force", "--quiet"])
      XCTAssertEqual(run.status, 64, run.errors)
      XCTAssertEqual(run.errors.filter { $0 == "\n" }.count, 1, run.errors)
      XCTAssertTrue(
        run.errors.hasPrefix(
          "Error: '\(option) \(output)' is \(role), which this command reads; the output "
            + "would replace it, so choose another \(option)"), run.errors)
    }
    XCTAssertEqual(try snapshot(), before)

    // eval's default test split, which the checkpoint's config.json names.
    var config = fixture.config
    config.data.testSource = source
    config.data.testTarget = reference
    let tested = directory.path("tested")
    try manager.createDirectory(atPath: tested, withIntermediateDirectories: false)
    let transformer = Transformer(
      configuration: config.transformerConfiguration(vocabularySize: fixture.bpe.vocabulary.count),
      seed: 1)
    try Checkpoint.write(
      into: tested, model: transformer, config: config,
      vocabulary: TrainingVocabulary(joint: fixture.bpe),
      trainer: nil)
    let eval = CLIRun(
      "eval", "--bleu", "--checkpoint", tested, "--output", reference, "--force", "--quiet")
    XCTAssertEqual(eval.status, 64, eval.errors)
    XCTAssertTrue(
      eval.errors.contains(
        "is the test target '\(reference)' of the checkpoint's config.json, which this command "),
      eval.errors)
    XCTAssertEqual(try directory.read("r.txt"), "the cat\n")

    let text = "{\"step\":1,\"loss\":2.5}\n"
    for run in ["a", "b"] {
      try manager.createDirectory(atPath: directory.path(run), withIntermediateDirectories: false)
      _ = try directory.write("\(run)/metrics.jsonl", text)
    }
    let (first, second) = (directory.path("a"), directory.path("b"))
    let plot = CLIRun("plot", first, second, "--output", second + "/./metrics.jsonl", "--force")
    // Refused on its name first (plot writes .svg only); the metrics file is untouched.
    XCTAssertEqual(plot.status, 64, plot.errors)
    XCTAssertTrue(plot.errors.contains("plot writes SVG, not .jsonl"), plot.errors)
    XCTAssertEqual(try directory.read("b/metrics.jsonl"), text)
    // A link named .svg to a run's metrics is refused as that input.
    let link = directory.path("plot.svg")
    try manager.createSymbolicLink(atPath: link, withDestinationPath: second + "/metrics.jsonl")
    let linked = CLIRun("plot", first, second, "--output", link, "--force")
    XCTAssertEqual(linked.status, 64, linked.errors)
    XCTAssertTrue(
      linked.errors.contains("is the metrics.jsonl of run '\(second)', which this command reads"),
      linked.errors)
    XCTAssertEqual(try directory.read("b/metrics.jsonl"), text)

    // `bpe` writes its --output without --force, but never over its --model.
    let model = try learnModel()
    let modelText = try directory.read("model.bpe")
    for command in ["encode", "decode"] {
      let run = CLIRun(
        "bpe", command, "--model", model, "--input", source, "--output", model)
      XCTAssertEqual(run.status, 64, run.errors)
      XCTAssertTrue(
        run.errors.hasPrefix("Error: '--output \(model)' is the --model file"), run.errors)
    }
    XCTAssertEqual(try directory.read("model.bpe"), modelText)
  }

  /// `average --output RUN --force` replaced the run holding the checkpoints averaged, and a
  /// regular file at --output was replaced by a directory.
  func testAverageRefusesToReplaceItsInputsOrAFile() throws {
    let fixture = try AverageFixture(steps: [100, 200])
    defer { fixture.directory.remove() }
    let run = fixture.run
    for (output, relation) in [
      (run, "holds"), (run + "/", "holds"), (fixture.step(200), "is"),
      (run + "/checkpoints", "holds"),
    ] {
      let refused = CLIRun("average", "--last", "2", "--force", "--output", output, run)
      XCTAssertEqual(refused.status, 64, output)
      XCTAssertTrue(
        refused.errors.hasPrefix("Error: '--output \(output)' \(relation) the checkpoint '"),
        refused.errors)
      XCTAssertTrue(refused.errors.contains("' being averaged, which this command reads"))
    }
    XCTAssertTrue(
      FileManager.default.fileExists(
        atPath: CheckpointStore.join(fixture.step(100), Checkpoint.modelFileName)))
    let file = try fixture.directory.write("somefile.txt", "notes\n")
    let onFile = CLIRun("average", "--force", "--output", file, fixture.step(100))
    XCTAssertEqual(onFile.status, 1)
    XCTAssertTrue(
      onFile.errors.hasPrefix("Error: '--output \(file)' exists and is not a directory"),
      onFile.errors)
    XCTAssertEqual(try fixture.directory.read("somefile.txt"), "notes\n")
  }

  /// `--checkpoint` naming a text file, a run without best/, or an empty directory.
  func testCheckpointMessagesSayWhatIsWrong() throws {
    let text = try directory.write("crlf.txt", "a\r\n")
    XCTAssertThrowsError(try CheckpointLocation.resolve(text)) { error in
      XCTAssertEqual(
        "\(error)",
        "'--checkpoint \(text)' is a file outside any checkpoint; give a checkpoint directory, "
          + "a run directory, or a file inside a checkpoint such as model.safetensors")
    }
    let fixture = try AverageFixture(steps: [])
    defer { fixture.directory.remove() }
    try fixture.writeCheckpoint(
      CheckpointStore.join(fixture.run, CheckpointStore.lastName), seed: 1)
    XCTAssertThrowsError(try CheckpointLocation.resolve(fixture.run)) { error in
      XCTAssertEqual(
        "\(error)",
        "'--checkpoint \(fixture.run)' is a run directory without best/ (written at the first "
          + "validation); pass '--checkpoint \(fixture.run)/last' for its newest checkpoint")
    }
    let empty = directory.path("empty")
    try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: false)
    let run = CLIRun("translate", "--checkpoint", empty, "hallo")
    XCTAssertEqual(run.status, 1)
    XCTAssertEqual(
      run.errors,
      "Error: '--checkpoint \(empty)' holds no checkpoint: neither model.safetensors nor a "
        + "run's best/ or last/\n")
  }

  /// Ctrl-C or SIGTERM while an output is being written once left `.NAME.tmp-PID` behind.
  func testSignalRemovesTheTemporaryOutput() throws {
    let model = try learnModel()
    guard let executable = BPECommandTests.builtExecutable() else {
      throw XCTSkip("the transformer-cli executable is not built beside the tests")
    }
    let output = directory.path("out.txt")
    let process = Process()
    process.executableURL = executable
    process.arguments = ["bpe", "encode", "--model", model, "--output", output]
    let input = Pipe()
    process.standardInput = input
    try process.run()
    defer { if process.isRunning { process.terminate() } }
    input.fileHandleForWriting.write(Data("the cat\n".utf8))
    // The temporary name carries the child's process id, not this one's.
    let temporary = directory.path(".out.txt.tmp-\(process.processIdentifier)")
    let deadline = Date().addingTimeInterval(60)
    while !FileManager.default.fileExists(atPath: temporary), Date() < deadline {
      usleep(10_000)
    }
    XCTAssertTrue(FileManager.default.fileExists(atPath: temporary))
    process.terminate()
    process.waitUntilExit()
    XCTAssertEqual(process.terminationReason, .uncaughtSignal)
    XCTAssertEqual(process.terminationStatus, SIGTERM)
    XCTAssertEqual(try directory.contents(), ["model.bpe", "train.txt"])
  }

  /// The registry the signal handler reads, without sending a signal.
  func testRegisteredTemporaryFilesAreRemovedAndHandlersRestored() throws {
    let path = try directory.write(".x.tmp-1", "partial")
    XCTAssertFalse(TemporaryFiles.handlersInstalled)
    TemporaryFiles.register(path)
    XCTAssertTrue(TemporaryFiles.handlersInstalled)
    TemporaryFiles.removeAll()
    XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    TemporaryFiles.unregister(path)
    XCTAssertFalse(TemporaryFiles.handlersInstalled)
  }
}
