import Foundation
import Tensors
import XCTest

@testable import NN
@testable import Checkpoints

/// Round trips and the refusal of every kind of broken file, each with its exact message.
final class SafeTensorsTests: XCTestCase {
  /// A file's bytes from a header text (padded as a writer would not need to) and data bytes.
  private func fileBytes(header: String, data: [UInt8]) -> Data {
    let headerBytes = Array(header.utf8)
    var bytes: [UInt8] = (0..<8).map { UInt8(truncatingIfNeeded: headerBytes.count >> (8 * $0)) }
    bytes += headerBytes + data
    return Data(bytes)
  }

  private func message(_ data: Data) -> String? {
    do {
      _ = try SafeTensorsFile(data: data, path: "x.safetensors")
      return nil
    } catch {
      return error.description
    }
  }

  private let prefix = "x.safetensors: not a valid safetensors file: "

  func testRoundTripIsBitExact() throws {
    // NaN with a payload, signed zero, subnormals and infinities must come back bit for bit.
    let specials: [Float] = [
      Float(bitPattern: 0x7FC0_1234), -0.0, Float.leastNonzeroMagnitude, -Float.infinity,
      Float.greatestFiniteMagnitude, 1 / 3,
    ]
    var random = RandomGenerator(seed: 7)
    let big = Tensor(shape: [5, 7, 3], scalars: (0..<105).map { _ in random.normal() })
    let file = SafeTensorsFile(
      tensors: [
        NamedTensor(name: "specials", tensor: Tensor(shape: [2, 3], scalars: specials)),
        NamedTensor(name: "encoder.layers.0.w", tensor: big),
        NamedTensor(name: "scalar", tensor: Tensor(shape: [], scalars: [2.5])),
        NamedTensor(name: "empty", tensor: Tensor(shape: [0, 4])),
        NamedTensor(name: "名前 \"quoted\"\n", tensor: Tensor(shape: [1], scalars: [1])),
      ],
      metadata: ["config": "{\"d_model\": 512}", "step": "10"])
    let encoded = file.encoded()
    // The header length, little-endian, keeps the data section 8-byte aligned.
    let headerLength = encoded.prefix(8).reversed().reduce(0) { $0 << 8 | Int($1) }
    XCTAssertEqual(headerLength % 8, 0)
    let decoded = try SafeTensorsFile(data: encoded, path: "memory")
    XCTAssertEqual(decoded.metadata, file.metadata)
    XCTAssertEqual(decoded.tensors.map(\.name), file.tensors.map(\.name))
    for (original, copy) in zip(file.tensors, decoded.tensors) {
      XCTAssertEqual(copy.tensor.shape, original.tensor.shape, original.name)
      XCTAssertEqual(
        copy.tensor.scalars.map(\.bitPattern), original.tensor.scalars.map(\.bitPattern),
        original.name)
    }
  }

  func testHeaderLayout() {
    let file = SafeTensorsFile(
      tensors: [NamedTensor(name: "w", tensor: Tensor(shape: [2], scalars: [1, -2]))],
      metadata: ["k": "v"])
    let bytes = [UInt8](file.encoded())
    let header = #"{"__metadata__":{"k":"v"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
    let padded = header + String(repeating: " ", count: (8 - header.utf8.count % 8) % 8)
    XCTAssertEqual(bytes[0..<8], [UInt8(padded.utf8.count), 0, 0, 0, 0, 0, 0, 0][...])
    XCTAssertEqual(String(decoding: bytes[8..<(8 + padded.utf8.count)], as: UTF8.self), padded)
    // 1.0 and −2.0, little-endian.
    XCTAssertEqual(Array(bytes.suffix(8)), [0, 0, 0x80, 0x3F, 0, 0, 0, 0xC0])
  }

