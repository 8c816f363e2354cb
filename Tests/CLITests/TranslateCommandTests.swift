import Checkpoints
import Config
import Decoding
import Foundation
import Metrics
import NN
import Tokenizer
import XCTest

@testable import CLI

/// A checkpoint directory of a tiny random model, as `train` writes one, with a test split.
struct TranslateFixture {
  let directory: TemporaryDirectory
  /// `checkpoint/`.
  let checkpoint: String
  let sourceLines = ["the cat sat on the mat", "", "a dog ran home", "the dog sat"]
  let referenceLines = ["le chat", "", "un chien", "le chien"]

  init() throws {
    directory = try TemporaryDirectory()
    let text = sourceLines + referenceLines + ["the cat and the dog", "un chat et un chien"]
    let bpe = try BPEModel.learn(lines: text, vocabularySize: 300, minimumPairCount: 1)
    var config = RunConfig()
    config.model.encoderLayerCount = 1
    config.model.decoderLayerCount = 1
    config.model.modelWidth = 16
    config.model.headCount = 2
    config.model.feedForwardWidth = 32
    config.model.maxPositions = 64
    config.data.maxLength = 60
    config.data.testSource = try directory.write(
      "test.src", sourceLines.joined(separator: "\n") + "\n")
    config.data.testTarget = try directory.write(
      "test.ref", referenceLines.joined(separator: "\n") + "\n")
    let model = Transformer(
      configuration: config.transformerConfiguration(
        vocabularySize: bpe.vocabulary.count), seed: 5)
    checkpoint = directory.path("checkpoint")
    try FileManager.default.createDirectory(
      atPath: checkpoint, withIntermediateDirectories: true)
    try Checkpoint.write(
      into: checkpoint, model: model, config: config,
      vocabulary: TrainingVocabulary(joint: bpe), trainer: nil)
  }

  /// The translator the command should use, with `options`.
  func translator(_ options: DecodingOptions = DecodingOptions()) throws -> Translator {
    try Translator(checkpoint: checkpoint, options: options)
  }
}

final class TranslateCommandTests: XCTestCase {
  var fixture: TranslateFixture!

  override func setUpWithError() throws { fixture = try TranslateFixture() }
  override func tearDownWithError() throws { fixture.directory.remove() }

  func testTranslatesTheArgument() throws {
    let run = CLIRun("translate", "--checkpoint", fixture.checkpoint, "the cat sat")
    XCTAssertEqual(run.status, 0, run.errors)
    XCTAssertEqual(run.errors, "checkpoint: \(fixture.checkpoint)\n")
    let expected = try fixture.translator().translate(["the cat sat"])[0]
    XCTAssertEqual(run.output, expected + "\n")
  }

