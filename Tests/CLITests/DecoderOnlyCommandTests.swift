import Foundation
import XCTest

@testable import CLI

/// A decoder-only model through every command: `train` on the start of the toy corpus lowers
/// the loss, `--resume` continues, `average` averages its checkpoints, `translate`, `eval`,
/// `attention` (its one self-attention; the others refused in one line) and `trace` run, and a
/// config with too few positions is one line naming the key.
final class DecoderOnlyCommandTests: XCTestCase {
  private var directory: TemporaryDirectory!
  private var previousDirectory = ""

  static let toy = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../data/toy").standardizedFileURL

  override func setUpWithError() throws {
    directory = try TemporaryDirectory()
    previousDirectory = FileManager.default.currentDirectoryPath
    XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(directory.url.path))
  }

  override func tearDown() {
    XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(previousDirectory))
    directory.remove()
  }

  /// The first `count` lines of the toy corpus file `name`, copied into the test directory.
  private func toyLines(_ name: String, _ count: Int) throws -> String {
    let text = try String(
      contentsOf: Self.toy.appendingPathComponent(name), encoding: .utf8)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).prefix(count)
    return try directory.write(name, lines.joined(separator: "\n") + "\n")
  }

  private func writeConfig(maxPositions: Int = 82) throws -> String {
    let files = try [
      ("train_source", toyLines("train.en", 600)), ("train_target", toyLines("train.ko", 600)),
      ("valid_source", toyLines("valid.en", 20)), ("valid_target", toyLines("valid.ko", 20)),
      ("test_source", toyLines("test.en", 8)), ("test_target", toyLines("test.ko", 8)),
    ]
    let data = files.map { "\"\($0.0)\": \"\($0.1)\"" }.joined(separator: ", ")
    return try directory.write(
      "decoder-only.json",
      """
      {
        "data": { \(data), "vocab_size": 300, "max_length": 40 },
        "model": {
          "architecture": "decoder-only", "decoder_layers": 2, "d_model": 32, "heads": 4,
          "d_ff": 64, "dropout": 0, "norm": "pre", "max_positions": \(maxPositions)
        },
        "training": {
          "batch_tokens": 600, "warmup_steps": 10, "peak_lr": 0.003, "schedule": "inverse_sqrt",
          "max_steps": 60, "valid_every": 30, "valid_bleu": false, "log_every": 10,
          "keep_last_checkpoints": 2
        },
        "output": { "dir": "\(directory.path("runs/dec"))" }
      }
      """)
  }

  func testTrainResumeAverageTranslateEvalAttentionTrace() throws {
    let config = try writeConfig()
    let run = CLIRun("train", "--config", config)
    XCTAssertEqual(run.status, 0, run.errors)
    let runDirectory = directory.path("runs/dec")
    let metrics = try String(contentsOfFile: runDirectory + "/metrics.jsonl", encoding: .utf8)
    let losses = try metrics.split(separator: "\n").compactMap { line -> Double? in
      let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
      return object?["loss"] as? Double
    }
    XCTAssertEqual(losses.count, 6, metrics)
    XCTAssertLessThan(losses.last!, losses.first! - 1, "the loss must fall: \(losses)")
    let saved = try String(contentsOfFile: runDirectory + "/config.json", encoding: .utf8)
    XCTAssertTrue(saved.contains("\"architecture\": \"decoder-only\""), saved)

    let resumed = CLIRun(
      "train", "--config", config, "--set", "training.max_steps=70", "--resume")
    XCTAssertEqual(resumed.status, 0, resumed.errors)
    XCTAssertTrue(resumed.errors.contains("resumed at step 60"), resumed.errors)

    let averaged = directory.path("averaged")
    let average = CLIRun("average", "--last", "2", "--output", averaged, runDirectory)
    XCTAssertEqual(average.status, 0, average.errors)
    // encoder_layers means nothing to a decoder-only model: checkpoints differing in it average.
    let steps = runDirectory + "/checkpoints"
    let stepNames = try FileManager.default.contentsOfDirectory(atPath: steps).sorted()
    let edited = directory.path("edited")
    try FileManager.default.copyItem(atPath: steps + "/" + stepNames[0], toPath: edited)
    let weights = edited + "/model.safetensors"
    var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: weights)))
    // The configuration is JSON inside the header's JSON: its quotes are escaped.
    let key = Array(#"encoder_layers\":"#.utf8)
    let at = try XCTUnwrap(
      bytes.indices.first { bytes[$0...].starts(with: key) }, "the configuration's key")
    let digit = at + key.count
    bytes[digit] = bytes[digit] == UInt8(ascii: "7") ? UInt8(ascii: "8") : UInt8(ascii: "7")
    try FileManager.default.removeItem(atPath: weights)  // a hard link of the run's file
    try Data(bytes).write(to: URL(fileURLWithPath: weights))
    let ignored = CLIRun(
      "average", "--output", directory.path("ignored"), steps + "/" + stepNames[1], edited)
    XCTAssertEqual(ignored.status, 0, ignored.errors)

    for checkpoint in [runDirectory, averaged] {
      let translate = CLIRun(
        "translate", "--checkpoint", checkpoint, "--quiet", "--beam", "2",
        "Younghee walked to the cafe yesterday")
      XCTAssertEqual(translate.status, 0, translate.errors)
      XCTAssertEqual(translate.output.filter { $0 == "\n" }.count, 1, translate.output)
    }
    // The source gets half of the 82 positions: a longer sentence is cut, with a warning.
    let long = Array(repeating: "Younghee walked to the cafe yesterday", count: 10)
      .joined(separator: " ")
    let cut = CLIRun("translate", "--checkpoint", runDirectory, "--quiet", "--beam", "1", long)
    XCTAssertEqual(cut.status, 0, cut.errors)
    XCTAssertTrue(
      cut.errors.contains(
        "more than the 40 the model reads (model.max_positions 82, half for the source of a "
          + "decoder-only model, one for </s>)"), cut.errors)
    let eval = CLIRun("eval", "--checkpoint", runDirectory, "--quiet", "--bleu", "--json")
    XCTAssertEqual(eval.status, 0, eval.errors)
    XCTAssertTrue(eval.output.hasPrefix("{\"bleu\":"), eval.output)

    let attention = CLIRun(
      "attention", "--checkpoint", runDirectory, "--quiet", "--no-color", "They called her")
    XCTAssertEqual(attention.status, 0, attention.errors)
    XCTAssertTrue(
      attention.output.contains("decoder self-attention (masked), layer 2 of 2"),
      attention.output)
    let cross = CLIRun(
      "attention", "--checkpoint", runDirectory, "--quiet", "--kind", "cross", "They called her")
    XCTAssertEqual(cross.status, 64, "a command-line mistake")
    XCTAssertEqual(
      cross.errors,
      "Error: --kind cross: the model is decoder-only, with no encoder and no encoder-decoder "
        + "attention; use --kind self-decoder (its self-attention over source and target). "
        + "(see 'transformer-cli attention --help')\n")

    let trace = CLIRun("trace", "--checkpoint", runDirectory, "--quiet", "They called her")
    XCTAssertEqual(trace.status, 0, trace.errors)
    XCTAssertTrue(trace.output.contains("decoder-only: 2 causal layers"), trace.output)
    XCTAssertTrue(trace.output.contains("[B, S+T, D]"), trace.output)
    XCTAssertFalse(trace.output.contains("encoder-decoder attention"), trace.output)
  }

  func testTooFewPositionsIsOneLineNamingTheKey() throws {
    let config = try writeConfig(maxPositions: 81)
    let run = CLIRun("train", "--config", config)
    XCTAssertEqual(run.status, 1)
    XCTAssertEqual(
      run.errors,
      "Error: \(config): model.max_positions: 81 cannot hold a decoder-only sequence: source + "
        + "</s> + <s> + target needs 2 × data.max_length (40) + 2 = 82; raise it or lower "
        + "data.max_length\n")
    let unknown = CLIRun(
      "train", "--config", config, "--set", "model.architecture=decoder")
    XCTAssertEqual(unknown.status, 64)
    XCTAssertEqual(
      unknown.errors,
      "Error: --set model.architecture=decoder: model.architecture: expected "
        + "\"encoder-decoder\" or \"decoder-only\", got \"decoder\" (did you mean "
        + "\"decoder-only\"?). (see 'transformer-cli train --help')\n")
  }
}
