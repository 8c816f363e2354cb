import Foundation
import Support

/// Where one tensor's bytes lie in a safetensors data section.
struct SafeTensorsEntry: Equatable {
  /// The tensor's name, a key of the header.
  var name: String
  /// The extent of each dimension, outermost first.
  var shape: [Int]
  /// The first byte, relative to the start of the data section.
  var begin: Int
  /// One past the last byte, relative to the start of the data section.
  var end: Int
}

/// The JSON header of a safetensors file: writing it, and reading it back with every check the
/// data section relies on.
///
/// The header maps each tensor name to `{"dtype":"F32","shape":[…],"data_offsets":[begin,end]}`
/// and may hold `"__metadata__"`, a map of strings to strings. Only `F32` is accepted, because
/// every tensor in this program is Float32.
enum SafeTensorsHeader {
  /// The header key that holds free-form string metadata instead of a tensor.
  static let metadataKey = "__metadata__"
  /// The only element type this program reads and writes.
  static let dataType = "F32"
  /// Bytes per element of ``dataType``.
  static let elementSize = 4

  /// The header's bytes, padded with spaces so that the data section starts on an 8-byte boundary
  /// (the 8-byte length prefix plus a multiple of 8).
  static func encode(entries: [SafeTensorsEntry], metadata: [String: String]) -> [UInt8] {
    var members: [(key: String, value: JSONValue)] = []
    if !metadata.isEmpty {
      let pairs = metadata.keys.sorted().map { (key: $0, value: JSONValue.string(metadata[$0]!)) }
      members.append((metadataKey, .object(pairs)))
    }
    for entry in entries {
      members.append(
        (
          entry.name,
          .object([
            ("dtype", .string(dataType)), ("shape", .array(entry.shape.map(JSONValue.integer))),
            ("data_offsets", .array([.integer(entry.begin), .integer(entry.end)])),
          ])
        ))
    }
    var bytes = Array(JSONValue.object(members).compactText().utf8)
    let padding = (8 - bytes.count % 8) % 8
    bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: padding))
    return bytes
  }

  /// Parses and validates a header, returning its entries in data order and its metadata.
  ///
  /// Checks each entry's fields, that each shape's size matches its offsets, that no tensor runs
  /// past the `dataByteCount` bytes that follow the header, and that the tensors tile the data
  /// section exactly: no overlap, no gap, no unused bytes at the end.
  static func decode(
    _ header: Data, dataByteCount: Int, path: String
  ) throws(SafeTensorsError) -> (entries: [SafeTensorsEntry], metadata: [String: String]) {
    func fail(_ reason: String) -> SafeTensorsError { .malformed(path: path, reason: reason) }
    guard header.first == UInt8(ascii: "{") else {
      throw fail("the header does not start with '{'")
    }
    let object: JSONValue
    do {
      object = try JSONValue.parse(header)
    } catch {
      throw fail("the header is not valid JSON")
    }
    guard let members = object.members else {
      throw fail("the header is not a JSON object")
    }
    var metadata: [String: String] = [:]
    var entries: [SafeTensorsEntry] = []
    for (name, value) in members {
      if name == metadataKey {
        guard let map = value.members else {
          throw fail("\"\(metadataKey)\" is not an object of strings")
        }
        for (key, item) in map {
          guard let text = item.string else {
            throw fail("\"\(metadataKey)\".\"\(key)\" is not a string")
          }
          metadata[key] = text
        }
      } else {
        entries.append(
          try entry(named: name, from: value, dataByteCount: dataByteCount, fail: fail))
      }
    }
    entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
    try checkTiling(entries, dataByteCount: dataByteCount, fail: fail)
    return (entries, metadata)
  }

  /// One tensor's entry, with its own fields checked.
  private static func entry(
    named name: String, from value: JSONValue, dataByteCount: Int,
    fail: (String) -> SafeTensorsError
  ) throws(SafeTensorsError) -> SafeTensorsEntry {
    let label = "tensor \"\(name)\""
    guard let members = value.members else { throw fail("\(label) is not an object") }
    let fields = Dictionary(members, uniquingKeysWith: { first, _ in first })
    for key in fields.keys where !["dtype", "shape", "data_offsets"].contains(key) {
      throw fail("\(label) has an unexpected field \"\(key)\"")
    }
    guard let dtype = fields["dtype"]?.string else {
      throw fail("\(label) has no \"dtype\" string")
    }
    guard dtype == dataType else {
      throw fail("\(label) has dtype \"\(dtype)\"; only \(dataType) is supported")
    }
    guard let shape = integers(fields["shape"]), shape.allSatisfy({ $0 >= 0 }) else {
      throw fail("\(label) has no \"shape\" array of non-negative integers")
    }
    guard let offsets = integers(fields["data_offsets"]), offsets.count == 2,
      offsets[0] >= 0, offsets[0] <= offsets[1]
    else {
      throw fail("\(label) has no \"data_offsets\" pair [begin, end] with 0 <= begin <= end")
    }
    var byteCount = elementSize
    for extent in shape {
      let (product, overflow) = byteCount.multipliedReportingOverflow(by: extent)
      guard !overflow else { throw fail("\(label) has an impossibly large shape \(shape)") }
      byteCount = product
    }
    let (begin, end) = (offsets[0], offsets[1])
    guard end - begin == byteCount else {
      throw fail(
        "\(label) has shape \(shape), which needs \(byteCount) bytes, "
          + "but its data_offsets [\(begin), \(end)] span \(end - begin)")
    }
    guard end <= dataByteCount else {
      throw fail(
        "truncated: \(label) ends at byte \(end) of the data but only \(dataByteCount) "
          + "bytes follow the header")
    }
    return SafeTensorsEntry(name: name, shape: shape, begin: begin, end: end)
  }

  /// Checks that entries sorted by offset cover the data section exactly once.
  private static func checkTiling(
    _ entries: [SafeTensorsEntry], dataByteCount: Int, fail: (String) -> SafeTensorsError
  ) throws(SafeTensorsError) {
    var covered = 0
    var previous: SafeTensorsEntry? = nil
    for entry in entries {
      if entry.begin < covered, let previous {
        throw fail(
          "tensors \"\(previous.name)\" [\(previous.begin), \(previous.end)) and "
            + "\"\(entry.name)\" [\(entry.begin), \(entry.end)) overlap")
      }
      if entry.begin > covered {
        throw fail("bytes [\(covered), \(entry.begin)) of the data belong to no tensor")
      }
      covered = entry.end
      previous = entry
    }
    if covered < dataByteCount {
      throw fail(
        "\(dataByteCount - covered) bytes after the last tensor's data belong to no tensor")
    }
  }

  /// The array of integers in a JSON value, or nil if it is anything else.
  private static func integers(_ value: JSONValue?) -> [Int]? {
    guard let array = value?.elements else { return nil }
    var result: [Int] = []
    for item in array {
      // `integer` refuses strings, fractions and out-of-range values.
      guard let integer = item.integer else { return nil }
      result.append(integer)
    }
    return result
  }
}
