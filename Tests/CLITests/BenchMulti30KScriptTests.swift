import Foundation
import XCTest
@testable import CLI

/// `scripts/bench-multi30k.sh` end to end on a tiny corpus laid out as Multi30K is (train, val,
/// test_2016_flickr), with the built executable: train, average, choose on val, translate the
/// test set, score it, and write the summary line and JSON.
final class BenchMulti30KScriptTests: XCTestCase {
  private var directory: TemporaryDirectory!
  private static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("scripts/bench-multi30k.sh").path

  override func setUpWithError() throws {
    directory = try TemporaryDirectory()
  }

  override func tearDown() {
    directory.remove()
  }

  /// Runs the script with `arguments` under bash; the status, stdout and stderr.
  private func runScript(_ arguments: [String]) throws -> (
    status: Int32, output: String, errors: String
  ) {
    guard let executable = BPECommandTests.builtExecutable() else {
      throw XCTSkip("the transformer-cli executable is not built beside the tests")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = [Self.script] + arguments
    process.currentDirectoryURL = directory.url
    var environment = ProcessInfo.processInfo.environment
    environment["BIN"] = executable.path
    process.environment = environment
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    // Read before waiting, so that a full pipe cannot stall the script.
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (
      process.terminationStatus, String(decoding: outputData, as: UTF8.self),
      String(decoding: errorData, as: UTF8.self)
    )
  }

  /// A corpus of 40 short pairs under every Multi30K file name in `m30k/`, and a tiny recipe
  /// `tiny.json`.
  private func writeTinyBench() throws {
    let words = ["one", "two", "three", "four", "five"]
    let lines = (0..<40).map { index in
      (0..<(2 + index % 3)).map { words[(index + $0 * 2) % words.count] }.joined(separator: " ")
    }
    let text = lines.joined(separator: "\n") + "\n"
    try FileManager.default.createDirectory(
      atPath: directory.path("m30k"), withIntermediateDirectories: true)
    for split in ["train", "val", "test_2016_flickr"] {
      for language in ["en", "de"] { try directory.write("m30k/\(split).\(language)", text) }
    }
    try directory.write(
      "tiny.json",
      """
      {
        "data": { "vocab_size": 300, "max_length": 20 },
        "model": {
          "encoder_layers": 1, "decoder_layers": 1, "d_model": 16, "heads": 2, "d_ff": 16,
          "max_positions": 24
        },
        "training": {
          "batch_tokens": 64, "warmup_steps": 2, "max_steps": 6, "valid_every": 2,
          "valid_bleu": true, "log_every": 2, "keep_last_checkpoints": 3
        }
      }
      """)
  }

  func testTinyBenchPrintsAndWritesTheSummary() throws {
    try writeTinyBench()
    let run = try runScript([
      "--config", "tiny.json", "--data", "m30k", "--output", "runs/bench", "--average", "2",
      "--minutes", "5", "--threads", "1",
    ])
    XCTAssertEqual(run.status, 0, run.errors)
    let lines = run.output.split(separator: "\n")
    XCTAssertEqual(lines.count, 1, run.output)
    XCTAssertTrue(run.output.hasPrefix("multi30k en-de test_2016_flickr: BLEU "), run.output)
    // α is chosen on val from the default list.
    let alpha = try XCTUnwrap(
      ["0.6", "1.0", "1.5", "2.0"].first { run.output.contains("(beam 4, alpha \($0), ") },
      run.output)
    XCTAssertTrue(run.output.contains(" 6 steps (planned: no, max_steps fixed), "), run.output)

    let json = try Data(
      contentsOf: URL(fileURLWithPath: directory.path("runs/bench/bench-multi30k.json")))
    let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: json) as? [String: Any])
    let bleu = try XCTUnwrap(summary["test_bleu"] as? Double)
    XCTAssertTrue((0...100).contains(bleu))
    XCTAssertNotNil(summary["test_chrf"] as? Double)
    XCTAssertEqual(summary["steps"] as? Int, 6)
    XCTAssertEqual(summary["beam"] as? Int, 4)
    XCTAssertEqual(summary["alpha"] as? Double, Double(alpha))
    XCTAssertEqual((summary["val_choices"] as? [Any])?.count, 8)
    XCTAssertNotNil(summary["val_bleu_best"] as? Double)
    XCTAssertNotNil(summary["val_bleu_averaged"] as? Double)
    XCTAssertEqual(
      summary["signature"] as? String, "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0")
    // The translations the score is of, one per test line.
    let translations = try directory.read("runs/bench/test-beam4.txt")
    XCTAssertEqual(translations.split(separator: "\n", omittingEmptySubsequences: false).count, 41)
    let averaged = directory.path("runs/bench/averaged/model.safetensors")
    XCTAssertTrue(FileManager.default.fileExists(atPath: averaged))
  }

  /// A list of α: every (checkpoint, α) pair is scored on val, and the test set is decoded with
  /// the pair that scored highest there (the first one on a tie), which the line and the JSON
  /// name.
  func testAlphaIsChosenOnVal() throws {
    try writeTinyBench()
    let run = try runScript([
      "--config", "tiny.json", "--data", "m30k", "--output", "runs/alpha", "--average", "2",
      "--alpha", "0.6,1.0", "--minutes", "5", "--threads", "1",
    ])
    XCTAssertEqual(run.status, 0, run.errors)
    let json = try Data(
      contentsOf: URL(fileURLWithPath: directory.path("runs/alpha/bench-multi30k.json")))
    let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: json) as? [String: Any])
    let choices = try XCTUnwrap(summary["val_choices"] as? [[String: Any]])
    XCTAssertEqual(
      choices.map { $0["checkpoint"] as? String },
      ["best/", "best/", "average of last 2", "average of last 2"])
    XCTAssertEqual(choices.map { $0["alpha"] as? Double }, [0.6, 1.0, 0.6, 1.0])
    let scores = try choices.map { try XCTUnwrap($0["val_bleu"] as? Double) }
    let top = try XCTUnwrap(scores.max())
    let first = try XCTUnwrap(scores.firstIndex(of: top))
    let alpha = try XCTUnwrap(summary["alpha"] as? Double)
    XCTAssertEqual(alpha, first % 2 == 0 ? 0.6 : 1.0)
    XCTAssertEqual(
      summary["checkpoint"] as? String,
      first < 2 ? "best" : "average of the last 2 checkpoints")
    XCTAssertEqual(summary["val_bleu_best"] as? Double, scores[0])
    XCTAssertEqual(summary["val_bleu_averaged"] as? Double, scores[2])
    XCTAssertTrue(run.output.contains("(beam 4, alpha \(first % 2 == 0 ? "0.6" : "1.0"), "), run.output)

    let bad = try runScript(["--data", "m30k", "--alpha", "0.6,,1"])
    XCTAssertEqual(bad.status, 1)
    XCTAssertEqual(
      bad.errors,
      "bench-multi30k: --alpha must be a number or a comma-separated list of numbers, got "
        + "'0.6,,1'\n")
  }

  /// With `max_steps` "auto" on a budget of 6 seconds the line and the JSON report the plan.
  func testAutoStepsAreReported() throws {
    try writeTinyBench()
    let run = try runScript([
      "--config", "tiny.json", "--data", "m30k", "--output", "runs/auto", "--average", "0",
      "--minutes", "0.1", "--threads", "1", "--set", "training.max_steps=auto",
      "--set", "training.warmup_steps=10", "--set", "training.valid_every=5",
    ])
    XCTAssertEqual(run.status, 0, run.errors)
    let json = try Data(
      contentsOf: URL(fileURLWithPath: directory.path("runs/auto/bench-multi30k.json")))
    let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: json) as? [String: Any])
    let planned = try XCTUnwrap(summary["planned_steps"] as? Int)
    let steps = try XCTUnwrap(summary["steps"] as? Int)
    XCTAssertGreaterThan(planned, 10, "the plan follows the warm-up")
    XCTAssertLessThanOrEqual(steps, planned)
    let used = try XCTUnwrap(summary["budget_used"] as? Double)
    XCTAssertGreaterThan(used, 0)
    XCTAssertTrue(run.output.contains(" \(steps) steps (planned: \(planned)), "), run.output)
    XCTAssertTrue(run.output.contains("% of the 0.1-minute budget used, "), run.output)
    let config = try directory.read("runs/auto/config.json")
    XCTAssertTrue(config.contains("\"max_steps\": \(planned),"), config)
  }

  func testMissingDataIsOneLine() throws {
    try FileManager.default.createDirectory(
      atPath: directory.path("empty"), withIntermediateDirectories: true)
    let run = try runScript(["--data", "empty"])
    XCTAssertEqual(run.status, 1)
    XCTAssertEqual(
      run.errors,
      "bench-multi30k: 'empty' lacks one of: train.en train.de val.en val.de "
        + "test_2016_flickr.en test_2016_flickr.de\n")
    let unknown = try runScript(["--minute", "3"])
    XCTAssertEqual(unknown.status, 1)
    XCTAssertEqual(unknown.errors, "bench-multi30k: unknown argument '--minute' (see --help)\n")
  }
}
