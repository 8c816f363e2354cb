import Config
import NN
import Tensors
import XCTest

@testable import Checkpoints

/// The checks on loaded values and configurations: non-finite values are found wherever they
/// are, Adam's moments are checked as the weights are, and two `model` sections are compared
/// key by key without the keys the model ignores.
final class CheckpointValueChecksTests: XCTestCase {
  func testFirstNonFiniteFindsTheFirstNaNOrInfinity() {
    XCTAssertNil(Tensor(shape: [0], scalars: []).firstNonFinite)
    let finite: [Float] = [
      0, -0.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 1,
    ]
    XCTAssertNil(Tensor(shape: [finite.count], scalars: finite).firstNonFinite)
    // Past a multiple of any vector width, so that the tail is searched too.
    for (index, value) in [(0, Float.nan), (37, .infinity), (66, -.infinity)] {
      var scalars = [Float](repeating: 1, count: 67)
      scalars[index] = value
      scalars[66] = index == 66 ? value : .nan
      let found = Tensor(shape: [67], scalars: scalars).firstNonFinite
      XCTAssertEqual(found?.index, index)
      XCTAssertEqual(found.map { "\($0.value)" }, "\(value)")
    }
  }

  func testNonFiniteMomentsAreRefused() throws {
    var adam = Adam(parameters: [(name: "w", shape: [2])])
    var tensors = adam.stateTensors()
    tensors[1].tensor = Tensor(shape: [2], scalars: [0, .infinity])
    let file = SafeTensorsFile(tensors: tensors, metadata: adam.stateMetadata())
    XCTAssertThrowsError(try adam.loadState(from: file, path: "trainer.safetensors")) { error in
      XCTAssertEqual(
        error as? SafeTensorsError,
        .nonFinite(path: "trainer.safetensors", name: "adam.v.w", index: 1, value: "inf"))
      XCTAssertEqual(
        "\(error)",
        "trainer.safetensors: tensor \"adam.v.w\" holds inf (element 1), which training never "
          + "saves, so the file is damaged")
    }
  }

  func testModelSectionsAreComparedKeyByKey() {
    let base = ModelConfig()
    XCTAssertEqual(base.differences(from: base), [])
    var other = base
    other.attentionWindow = 1
    other.maxPositions = 1000
    other.dropout = 0.3
    XCTAssertEqual(
      base.differences(from: other),
      [
        ModelConfigDifference(key: "dropout", value: "0.1", other: "0.3"),
        ModelConfigDifference(key: "max_positions", value: "256", other: "1000"),
        ModelConfigDifference(key: "attention_window", value: "null", other: "1"),
      ])
  }

  func testKeysThatCannotChangeTheModelAreNotDifferences() {
    var base = ModelConfig()
    var other = base
    other.keyValueHeads = base.headCount
    XCTAssertEqual(base.differences(from: other), [], "null kv_heads means heads")
    other.keyValueHeads = 1
    XCTAssertEqual(
      base.differences(from: other),
      [ModelConfigDifference(key: "kv_heads", value: "null", other: "1")])

    base.architecture = .decoderOnly
    other = base
    other.encoderLayerCount = 4
    XCTAssertEqual(base.differences(from: other), [], "a decoder-only model has no encoder")
    other.architecture = .encoderDecoder
    XCTAssertEqual(
      base.differences(from: other).map(\.key), ["encoder_layers", "architecture"])
  }
}
