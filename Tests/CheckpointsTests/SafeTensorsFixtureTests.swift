import Foundation
import Tensors
import XCTest

@testable import NN
@testable import Checkpoints

/// Interoperability with Hugging Face's safetensors library, through committed fixtures made by
/// `scripts/check-safetensors.py` (Python is never needed to run these tests).
final class SafeTensorsFixtureTests: XCTestCase {
  private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures")

  /// The tensors both fixtures hold; keep in step with `expected()` in the script.
  private func expectedTensors() -> [NamedTensor] {
    [
      NamedTensor(
        name: "embedding.weight",
        tensor: Tensor(shape: [3, 4], scalars: (0..<12).map { Float($0) * 0.25 - 1 })),
      NamedTensor(
        name: "layer.bias",
        tensor: Tensor(
          shape: [5],
          scalars: [
            0, -0.0, Float.leastNonzeroMagnitude, Float.greatestFiniteMagnitude, -Float.infinity,
          ])),
      NamedTensor(name: "scale", tensor: Tensor(shape: [], scalars: [3.14159274])),
      NamedTensor(name: "unused", tensor: Tensor(shape: [2, 0])),
    ]
  }

  private let expectedMetadata = ["format": "transformer-cli-test", "step": "42"]

  private func assertHoldsExpected(_ file: SafeTensorsFile, _ label: String) {
    XCTAssertEqual(file.metadata, expectedMetadata, label)
    XCTAssertEqual(Set(file.tensors.map(\.name)), Set(expectedTensors().map(\.name)), label)
    for expected in expectedTensors() {
      guard let tensor = file[expected.name] else { continue }
      XCTAssertEqual(tensor.shape, expected.tensor.shape, "\(label) \(expected.name)")
      XCTAssertEqual(
        tensor.scalars.map(\.bitPattern), expected.tensor.scalars.map(\.bitPattern),
        "\(label) \(expected.name)")
    }
  }

  func testReadsFileWrittenByPythonSafetensors() throws {
    let path = fixtures.appendingPathComponent("python-written.safetensors").path
    assertHoldsExpected(try SafeTensorsFile(contentsOf: path), "python-written")
  }

  /// Our writer must still produce the exact bytes the script checked with Python's library.
  func testWriterMatchesCheckedFixture() throws {
    let url = fixtures.appendingPathComponent("swift-written.safetensors")
    let encoded = SafeTensorsFile(tensors: expectedTensors(), metadata: expectedMetadata).encoded()
    guard FileManager.default.fileExists(atPath: url.path) else {
      try encoded.write(to: url)
      XCTFail("wrote \(url.path); check it with scripts/check-safetensors.py, then commit it")
      return
    }
    XCTAssertEqual(encoded, try Data(contentsOf: url))
    assertHoldsExpected(try SafeTensorsFile(data: encoded, path: "encoded"), "swift-written")
  }
}
