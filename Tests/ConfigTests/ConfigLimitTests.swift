import Foundation
import NN
import Support
import XCTest

@testable import Config

/// The upper bounds of the size keys and the memory estimate: values that would overflow `Int`
/// or exhaust the machine are refused while reading, naming the key, instead of trapping or
/// failing an allocation once training starts.
final class ConfigLimitTests: XCTestCase {
  private func message(_ json: String, _ overrides: [String] = [], checkingFiles: Bool = false)
    -> String?
  {
    do {
      _ = try RunConfig(
        jsonText: json, source: "c.json", overrides: overrides, checkingFiles: checkingFiles)
      return nil
    } catch {
      return "\(error)"
    }
  }

  func testSizeKeysHaveUpperBounds() {
    let cases: [(String, Int)] = [
      ("model.encoder_layers", 1024), ("model.decoder_layers", 1024),
      ("model.d_model", 65_536), ("model.heads", 65_536), ("model.kv_heads", 65_536),
      ("model.d_ff", 1_048_576), ("model.max_positions", 1_048_576),
      ("model.attention_window", 1_048_576), ("model.encoder_attention_window", 1_048_576),
      ("data.vocab_size", 16_777_216), ("data.max_length", 1_048_576),
      ("training.batch_tokens", 16_777_216), ("training.accumulate", 4096),
    ]
    for (key, maximum) in cases {
      for value in [String(maximum + 1), "9223372036854775807", "1e20"] {
        XCTAssertEqual(
          message("{}", ["\(key)=\(value)"]),
          "--set \(key)=\(value): \(key): expected an integer <= \(maximum), got \(value)")
      }
    }
    XCTAssertEqual(
      message(#"{"model": {"d_ff": 1000000000}}"#),
      "c.json: model.d_ff: expected an integer <= 1048576, got 1000000000")
    // The bound itself is allowed.
    XCTAssertNil(message("{}", ["training.accumulate=4096"]))
    XCTAssertNil(message("{}", ["model.max_positions=1048576", "data.max_length=1048575"]))
  }

  func testRealKeysThatBecomeIntegersHaveUpperBounds() {
    for (key, value) in [
      ("training.max_time_minutes", "2e17"), ("training.max_time_minutes", "1000001"),
      ("training.allreduce_bucket_mb", "1e13"), ("training.allreduce_bucket_mb", "1e308"),
    ] {
      XCTAssertEqual(
        message("{}", ["\(key)=\(value)"]),
        "--set \(key)=\(value): \(key): expected a number in [0, 1000000], got \(value)")
    }
    XCTAssertNil(
      message("{}", ["training.max_time_minutes=1e6", "training.allreduce_bucket_mb=1e6"]))
  }

  func testReferenceTableShowsTheBounds() {
    let markdown = RunConfig.referenceMarkdown()
    XCTAssertTrue(markdown.contains("| `d_ff` | integer in [1, 1048576] |"))
    XCTAssertTrue(markdown.contains("| `accumulate` | integer in [1, 4096] |"))
    XCTAssertTrue(markdown.contains("| `max_time_minutes` | number in [0, 1000000] |"))
  }

  /// The base model (about 0.8 GB with gradients and Adam's moments) fits in 4 GB but not in
  /// 512 MB; the message names the key of the largest share and its partners.
  func testMemoryEstimateAgainstPhysicalMemory() throws {
    let base = RunConfig()
    XCTAssertNil(base.memoryProblem(memoryLimit: 4 << 30, floatsPerParameter: 4))
    let problem = try XCTUnwrap(
      base.memoryProblem(memoryLimit: 512 << 20, floatsPerParameter: 4))
    XCTAssertEqual(problem.path, "model.d_ff")
    XCTAssertEqual(
      problem.message,
      "2048 makes the parameters with their gradients and Adam moments need about 0.8 GB, more "
        + "than the 0.5 GB of memory this process may use; most of it comes from model.d_ff "
        + "(2048), model.d_model (512), model.encoder_layers (6) and model.decoder_layers (6): "
        + "lower them")
    // Weights alone (decoding) are a quarter of it.
    XCTAssertNil(base.memoryProblem(memoryLimit: 512 << 20, floatsPerParameter: 1))

    var wide = RunConfig()
    wide.model.feedForwardWidth = 1_048_576
    XCTAssertEqual(
      wide.memoryProblem(memoryLimit: 4 << 30, floatsPerParameter: 4)?.path, "model.d_ff")
    var positions = RunConfig()
    positions.model.maxPositions = 1_048_576
    positions.model.positions = .learned
    XCTAssertEqual(
      positions.memoryProblem(memoryLimit: 4 << 30, floatsPerParameter: 4)?.path,
      "model.max_positions")
    var vocabulary = RunConfig()
    vocabulary.data.vocabularySize = 16_777_216
    vocabulary.model.tieEmbeddings = false
    vocabulary.data.jointVocabulary = false
    XCTAssertEqual(
      vocabulary.memoryProblem(memoryLimit: 4 << 30, floatsPerParameter: 4)?.path,
      "data.vocab_size")
  }

  /// Sizes within every bound whose product no machine holds (about 1.7 TB) are refused while
  /// reading, with the `--set` argument that set the largest share.
  func testModelLargerThanTheMachineIsRefused() throws {
    let text = try XCTUnwrap(
      message("{}", ["model.d_ff=1048576", "model.encoder_layers=100"]))
    XCTAssertTrue(
      text.hasPrefix(
        "--set model.d_ff=1048576: model.d_ff: 1048576 makes the parameters need about "),
      text)
    XCTAssertTrue(
      text.hasSuffix(
        "most of it comes from model.d_ff (1048576), model.d_model (512), "
          + "model.encoder_layers (100) and model.decoder_layers (6): lower them"),
      text)
    XCTAssertFalse(text.contains("\n"))
  }

  /// A checkpoint's stored configuration is read through the same fields, so a tampered one
  /// is refused too.
  func testCheckpointConfigurationIsBounded() {
    var configuration = TransformerConfiguration(vocabularySize: 300)
    let text = configuration.jsonText.replacingOccurrences(
      of: #""d_ff":2048"#, with: #""d_ff":9223372036854775807"#)
    XCTAssertThrowsError(try TransformerConfiguration(checkpointJSON: text)) { error in
      XCTAssertEqual((error as? ConfigProblem)?.path, "d_ff")
    }
    configuration.vocabularySize = 16_777_217
    XCTAssertThrowsError(try TransformerConfiguration(checkpointJSON: configuration.jsonText)) {
      error in
      XCTAssertEqual((error as? ConfigProblem)?.path, "vocabulary_size")
    }
  }
}
