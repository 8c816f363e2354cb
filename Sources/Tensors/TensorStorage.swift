/// A 64-byte-aligned, heap-allocated buffer of `Float` that several `Tensor` values may share.
///
/// Sharing is what makes `Tensor.reshaped(_:)` free; `Tensor` copies the buffer before the first
/// write to a shared one (copy-on-write), so tensors still behave as values.
public final class TensorStorage {
  /// The first element. Valid for `count` elements.
  public let pointer: UnsafeMutablePointer<Float>
  /// The number of elements.
  public let count: Int

  /// Allocates `count` elements, uninitialised unless `zeroed`.
  public init(count: Int, zeroed: Bool = true) {
    kernelPrecondition(count >= 0, "TensorStorage: negative element count \(count)")
    self.count = count
    _ = AllocatorTuning.applied
    // Aligned to a cache line so that SIMD loads of a row never straddle two lines more than
    // they must, and so that two threads writing neighbouring tensors never share a line.
    let raw = UnsafeMutableRawPointer.allocate(
      byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
    pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    if zeroed { pointer.initialize(repeating: 0, count: count) }
  }

  /// A new storage holding a copy of `self`'s elements.
  public func copy() -> TensorStorage {
    let result = TensorStorage(count: count, zeroed: false)
    result.pointer.update(from: pointer, count: count)
    return result
  }

  deinit {
    UnsafeMutableRawPointer(pointer).deallocate()
  }
}
