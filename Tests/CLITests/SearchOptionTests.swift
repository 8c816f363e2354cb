import Config
import Foundation
import XCTest

@testable import CLI

/// Search and output options that would otherwise be taken and quietly not honoured: numbers
/// outside decimal notation or their range, a `--max-len` the positions cut, options a mode
/// never uses, output names that are no file, and the pairs `eval --loss` leaves out.
final class SearchOptionTests: XCTestCase {
  var fixture: TranslateFixture!

  override func setUpWithError() throws { fixture = try TranslateFixture() }
  override func tearDownWithError() throws { fixture.directory.remove() }

  private func translate(_ options: String...) -> CLIRun {
    CLIRun(["translate", "--checkpoint", fixture.checkpoint, "--quiet"] + options + ["the cat"])
  }

  func testAlphaIsADecimalNumberUpToItsMaximum() {
    for (text, shown) in [("0x10", "0x10"), ("1e30", "1e30"), ("-1", "-1"), ("10.5", "10.5")] {
      let run = translate("--alpha", text)
      XCTAssertEqual(run.status, 64, text)
      XCTAssertTrue(
        run.errors.hasPrefix(
          "Error: invalid value '\(shown)' for '--alpha': expected a decimal number from 0 to 10"),
        run.errors)
    }
    XCTAssertEqual(translate("--alpha", "10").status, 0)
    XCTAssertEqual(translate("--beam", "0x10").status, 64)
  }

  func testMaxLengthBeyondThePositionsWarnsOnce() throws {
    let input = try fixture.directory.write("in.txt", "the cat\na dog\nthe dog\n")
    let run = CLIRun(
      "translate", "--checkpoint", fixture.checkpoint, "--quiet", "--max-len", "500", "--input",
      input)
    XCTAssertEqual(run.status, 0, run.errors)
    XCTAssertEqual(
      run.errors,
      "warning: --max-len 500 is more than the model's positions hold: translations stop at 63 "
        + "pieces (model.max_positions 64, one for <s>)\n")
    XCTAssertEqual(run.output.split(separator: "\n", omittingEmptySubsequences: false).count, 4)
    XCTAssertEqual(translate("--max-len", "63").errors, "")
  }

  /// A decoder-only model's one sequence holds the source too: even a 1-piece source leaves
  /// max_positions − 3 pieces for the translation.
  func testMaxLengthWarningOfADecoderOnlyModel() {
    var config = RunConfig()
    config.model.architecture = .decoderOnly
    config.model.maxPositions = 64
    let configuration = config.transformerConfiguration(vocabularySize: 300)
    var options = TranslateOptions()
    options.maxLength = 61
    XCTAssertNil(options.maxLengthWarning(configuration))
    options.maxLength = 62
    XCTAssertEqual(
      options.maxLengthWarning(configuration),
      "warning: --max-len 62 is more than this decoder-only model can produce: "
        + "model.max_positions (64) holds the source, </s>, <s> and the translation, so a "
        + "translation stops at 62 pieces minus the source's")
  }

  func testSearchOptionsAModeNeverUsesAreRefused() {
    let loss = CLIRun(
      "eval", "--loss", "--quiet", "--checkpoint", fixture.checkpoint, "--beam", "7", "--alpha",
      "3")
    XCTAssertEqual(loss.status, 64)
    XCTAssertTrue(
      loss.errors.hasPrefix(
        "Error: '--beam' chooses how the model searches, but '--loss' alone scores the "
          + "references and translates nothing (add '--bleu' or '--chrf' to translate too); "
          + "leave it out. "), loss.errors)
    let trace = CLIRun(
      "trace", "--quiet", "--checkpoint", fixture.checkpoint, "--target", "le chat", "--max-len",
      "1", "the cat")
    XCTAssertEqual(trace.status, 64)
    XCTAssertTrue(
      trace.errors.hasPrefix(
        "Error: '--max-len' chooses how the model searches, but with '--target' the pass is "
          + "teacher-forced on that text and nothing is searched; leave it out. "), trace.errors)
  }

