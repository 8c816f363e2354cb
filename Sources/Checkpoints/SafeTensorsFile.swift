import Foundation
import Support
import Tensors

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A tensor with the name it is stored under (a parameter's checkpoint name).
public struct NamedTensor {
  /// The name, unique within a file.
  public var name: String
  /// The values.
  public var tensor: Tensor

  /// Pairs `tensor` with `name`.
  public init(name: String, tensor: Tensor) {
    self.name = name
    self.tensor = tensor
  }
}

/// Named Float32 tensors and string metadata in the safetensors format, the format of
/// Hugging Face's `safetensors` library, so checkpoints can be inspected from Python.
///
/// The layout: a little-endian `UInt64` header length N; N bytes of JSON header, padded with
/// spaces to a multiple of 8; then the raw little-endian data of every tensor, back to back, at
/// the offsets the header gives (relative to the end of the header). See ``SafeTensorsHeader``
/// for the header and the checks made on reading.
public struct SafeTensorsFile {
  /// The tensors, in the order they are stored.
  public var tensors: [NamedTensor]
  /// Free-form string metadata (the header's `__metadata__`).
  public var metadata: [String: String]

  /// A file holding `tensors` and `metadata`. Names must be unique and not `__metadata__`.
  public init(tensors: [NamedTensor], metadata: [String: String] = [:]) {
    var seen = Set<String>()
    for entry in tensors {
      precondition(
        entry.name != SafeTensorsHeader.metadataKey && seen.insert(entry.name).inserted,
        "SafeTensorsFile: tensor name \"\(entry.name)\" is reserved or used twice")
    }
    self.tensors = tensors
    self.metadata = metadata
  }

  /// The tensor stored under `name`, or nil.
  public subscript(name: String) -> Tensor? {
    tensors.first { $0.name == name }?.tensor
  }

  /// The tensor stored under `name`, which must have `shape` and only finite values (the
  /// weights and moments of a checkpoint: a step whose loss is not finite is never taken, so
  /// NaN or ±∞ there means the file was damaged).
  ///
  /// - Parameter path: the file's path, for the message.
  /// - Throws: ``SafeTensorsError/missingTensor(path:name:)``,
  ///   ``SafeTensorsError/shapeMismatch(path:name:expected:found:)`` or
  ///   ``SafeTensorsError/nonFinite(path:name:index:value:)``.
  public func tensor(named name: String, shape: [Int], path: String) throws(SafeTensorsError)
    -> Tensor
  {
    guard let tensor = self[name] else { throw .missingTensor(path: path, name: name) }
    guard tensor.shape == shape else {
      throw .shapeMismatch(path: path, name: name, expected: shape, found: tensor.shape)
    }
    if let (index, value) = tensor.firstNonFinite {
      throw .nonFinite(path: path, name: name, index: index, value: "\(value)")
    }
    return tensor
  }

  // MARK: Reading

  /// Reads and validates the file at `path`.
  ///
  /// - Throws: ``SafeTensorsError/cannotRead(path:reason:)`` when the file cannot be opened,
  ///   ``SafeTensorsError/malformed(path:reason:)`` naming the problem when its bytes are wrong.
  public init(contentsOf path: String) throws(SafeTensorsError) {
    let data: Data
    do {
      // Mapping avoids a second copy of a large checkpoint; the tensors are copied out below.
      data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
    } catch {
      throw .cannotRead(path: path, reason: Self.readFailure(path, error))
    }
    self = try SafeTensorsFile(data: data, path: path)
  }

  /// Decodes and validates the bytes of a safetensors file.
  ///
  /// - Parameter path: the name used in error messages.
  public init(data: Data, path: String) throws(SafeTensorsError) {
    let total = data.count
    guard total >= 8 else {
      throw .malformed(
        path: path, reason: "the file has \(total) bytes, fewer than the 8 of the header length")
    }
    var headerLength: UInt64 = 0
    for (shift, byte) in data.prefix(8).enumerated() {
      headerLength |= UInt64(byte) << (8 * UInt64(shift))
    }
    guard headerLength <= UInt64(total - 8) else {
      throw .malformed(
        path: path,
        reason: "the header length \(headerLength) runs past the end of the file (\(total) bytes)")
    }
    let dataStart = 8 + Int(headerLength)
    let start = data.startIndex
    let header = data.subdata(in: (start + 8)..<(start + dataStart))
    let (entries, metadata) = try SafeTensorsHeader.decode(
      header, dataByteCount: total - dataStart, path: path)
    let tensors = data.withUnsafeBytes { raw in
      entries.map { entry in
        let bytes = UnsafeRawBufferPointer(
          rebasing: raw[(dataStart + entry.begin)..<(dataStart + entry.end)])
        return NamedTensor(name: entry.name, tensor: Self.tensor(shape: entry.shape, bytes: bytes))
      }
    }
    self.init(tensors: tensors, metadata: metadata)
  }

  /// A tensor of `shape` from little-endian Float32 `bytes`.
  private static func tensor(shape: [Int], bytes: UnsafeRawBufferPointer) -> Tensor {
    var tensor = Tensor(uninitializedShape: shape)
    tensor.withUnsafeMutableBufferPointer { elements in
      // A byte copy: the source need not be 4-byte aligned.
      UnsafeMutableRawBufferPointer(elements).copyMemory(from: bytes)
      #if _endian(big)
        for index in elements.indices {
          elements[index] = Float(bitPattern: UInt32(littleEndian: elements[index].bitPattern))
        }
      #endif
    }
    return tensor
  }

  // MARK: Writing

  /// The complete file as bytes.
  public func encoded() -> Data {
    var data = Data(headerWithLength())
    for entry in tensors {
      Self.appendLittleEndian(entry.tensor) { data.append(contentsOf: $0) }
    }
    return data
  }

  /// Writes the file to `path`, first to a temporary file beside it and then renaming it, so that
  /// an interrupted save never leaves half a file under the real name.
  ///
  /// - Throws: ``SafeTensorsError/cannotWrite(path:reason:)``.
  public func write(to path: String) throws(SafeTensorsError) {
    let temporary = AtomicFile.temporaryPath(for: path)
    do {
      guard FileManager.default.createFile(atPath: temporary, contents: nil) else {
        throw CocoaError(.fileWriteUnknown)
      }
      let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
      defer { try? handle.close() }
      try handle.write(contentsOf: headerWithLength())
      for entry in tensors {
        var failure: Error? = nil
        Self.appendLittleEndian(entry.tensor) { bytes in
          if failure == nil {
            do { try handle.write(contentsOf: bytes) } catch { failure = error }
          }
        }
        if let failure { throw failure }
      }
      // On disk before the rename, so a crash cannot leave the new name with missing data.
      try handle.synchronize()
    } catch {
      try? FileManager.default.removeItem(atPath: temporary)
      throw .cannotWrite(path: path, reason: Self.writeFailure(path, error))
    }
    do {
      try AtomicFile.moveIntoPlace(temporary, at: path)
    } catch {
      throw .cannotWrite(path: path, reason: error.reason)
    }
  }

  /// The 8-byte length followed by the padded header.
  private func headerWithLength() -> [UInt8] {
    var begin = 0
    let entries = tensors.map { entry in
      let end = begin + entry.tensor.count * SafeTensorsHeader.elementSize
      defer { begin = end }
      return SafeTensorsEntry(name: entry.name, shape: entry.tensor.shape, begin: begin, end: end)
    }
    let header = SafeTensorsHeader.encode(entries: entries, metadata: metadata)
    var bytes: [UInt8] = []
    bytes.reserveCapacity(8 + header.count)
    for shift in 0..<8 {
      bytes.append(UInt8(truncatingIfNeeded: UInt64(header.count) >> (8 * shift)))
    }
    bytes.append(contentsOf: header)
    return bytes
  }

  /// Hands `sink` the tensor's elements as little-endian bytes.
  private static func appendLittleEndian(
    _ tensor: Tensor, to sink: (UnsafeRawBufferPointer) -> Void
  ) {
    tensor.withUnsafeBufferPointer { elements in
      #if _endian(little)
        sink(UnsafeRawBufferPointer(elements))
      #else
        let swapped = elements.map { $0.bitPattern.littleEndian }
        swapped.withUnsafeBytes { sink($0) }
      #endif
    }
  }

  /// Why `path` could not be read, in a few words.
  private static func readFailure(_ path: String, _ error: Error) -> String {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      return "no such file"
    }
    if isDirectory.boolValue { return "it is a directory" }
    if !FileManager.default.isReadableFile(atPath: path) { return "permission denied" }
    return (error as NSError).localizedDescription
  }

  /// Why `path` could not be written, in a few words.
  private static func writeFailure(_ path: String, _ error: Error) -> String {
    let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory),
      isDirectory.boolValue
    else {
      return "no such directory '\(directory)'"
    }
    if !FileManager.default.isWritableFile(atPath: directory) {
      return "permission denied in '\(directory)'"
    }
    return (error as NSError).localizedDescription
  }
}
