import Synchronization

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
    TensorMemory.allocated(count * MemoryLayout<Float>.stride)
  }

  /// A new storage holding a copy of `self`'s elements.
  public func copy() -> TensorStorage {
    let result = TensorStorage(count: count, zeroed: false)
    result.pointer.update(from: pointer, count: count)
    return result
  }

  deinit {
    TensorMemory.freed(count * MemoryLayout<Float>.stride)
    UnsafeMutableRawPointer(pointer).deallocate()
  }
}

/// The bytes held by all tensors of the process now and at most since the last reset: what a
/// training step's tape really keeps, against which `ActivationMemory`'s estimate is tested.
public enum TensorMemory {
  private static let live = Atomic<Int>(0)
  private static let peak = Atomic<Int>(0)

  /// The bytes all `TensorStorage` buffers hold now.
  public static var liveBytes: Int { live.load(ordering: .relaxed) }
  /// The most `liveBytes` has been since the last `resetPeak()`.
  public static var peakBytes: Int { peak.load(ordering: .relaxed) }

  /// Starts a new peak from what is live now.
  public static func resetPeak() { peak.store(live.load(ordering: .relaxed), ordering: .relaxed) }

  static func allocated(_ bytes: Int) {
    let now = live.add(bytes, ordering: .relaxed).newValue
    peak.max(now, ordering: .relaxed)
  }

  static func freed(_ bytes: Int) { live.subtract(bytes, ordering: .relaxed) }
}