  func testRunDirectoryAndModelFileFindTheCheckpoint() throws {
    let run = fixture.directory.path("run")
    try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: fixture.checkpoint, toPath: run + "/best")
    let fromRun = CLIRun("translate", "--checkpoint", run, "the cat sat")
    XCTAssertEqual(fromRun.status, 0, fromRun.errors)
    XCTAssertEqual(
      fromRun.errors, "checkpoint: \(run)/best (best/ of the run directory '\(run)')\n")
    let model = fixture.checkpoint + "/model.safetensors"
    let fromFile = CLIRun("translate", "--checkpoint", model, "the cat sat")
    XCTAssertEqual(fromFile.status, 0, fromFile.errors)
    XCTAssertEqual(
      fromFile.errors, "checkpoint: \(fixture.checkpoint) (the directory of '\(model)')\n")
    XCTAssertEqual(fromFile.output, fromRun.output)
  }

  func testLongInputIsTranslatedWithAWarningNamingTheLine() throws {
    let long = Array(repeating: "the cat sat on the mat", count: 20).joined(separator: " ")
    let input = try fixture.directory.write("long.txt", "a dog ran home\n\(long)\n")
    let run = CLIRun("translate", "--checkpoint", fixture.checkpoint, "--quiet", "--input", input)
    XCTAssertEqual(run.status, 0, run.errors)
    let translator = try fixture.translator()
    let pieces = translator.sourcePieceCount(long)
    XCTAssertEqual(translator.maxSourcePieces, 63)
    XCTAssertGreaterThan(pieces, 63)
    XCTAssertEqual(
      run.errors,
      "warning: line 2 of '\(input)' has \(pieces) BPE pieces, more than the 63 the model "
        + "reads (model.max_positions 64, one for </s>); only its first 63 pieces are "
        + "translated\n")
    XCTAssertEqual(run.output.split(separator: "\n", omittingEmptySubsequences: false).count, 3)
    let argument = CLIRun("translate", "--checkpoint", fixture.checkpoint, "--quiet", long)
    XCTAssertTrue(argument.errors.hasPrefix("warning: the sentence has \(pieces) BPE pieces"))
  }

  func testOutputIsNeverTheInputAndIsReplacedOnlyWithForce() throws {
    let input = fixture.directory.path("test.src")
    let same = CLIRun(
      "translate", "--checkpoint", fixture.checkpoint, "--input", input, "--output",
      fixture.directory.path("./test.src"))
    XCTAssertEqual(same.status, 64)
    XCTAssertTrue(same.errors.contains("is the --input file"), same.errors)
    XCTAssertEqual(
      try fixture.directory.read("test.src"),
      fixture.sourceLines.joined(separator: "\n") + "\n")
    // A hard link is the same file under another name.
    let link = fixture.directory.path("link.src")
    try FileManager.default.linkItem(atPath: input, toPath: link)
    defer { try? FileManager.default.removeItem(atPath: link) }
    let linked = CLIRun(
      "translate", "--checkpoint", fixture.checkpoint, "--input", input, "--output", link,
      "--force")
    XCTAssertEqual(linked.status, 64, linked.errors)
    XCTAssertTrue(linked.errors.contains("is the --input file"), linked.errors)
    XCTAssertEqual(
      try fixture.directory.read("test.src"),
      fixture.sourceLines.joined(separator: "\n") + "\n")

    let output = try fixture.directory.write("out.txt", "keep me\n")
    let refused = CLIRun(
      "translate", "--checkpoint", fixture.checkpoint, "--input", input, "--output", output)
    XCTAssertEqual(refused.status, 1)
    XCTAssertEqual(
      refused.errors,
      "Error: '\(output)' exists; pass --force to replace it, or choose another --output\n")
    XCTAssertEqual(try fixture.directory.read("out.txt"), "keep me\n")
    let forced = CLIRun(
      "translate", "--checkpoint", fixture.checkpoint, "--input", input, "--output", output,
      "--force")
    XCTAssertEqual(forced.status, 0, forced.errors)
    XCTAssertNotEqual(try fixture.directory.read("out.txt"), "keep me\n")
  }

  func testASplitSentenceSuggestsQuotes() {
    let run = CLIRun("translate", "--checkpoint", fixture.checkpoint, "Cheolsu", "gave", "apples")
    XCTAssertEqual(run.status, 64)
    XCTAssertEqual(
      run.errors,
      "Error: unexpected argument 'gave' for 'translate'; quote a sentence of several words, "
        + "as in 'transformer-cli translate \"Cheolsu gave apples\"'. "
        + "(see 'transformer-cli translate --help')\n")
  }

  func testFileToFileKeepsLinesAndEmptyLines() throws {
    let output = fixture.directory.path("out.txt")
    let run = CLIRun(
      "translate", "--checkpoint", fixture.checkpoint, "--beam", "2", "--input",
      fixture.directory.path("test.src"), "--output", output)
    XCTAssertEqual(run.status, 0, run.errors)
    XCTAssertEqual(run.output, "")
    let lines = try String(contentsOfFile: output, encoding: .utf8)
    let expected = try fixture.translator(DecodingOptions(beamSize: 2)).translate(
      fixture.sourceLines)
    XCTAssertEqual(lines, expected.map { $0 + "\n" }.joined())
    XCTAssertEqual(expected[1], "")
  }

  func testNBestPrintsScoredHypotheses() throws {
    let run = CLIRun(
      "translate", "--checkpoint", fixture.checkpoint, "--beam", "3", "--nbest", "3",
      "a dog ran")
    XCTAssertEqual(run.status, 0, run.errors)
    let lines = run.output.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
    XCTAssertEqual(lines.count, 3)
    var previous = Float.infinity
    for line in lines {
      let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
      XCTAssertEqual(fields.count, 3)
      XCTAssertEqual(fields[0], "0")
      let score = try XCTUnwrap(Float(fields[2]))
      XCTAssertLessThanOrEqual(score, previous)
      previous = score
    }
  }

  /// A beam as wide as the vocabulary lists the byte pieces for LF, TAB and NUL as
  /// hypotheses; each must stay one TSV line of three fields without control characters.
  func testNBestHypothesesStayOneLineEach() throws {
    let run = CLIRun(
      "translate", "--checkpoint", fixture.checkpoint, "--quiet", "--beam", "400", "--nbest",
      "400", "--max-len", "1", "the cat")
    XCTAssertEqual(run.status, 0, run.errors)
    let lines = run.output.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
    XCTAssertGreaterThan(lines.count, 256)
    for line in lines {
      let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
      XCTAssertEqual(fields.count, 3, "\(line.unicodeScalars.map(\.value))")
      XCTAssertEqual(fields[0], "0")
      XCTAssertNotNil(Float(fields[2]), String(line))
      XCTAssertFalse(
        fields[1].unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) },
        "\(line.unicodeScalars.map(\.value))")
    }
  }

  func testMissingCheckpointIsOneLineError() {
    let missing = fixture.directory.path("nowhere")
    let run = CLIRun("translate", "--checkpoint", missing, "hello")
    XCTAssertEqual(run.status, 1)
    XCTAssertEqual(run.output, "")
    XCTAssertEqual(run.errors.filter { $0 == "\n" }.count, 1)
    XCTAssertTrue(run.errors.hasPrefix("Error: '\(missing)': no such checkpoint"), run.errors)
  }

  func testDamagedCheckpointIsOneLineError() throws {
    try fixture.directory.write("checkpoint/model.safetensors", "not a safetensors file")
    let run = CLIRun("translate", "--checkpoint", fixture.checkpoint, "hello")
    XCTAssertEqual(run.status, 1)
    XCTAssertEqual(run.errors.filter { $0 == "\n" }.count, 1, run.errors)
    XCTAssertTrue(run.errors.contains("model.safetensors"), run.errors)
  }

  func testNBestAboveBeamIsAUsageError() {
    let run = CLIRun("translate", "--checkpoint", fixture.checkpoint, "--nbest", "5", "x")
    XCTAssertEqual(run.status, 64)
  }

  func testEvalTranslatesTheTestSplit() throws {
    let output = fixture.directory.path("hypotheses.txt")
    let run = CLIRun(
      "eval", "--bleu", "--chrf", "--json", "--checkpoint", fixture.checkpoint, "--beam", "2",
      "--output", output)
    XCTAssertEqual(run.status, 0, run.errors)
    XCTAssertEqual(
      run.errors,
      "checkpoint: \(fixture.checkpoint)\ntranslating 4 lines of "
        + "'\(fixture.directory.path("test.src"))' with beam 2, alpha 0.6\n")
    let hypotheses = try fixture.translator(DecodingOptions(beamSize: 2)).translate(
      fixture.sourceLines)
    let bleu = try BLEU.corpusScore(hypotheses: hypotheses, references: [fixture.referenceLines])
    let chrf = try CHRF.corpusScore(hypotheses: hypotheses, references: [fixture.referenceLines])
    XCTAssertEqual(run.output, bleu.jsonLine + "\n" + chrf.jsonLine + "\n")
    XCTAssertEqual(
      try String(contentsOfFile: output, encoding: .utf8), hypotheses.map { $0 + "\n" }.joined())
    let again = CLIRun(
      "eval", "--bleu", "--checkpoint", fixture.checkpoint, "--output", output, "--quiet")
    XCTAssertEqual(again.status, 1)
    XCTAssertTrue(again.errors.hasPrefix("Error: '\(output)' exists; pass --force"), again.errors)
  }

  func testEvalWithSourceAndReferenceAndLoss() throws {
    let run = CLIRun(
      "eval", "--bleu", "--loss", "--checkpoint", fixture.checkpoint,
      "--source", fixture.directory.path("test.src"), "--reference",
      fixture.directory.path("test.ref"))
    XCTAssertEqual(run.status, 0, run.errors)
    let lines = run.output.split(separator: "\n")
    guard lines.count == 3 else { return XCTFail("3 lines expected: \(run.output)") }
    XCTAssertTrue(lines[0].hasPrefix("loss = "), run.output)
    XCTAssertTrue(lines[1].hasPrefix("BLEU = "), run.output)
  }
}
