import Foundation
import Tensors
import XCTest

@testable import Checkpoints
@testable import Training

/// `--resume` names the real cause: a changed model key before any tensor is read (not a
/// "damaged" moment or "other batches"), keys the model ignores not at all, and non-finite
/// weights or moments as damage of the file that holds them.
final class ResumeCheckTests: XCTestCase {
  private var tiny: TinyRun!

  override func setUpWithError() throws {
    tiny = try TinyRun()
  }

  override func tearDown() {
    tiny.remove()
  }

  private var last: String { "\(tiny.runDirectory)/last" }
  private let hint =
    "; HINT: resume with the config the run was started with (its copy is the checkpoint's "
    + "config.json), or train afresh in another output.dir"

  /// The message of resuming with `overrides` after training 6 steps with `trained`, or nil.
  private func resume(_ overrides: [String], trained: [String] = []) throws -> String? {
    try tiny.train(try tiny.config(["max_steps": "6", "valid_bleu": "false"], overrides: trained))
    do {
      try tiny.train(
        try tiny.config(["max_steps": "8"], overrides: trained + overrides), resume: true)
      return nil
    } catch {
      return "\(error)"
    }
  }

  func testChangedKeyValueHeadsIsNamed() throws {
    XCTAssertEqual(
      try resume(["model.kv_heads=1"]),
      "\(last): the checkpoint's config differs in model.kv_heads null → 1" + hint)
  }

  func testChangedArchitectureIsNamed() throws {
    XCTAssertEqual(
      try resume(["model.architecture=decoder-only", "model.max_positions=42"]),
      "\(last): the checkpoint's config differs in model.architecture \"encoder-decoder\" → "
        + "\"decoder-only\"" + hint)
  }

  func testChangedLengthOfLearnedPositionsIsNamed() throws {
    XCTAssertEqual(
      try resume(["model.max_positions=40"], trained: ["model.positions=learned"]),
      "\(last): the checkpoint's config differs in model.max_positions 32 → 40" + hint)
  }

  func testEncoderLayersOfADecoderOnlyModelAreIgnored() throws {
    XCTAssertNil(
      try resume(
        ["model.encoder_layers=3"],
        trained: ["model.architecture=decoder-only", "model.max_positions=42"]))
  }

  /// With last/config.json edited to match the changed config, the weights' own configuration
  /// still names the change (before Adam's moments of other shapes are read).
  func testTheWeightsConfigurationIsComparedBeforeTheMoments() throws {
    try tiny.train(try tiny.config(["max_steps": "6", "valid_bleu": "false"]))
    let configPath = "\(last)/config.json"
    let text = try String(contentsOfFile: configPath, encoding: .utf8)
    try text.replacingOccurrences(of: "\"kv_heads\": null", with: "\"kv_heads\": 1")
      .write(toFile: configPath, atomically: true, encoding: .utf8)
    XCTAssertNotEqual(try String(contentsOfFile: configPath, encoding: .utf8), text)
    let message: String
    do {
      try tiny.train(
        try tiny.config(["max_steps": "8"], overrides: ["model.kv_heads=1"]), resume: true)
      return XCTFail("resumed")
    } catch {
      message = "\(error)"
    }
    XCTAssertTrue(
      message.hasPrefix(
        "\(configPath) says model.kv_heads 1, but \(last)/model.safetensors holds a model with "
          + "kv_heads null: the checkpoint's files disagree"), message)
  }

  /// Replaces the first tensor of the safetensors file at `path` with NaN.
  private func poison(_ path: String, tensor index: Int = 0) throws -> String {
    var file = try SafeTensorsFile(contentsOf: path)
    file.tensors[index].tensor = Tensor(shape: file.tensors[index].tensor.shape, repeating: .nan)
    try file.write(to: path)
    return file.tensors[index].name
  }

  func testNaNWeightsAreDamageNotDivergence() throws {
    try tiny.train(try tiny.config(["max_steps": "6", "valid_bleu": "false"]))
    let path = "\(last)/model.safetensors"
    let name = try poison(path)
    XCTAssertThrowsError(try tiny.train(try tiny.config(["max_steps": "8"]), resume: true)) {
      XCTAssertTrue(
        "\($0)".hasPrefix(
          "\(path): damaged checkpoint: tensor \"\(name)\" holds nan (element 0), which "
            + "training never saves, so the file is damaged; HINT: copy a good checkpoint"),
        "\($0)")
    }
  }

  func testNaNMomentsAreDamage() throws {
    try tiny.train(try tiny.config(["max_steps": "6", "valid_bleu": "false"]))
    let path = "\(last)/trainer.safetensors"
    let name = try poison(path)
    XCTAssertTrue(name.hasPrefix("adam."), name)
    XCTAssertThrowsError(try tiny.train(try tiny.config(["max_steps": "8"]), resume: true)) {
      XCTAssertTrue(
        "\($0)".hasPrefix(
          "\(path): damaged checkpoint: tensor \"\(name)\" holds nan (element 0)"), "\($0)")
    }
  }
}
