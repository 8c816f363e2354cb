import XCTest

@testable import Checkpoints
import NN
import Tensors

/// Adam's moments and step count round-trip through a safetensors file.
final class AdamStateTests: XCTestCase {
  func testStateRoundTripsThroughSafeTensors() throws {
    let shapes: [(name: String, shape: [Int])] = [("w", [2, 3]), ("b", [3])]
    var random = RandomGenerator(seed: 11)
    func randomTensors() -> [Tensor] {
      shapes.map {
        Tensor(
          shape: $0.shape, scalars: (0..<Tensor.elementCount($0.shape)).map { _ in random.normal() }
        )
      }
    }
    var values = randomTensors()
    let steps = (0..<4).map { _ in randomTensors() }
    var original = Adam(parameters: shapes)
    for gradients in steps.prefix(2) {
      original.step(&values, gradients: gradients, learningRate: 0.01)
    }

    let file = SafeTensorsFile(tensors: original.stateTensors(), metadata: original.stateMetadata())
    XCTAssertEqual(file.tensors.map(\.name), ["adam.m.w", "adam.m.b", "adam.v.w", "adam.v.b"])
    var resumed = Adam(parameters: shapes)
    try resumed.loadState(from: SafeTensorsFile(data: file.encoded(), path: "state"), path: "state")
    XCTAssertEqual(resumed.stepCount, 2)

    // Continuing from the restored state gives exactly what continuing the original gives.
    var resumedValues = values
    for gradients in steps.suffix(2) {
      original.step(&values, gradients: gradients, learningRate: 0.01)
      resumed.step(&resumedValues, gradients: gradients, learningRate: 0.01)
    }
    XCTAssertEqual(values.map(\.scalars), resumedValues.map(\.scalars))
  }

  func testStateImportErrors() {
    var adam = Adam(parameters: [(name: "w", shape: [2])])
    let moments = [
      NamedTensor(name: "adam.m.w", tensor: Tensor(shape: [2])),
      NamedTensor(name: "adam.v.w", tensor: Tensor(shape: [2])),
    ]
    XCTAssertThrowsError(try adam.loadState(from: SafeTensorsFile(tensors: moments), path: "c.st"))
    {
      XCTAssertEqual("\($0)", "c.st: metadata \"adam.step\" is missing")
    }
    XCTAssertThrowsError(
      try adam.loadState(
        from: SafeTensorsFile(tensors: moments, metadata: ["adam.step": "x"]), path: "c.st")
    ) {
      XCTAssertEqual("\($0)", "c.st: metadata \"adam.step\" is \"x\", not a step count")
    }
    let wrongShape = [NamedTensor(name: "adam.m.w", tensor: Tensor(shape: [3]))]
    XCTAssertThrowsError(
      try adam.loadState(
        from: SafeTensorsFile(tensors: wrongShape, metadata: ["adam.step": "1"]), path: "c.st")
    ) {
      XCTAssertEqual(
        "\($0)",
        "c.st: tensor \"adam.m.w\" has shape [3] but [2] is needed; the file was written for a model of another size"
      )
    }
    XCTAssertEqual(adam.stepCount, 0)
  }
}
