import Autograd
import Foundation
import XCTest

@testable import Checkpoints
@testable import NN

/// The position and key/value-head variants as models: their tensors and names, whole-model
/// gradients, checkpoints that name the variant, old checkpoints, unknown values.
final class TransformerVariantTests: XCTestCase {
  var directory: URL!

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("VariantTests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

  func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

  static func configuration(
    _ positions: TransformerConfiguration.Positions, kv: Int? = nil
  ) -> TransformerConfiguration {
    var c = TransformerConfiguration.tiny(dropout: 0)
    c.headCount = 4
    c.positions = positions
    c.keyValueHeadCount = kv ?? 4
    return c
  }

  func testLearnedTablesAndNarrowKeyValueProjections() {
    let model = Transformer(configuration: Self.configuration(.learned, kv: 2), seed: 1)
    let shapes = Dictionary(uniqueKeysWithValues: model.parameters.map { ($0.name, $0.shape) })
    XCTAssertEqual(shapes["encoder.positions.weight"], [16, 8])  // [P, D]
    XCTAssertEqual(shapes["decoder.positions.weight"], [16, 8])
    XCTAssertEqual(shapes["encoder.layers.0.self_attention.key.weight"], [8, 4])  // [D, G·K]
    XCTAssertEqual(shapes["decoder.layers.0.cross_attention.value.weight"], [8, 4])
    XCTAssertEqual(shapes["decoder.layers.0.cross_attention.query.weight"], [8, 8])
    let rope = Transformer(configuration: Self.configuration(.rope, kv: 1), seed: 1)
    XCTAssertNil(rope.sourcePositions)
    XCTAssertEqual(
      rope.parameters.first { $0.name.hasSuffix("self_attention.key.weight") }?.shape, [8, 2])
    // The other variants draw the sinusoidal model's weights (the tables come last).
    let sinusoidal = Transformer(configuration: Self.configuration(.sinusoidal), seed: 1)
    let alibi = Transformer(configuration: Self.configuration(.alibi), seed: 1)
    XCTAssertEqual(
      sinusoidal.parameters.map(\.value.scalars), alibi.parameters.map(\.value.scalars))
  }

  /// Every variant's whole-model gradients against finite differences (GELU, h = 0.05, as
  /// TransformerTests). Key biases are left out except the self-attention's with RoPE: a bias
  /// added to every key shifts a query's scores equally, which the softmax cancels (gradient
  /// exactly 0, finite differences pure noise); RoPE rotates the bias differently per position,
  /// so it counts, but only in self-attention (cross-attention is not rotated).
  func testWholeModelGradientsMatchFiniteDifferences() {
    for (positions, kv) in [
      (TransformerConfiguration.Positions.learned, 2), (.rope, 2), (.alibi, 1), (.rope, 1),
    ] {
      let model = Transformer(configuration: Self.configuration(positions, kv: kv), seed: 3)
      model.isTraining = false
      let checked = model.parameters.filter {
        !$0.name.hasSuffix(".key.bias")
          || (positions == .rope && $0.name.contains("self_attention"))
      }
      let report = GradientCheck(step: 0.05).check(checked) { TinyBatch().loss(model).loss }
      XCTAssertTrue(report.passed, "\(positions) kv \(kv): \(report)")
      for input in report.inputs {
        XCTAssertTrue(input.analytic.contains { $0 != 0 }, "\(input.name) got no gradient")
      }
    }
  }

  func testCheckpointNamesTheVariantAndRoundTrips() throws {
    let configuration = Self.configuration(.rope, kv: 2)
    let model = Transformer(configuration: configuration, seed: 1)
    let file = path("model.safetensors")
    try model.save(to: file)
    let text = try XCTUnwrap(
      try SafeTensorsFile(contentsOf: file).metadata[Transformer.configurationMetadataKey])
    XCTAssertTrue(text.contains("\"positions\":\"rope\""), text)
    XCTAssertTrue(text.contains("\"kv_heads\":2"), text)
    let rebuilt = try Transformer(contentsOf: file)
    XCTAssertEqual(rebuilt.configuration, configuration)
    // A model of another variant refuses the file, naming what differs.
    let other = Transformer(configuration: Self.configuration(.alibi, kv: 4), seed: 1)
    XCTAssertThrowsError(try other.load(from: file)) { error in
      XCTAssertTrue("\(error)".contains("positions rope, kv_heads 2"), "\(error)")
    }
  }

  /// A checkpoint written before the keys existed loads as sinusoidal with kv_heads = heads.
  func testOldConfigurationsLoadAsThePaper() throws {
    let model = Transformer(configuration: .tiny(), seed: 1)
    var object = try XCTUnwrap(
      try JSONSerialization.jsonObject(with: Data(model.configuration.jsonText.utf8))
        as? [String: Any])
    object["positions"] = nil
    object["kv_heads"] = nil
    let old = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    let decoded = try XCTUnwrap(TransformerConfiguration(jsonText: old))
    XCTAssertEqual(decoded.positions, .sinusoidal)
    XCTAssertEqual(decoded.keyValueHeadCount, decoded.headCount)
    XCTAssertEqual(decoded, model.configuration)
  }

  func testUnknownPositionsInACheckpointFailsClearly() throws {
    let model = Transformer(configuration: .tiny(), seed: 1)
    let text = model.configuration.jsonText.replacingOccurrences(
      of: "\"positions\":\"sinusoidal\"", with: "\"positions\":\"xpos\"")
    var file = model.checkpointFile
    file.metadata[Transformer.configurationMetadataKey] = text
    let location = path("model.safetensors")
    try file.write(to: location)
    XCTAssertThrowsError(try Transformer(contentsOf: location)) { error in
      let text = "\(error)"
      XCTAssertFalse(text.contains("\n"), text)
      for part in ["does not parse at \"positions\"", "\"xpos\"", "sinusoidal", "alibi"] {
        XCTAssertTrue(text.contains(part), "\(part) in: \(text)")
      }
    }
  }

  func testProblemsNameTheKeys() {
    var c = Self.configuration(.sinusoidal, kv: 3)
    XCTAssertEqual(c.problem, "heads (4) must be a multiple of kv_heads (3)")
    c.keyValueHeadCount = 4
    XCTAssertNil(c.problem)
    c.modelWidth = 12
    c.headCount = 4  // K = 3, odd
    c.positions = .rope
    XCTAssertEqual(c.problem, "positions \"rope\" needs an even head size d_model/heads, got 3")
  }
}
