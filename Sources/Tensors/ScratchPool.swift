import Foundation

/// Reusable, 64-byte-aligned scratch buffers for packed GEMM panels.
///
/// A fresh multi-megabyte allocation per product costs hundreds of page faults (about a
/// millisecond, a tenth of a mid-sized GEMM); keeping the buffers makes that a one-time cost.
/// Threads take a buffer under a lock and give it back, so concurrent products never share one.
enum ScratchPool {
  private static let lock = NSLock()
  nonisolated(unsafe) private static var free: [(pointer: UnsafeMutablePointer<Float>, count: Int)] = []
  /// Buffers kept for reuse at most; more are freed on return.
  private static let keep = 16

  /// Calls `body` with a buffer of at least `count` floats (contents undefined).
  static func withBuffer<R>(count: Int, _ body: (UnsafeMutablePointer<Float>) -> R) -> R {
    let buffer = take(max(count, 16))
    defer { giveBack(buffer) }
    return body(buffer.pointer)
  }

  private static func take(_ count: Int) -> (pointer: UnsafeMutablePointer<Float>, count: Int) {
    lock.lock()
    if let index = free.firstIndex(where: { $0.count >= count }) {
      let buffer = free.remove(at: index)
      lock.unlock()
      return buffer
    }
    lock.unlock()
    let raw = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
    return (raw.bindMemory(to: Float.self, capacity: count), count)
  }

  private static func giveBack(_ buffer: (pointer: UnsafeMutablePointer<Float>, count: Int)) {
    lock.lock()
    free.append(buffer)
    free.sort { $0.count < $1.count }
    // Keep the largest buffers: dropping a large one would cost its page faults again on the
    // next large product, while a small request is served by any larger buffer.
    let evicted = free.count > keep ? free.removeFirst() : nil
    lock.unlock()
    if let evicted { UnsafeMutableRawPointer(evicted.pointer).deallocate() }
  }
}
