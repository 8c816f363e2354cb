import Foundation
import NN
import XCTest

@testable import Config

/// `model.positions` and `model.kv_heads`: defaults, values reaching the model, one-line errors
/// naming the key, and old checkpoint metadata.
final class ConfigVariantTests: XCTestCase {
  private func read(_ json: String, _ overrides: [String] = []) throws -> RunConfig {
    try RunConfig(jsonText: json, source: "c.json", overrides: overrides, checkingFiles: false)
  }

  private func message(_ json: String, _ overrides: [String] = []) -> String? {
    do {
      _ = try read(json, overrides)
      return nil
    } catch {
      return "\(error)"
    }
  }

  func testDefaultsAreThePaperAndValuesReachTheModel() throws {
    let defaults = try read("{}")
    XCTAssertEqual(defaults.model.positions, .sinusoidal)
    XCTAssertNil(defaults.model.keyValueHeads)
    let model = defaults.transformerConfiguration(vocabularySize: 300)
    XCTAssertEqual(model.keyValueHeadCount, 8)
    let variant = try read(#"{"model": {"positions": "alibi", "kv_heads": 2}}"#)
      .transformerConfiguration(vocabularySize: 300)
    XCTAssertEqual(variant.positions, .alibi)
    XCTAssertEqual(variant.keyValueHeadCount, 2)
    XCTAssertEqual(variant.selfAttentionSlopes?.count, 8)
    let overridden = try read("{}", ["model.positions=rope", "model.kv_heads=1"])
    XCTAssertEqual(overridden.model.positions, .rope)
    XCTAssertEqual(overridden.model.keyValueHeads, 1)
    XCTAssertNil(try read("{}", ["model.kv_heads=4", "model.kv_heads=null"]).model.keyValueHeads)
  }

  func testBadValuesGiveOneLineNamingTheKey() {
    XCTAssertEqual(
      message(#"{"model": {"positions": "rotary"}}"#),
      #"c.json: model.positions: expected one of "sinusoidal", "learned", "rope", "alibi", got "rotary""#
    )
    XCTAssertEqual(
      message(#"{"model": {"positions": "allibi"}}"#),
      #"c.json: model.positions: expected one of "sinusoidal", "learned", "rope", "alibi", got "allibi" (did you mean "alibi"?)"#
    )
    XCTAssertEqual(
      message(#"{"model": {"kv_heads": 3}}"#),
      "c.json: model.kv_heads: 3 does not divide model.heads (8); heads must be a multiple of "
        + "kv_heads")
    XCTAssertEqual(
      message(#"{"model": {"kv_heads": 0}}"#),
      "c.json: model.kv_heads: expected an integer >= 1, got 0")
    XCTAssertEqual(
      message(#"{"model": {"d_model": 24, "heads": 8, "positions": "rope"}}"#),
      #"c.json: model.positions: "rope" rotates pairs of a head's dimensions, but the head size d_model/heads = 3 is odd"#
    )
    XCTAssertNil(message(#"{"model": {"d_model": 24, "heads": 8, "positions": "alibi"}}"#))
  }

  /// A checkpoint's metadata names the variant; one written before the keys existed reads as
  /// sinusoidal with kv_heads = heads; an unknown value is named.
  func testCheckpointMetadata() throws {
    var configuration = TransformerConfiguration()
    configuration.positions = .learned
    configuration.keyValueHeadCount = 2
    let text = configuration.jsonText
    XCTAssertTrue(text.contains(#""positions":"learned""#), text)
    XCTAssertTrue(text.contains(#""kv_heads":2"#), text)
    XCTAssertEqual(TransformerConfiguration(jsonText: text), configuration)
    let old =
      #"{"activation":"relu","attention_dropout":0,"d_ff":2048,"d_model":512,"decoder_layers":6,"#
      + #""dropout":0.1,"encoder_layers":6,"heads":8,"max_positions":256,"norm":"post","#
      + #""padding_id":0,"tie_embeddings":true,"vocabulary_size":8000}"#
    let decoded = try XCTUnwrap(TransformerConfiguration(jsonText: old))
    XCTAssertEqual(decoded.positions, .sinusoidal)
    XCTAssertEqual(decoded.keyValueHeadCount, 8)
    let unknown = text.replacingOccurrences(of: #""learned""#, with: #""nope""#)
    XCTAssertThrowsError(try TransformerConfiguration(checkpointJSON: unknown)) { error in
      XCTAssertEqual((error as? ConfigProblem)?.path, "positions")
    }
  }
}