  func testOutputNamesAreCheckedBeforeAnyWork() throws {
    let here = FileManager.default.currentDirectoryPath
    XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(fixture.directory.path("")))
    defer { _ = FileManager.default.changeCurrentDirectoryPath(here) }
    let cases: [([String], String)] = [
      (
        ["translate", "--force"],
        "'--force' replaces an existing --output file; give '--output <file>'"
      ),
      (
        ["translate", "--output", "-"],
        "'--output -' would write a file named '-'; to write to standard output leave out "
          + "--output; for a file named '-' write './-'"
      ),
      (["translate", "--output", ""], "'--output' needs a file name, got an empty one"),
      (
        ["eval", "--bleu", "--force"],
        "'--force' replaces an existing --output file; give '--output <file>'"
      ),
      (["eval", "--bleu", "--output", ""], "'--output' needs a file name, got an empty one"),
      (["attention", "--svg", ""], "'--svg' needs a file name, got an empty one"),
      (["attention", "--force"], "'--force' replaces an existing --svg file; give '--svg <file>'"),
      (
        ["attention", "--svg", "-"],
        "'--svg -' would write a file named '-'; for a file named '-' write './-'"
      ),
    ]
    for (arguments, message) in cases {
      var command = arguments
      command += ["--checkpoint", fixture.checkpoint, "--quiet"]
      if command[0] != "eval" { command.append("the cat") }
      let run = CLIRun(command)
      XCTAssertEqual(run.status, 64, "\(arguments)")
      XCTAssertTrue(run.errors.hasPrefix("Error: \(message). "), "\(arguments): \(run.errors)")
      XCTAssertEqual(run.output, "", "\(arguments)")
    }
    XCTAssertFalse(FileManager.default.fileExists(atPath: fixture.directory.path("-")))
    // The commands that write files without a checkpoint check the same, before any work.
    let others: [([String], String)] = [
      (["plot", "run", "--output", "-"], "'--output -' would write a file named '-'"),
      (["plot", "run", "--force"], "'--force' replaces an existing --output file"),
      (["average", "a", "b", "--output", ""], "'--output' needs a file name, got an empty one"),
      (["average", "a", "b", "--output", "-"], "'--output -' would write a file named '-'"),
      (["bpe", "encode", "--model", "m", "--output", "-"], "'--output -' would write a file"),
      (
        ["bpe", "learn", "--input", "x", "--vocab-size", "300", "--output", ""],
        "'--output' needs a file name"
      ),
    ]
    for (arguments, message) in others {
      let run = CLIRun(arguments)
      XCTAssertEqual(run.status, 64, "\(arguments)")
      XCTAssertTrue(run.errors.hasPrefix("Error: \(message)"), "\(arguments): \(run.errors)")
    }
    XCTAssertFalse(FileManager.default.fileExists(atPath: fixture.directory.path("-")))
  }

  func testEvalLossNamesThePairsItLeavesOut() throws {
    let long = Array(repeating: "the cat sat on the mat", count: 20).joined(separator: " ")
    let source = try fixture.directory.write("s.txt", "\(long)\nthe cat\n\n")
    let reference = try fixture.directory.write("r.txt", "le chat\nle chat\nle chien\n")
    let run = CLIRun(
      "eval", "--loss", "--quiet", "--checkpoint", fixture.checkpoint, "--source", source,
      "--reference", reference)
    XCTAssertEqual(run.status, 0, run.errors)
    XCTAssertEqual(
      run.errors,
      "warning: the loss leaves out 2 of 3 pairs of '\(source)' (lines 1, 3): 1 with an empty "
        + "side, 1 with a side longer than the checkpoint's data.max_length (60 pieces); --bleu "
        + "and --chrf translate every line\n")
    XCTAssertTrue(run.output.hasSuffix("(1 pair of '\(source)')\n"), run.output)

    let none = try fixture.directory.write("none.txt", "\(long)\n\n")
    let two = try fixture.directory.write("two.txt", "le chat\nle chien\n")
    let failed = CLIRun(
      "eval", "--loss", "--quiet", "--checkpoint", fixture.checkpoint, "--source", none,
      "--reference", two)
    XCTAssertEqual(failed.status, 1)
    XCTAssertEqual(
      failed.errors,
      "Error: eval --loss: no pair of '\(none)' and '\(two)' can be scored: 1 with an empty "
        + "side, 1 with a side longer than the checkpoint's data.max_length (60 pieces)\n")

    // Empty files leave out no pair: they hold none, which is what the message says.
    let emptySource = try fixture.directory.write("e.en", "")
    let emptyTarget = try fixture.directory.write("e.ko", "")
    for (source, target, files) in [
      (emptySource, emptyTarget, "'\(emptySource)' and '\(emptyTarget)' are"),
      ("/dev/null", "/dev/null", "'/dev/null' is"),
    ] {
      let empty = CLIRun(
        "eval", "--loss", "--quiet", "--checkpoint", fixture.checkpoint, "--source", source,
        "--reference", target)
      XCTAssertEqual(empty.status, 1)
      XCTAssertEqual(
        empty.errors, "Error: eval --loss: \(files) empty: there are no pairs to score\n")
    }
  }

  func testCountsAgreeWithTheirNouns() {
    let attention = CLIRun(
      "attention", "--quiet", "--checkpoint", fixture.checkpoint, "--layer", "2", "the cat")
    XCTAssertEqual(attention.status, 64)
    XCTAssertTrue(
      attention.errors.contains("the model has 1 decoder layer; give 1…1"), attention.errors)
  }
}