  func testWriteIsAtomicAndReadsBack() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "safetensors-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("model.safetensors").path
    let first = SafeTensorsFile(tensors: [
      NamedTensor(name: "a", tensor: Tensor(shape: [3], repeating: 1))
    ])
    let second = SafeTensorsFile(tensors: [
      NamedTensor(name: "a", tensor: Tensor(shape: [3], repeating: 2))
    ])
    try first.write(to: path)
    try second.write(to: path)  // replaces the first
    XCTAssertEqual(try SafeTensorsFile(contentsOf: path)["a"]?.scalars, [2, 2, 2])
    XCTAssertEqual(
      try FileManager.default.contentsOfDirectory(atPath: directory.path), ["model.safetensors"])
  }

  func testUnwritableAndMissingFiles() {
    let missing = "/nonexistent-dir/model.safetensors"
    XCTAssertThrowsError(try SafeTensorsFile(tensors: []).write(to: missing)) { error in
      XCTAssertEqual("\(error)", "cannot write '\(missing)': no such directory '/nonexistent-dir'")
    }
    XCTAssertThrowsError(try SafeTensorsFile(contentsOf: missing)) { error in
      XCTAssertEqual("\(error)", "cannot read '\(missing)': no such file")
    }
  }

  func testRefusesTooShortFile() {
    XCTAssertEqual(
      message(Data([1, 2, 3, 4, 5])),
      prefix + "the file has 5 bytes, fewer than the 8 of the header length")
  }

  func testRefusesHeaderLengthPastTheEnd() {
    var bytes = [UInt8](fileBytes(header: "{}      ", data: []))
    bytes[0] = 0xE8
    bytes[1] = 0x03  // 1000
    XCTAssertEqual(
      message(Data(bytes)),
      prefix + "the header length 1000 runs past the end of the file (16 bytes)")
  }

  func testRefusesTruncatedData() {
    let file = SafeTensorsFile(tensors: [
      NamedTensor(name: "a", tensor: Tensor(shape: [2], repeating: 1)),
      NamedTensor(name: "b", tensor: Tensor(shape: [2, 2], repeating: 2)),
    ])
    let truncated = file.encoded().dropLast(3)
    XCTAssertEqual(
      message(Data(truncated)),
      prefix
        + "truncated: tensor \"b\" ends at byte 24 of the data but only 21 bytes follow the header")
  }

  func testRefusesUnsupportedDataType() {
    let header = #"{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#
    XCTAssertEqual(
      message(fileBytes(header: header, data: [0, 0, 0, 0])),
      prefix + "tensor \"w\" has dtype \"F16\"; only F32 is supported")
  }

  func testRefusesShapeOffsetMismatch() {
    let header = #"{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}"#
    XCTAssertEqual(
      message(fileBytes(header: header, data: Array(repeating: 0, count: 20))),
      prefix
        + "tensor \"w\" has shape [2, 3], which needs 24 bytes, but its data_offsets [0, 20] span 20"
    )
  }

  func testRefusesOverlapGapAndUnusedBytes() {
    let overlap =
      #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"#
      + #""b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}}"#
    XCTAssertEqual(
      message(fileBytes(header: overlap, data: Array(repeating: 0, count: 24))),
      prefix + "tensors \"a\" [0, 16) and \"b\" [8, 24) overlap")
    let gap =
      #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"#
      + #""b":{"dtype":"F32","shape":[4],"data_offsets":[20,36]}}"#
    XCTAssertEqual(
      message(fileBytes(header: gap, data: Array(repeating: 0, count: 36))),
      prefix + "bytes [16, 20) of the data belong to no tensor")
    let short = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
    XCTAssertEqual(
      message(fileBytes(header: short, data: Array(repeating: 0, count: 8))),
      prefix + "4 bytes after the last tensor's data belong to no tensor")
  }

  func testRefusesBrokenHeaders() {
    XCTAssertEqual(
      message(fileBytes(header: "{nope   ", data: [])), prefix + "the header is not valid JSON")
    XCTAssertEqual(
      message(fileBytes(header: "[]      ", data: [])),
      prefix + "the header does not start with '{'")
    let badOffsets = #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#
    XCTAssertEqual(
      message(fileBytes(header: badOffsets, data: [0, 0, 0, 0])),
      prefix + "tensor \"w\" has no \"data_offsets\" pair [begin, end] with 0 <= begin <= end")
    let badShape = #"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#
    XCTAssertEqual(
      message(fileBytes(header: badShape, data: [0, 0, 0, 0])),
      prefix + "tensor \"w\" has no \"shape\" array of non-negative integers")
    let badMetadata = #"{"__metadata__":{"step":3}}"#
    XCTAssertEqual(
      message(fileBytes(header: badMetadata, data: [])),
      prefix + "\"__metadata__\".\"step\" is not a string")
  }

  func testNamedLookupErrors() throws {
    let file = SafeTensorsFile(tensors: [NamedTensor(name: "w", tensor: Tensor(shape: [2, 2]))])
    XCTAssertEqual(
      try file.tensor(named: "w", shape: [2, 2], path: "m.safetensors").shape, [2, 2])
    XCTAssertThrowsError(try file.tensor(named: "v", shape: [2], path: "m.safetensors")) { error in
      XCTAssertEqual(
        "\(error)",
        "m.safetensors: no tensor named \"v\"; the file was written by another model or version")
    }
    XCTAssertThrowsError(try file.tensor(named: "w", shape: [4], path: "m.safetensors")) { error in
      XCTAssertEqual(
        "\(error)",
        "m.safetensors: tensor \"w\" has shape [2, 2] but [4] is needed; "
          + "the file was written for a model of another size")
    }
  }
}
