import Foundation
import Tensors

/// Measures how fast the kernel threads can read a buffer of a given size: what `bench decode`
/// holds the streaming of the decoder's weights against.
///
/// The buffer is split into one contiguous part per thread (the kernels' own `parallelForRanges`
/// on the spinning `WorkerPool`, as the row products run), and each part is summed front to back
/// in 16-float vectors into four accumulators: a plain read, the fastest way through memory a
/// kernel could take. A buffer that fits the last-level cache is read from it after the first
/// run; a larger one from DRAM. The best of `repeats` runs counts (interference only slows a
/// run down).
public struct ReadBandwidthBenchmark {
  /// Threads reading at once.
  public var threads: Int
  /// The bytes read per run.
  public var bytes: Int
  /// Timed runs after one untimed one.
  public var repeats = 20

  /// A measurement of `threads` threads reading `bytes` bytes.
  public init(threads: Int, bytes: Int) {
    self.threads = max(1, threads)
    self.bytes = bytes
  }

  /// The best rate, in 10⁹ bytes per second.
  public func measure() -> Double {
    let block = 64  // floats per step of the loop: four vectors
    let blocks = max(1, bytes / (4 * block))
    let count = blocks * block
    let buffer = UnsafeMutablePointer<Float>.allocate(capacity: count)
    buffer.initialize(repeating: 1, count: count)
    defer { buffer.deallocate() }
    let sums = UnsafeMutablePointer<Float>.allocate(capacity: blocks)
    defer { sums.deallocate() }
    nonisolated(unsafe) let (source, sink) = (UnsafePointer(buffer), sums)
    var best = 0.0
    for run in 0...repeats {
      let start = ContinuousClock.now
      parallelForRanges(blocks, threads: threads, minimumPerThread: 1) { range in
        var (a0, a1, a2, a3) = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
        var p = UnsafeRawPointer(source + range.lowerBound * block)
        for _ in range {
          a0 += p.load(as: SIMD16<Float>.self)
          a1 += p.load(fromByteOffset: 64, as: SIMD16<Float>.self)
          a2 += p.load(fromByteOffset: 128, as: SIMD16<Float>.self)
          a3 += p.load(fromByteOffset: 192, as: SIMD16<Float>.self)
          p += 4 * block
        }
        // Storing the sum keeps the reads from being optimised away.
        sink[range.lowerBound] = ((a0 + a1) + (a2 + a3)).sum()
      }
      let elapsed = ContinuousClock.now - start
      let seconds =
        Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
      if run > 0 && seconds > 0 && sums[0].isFinite {
        best = max(best, Double(count * 4) / seconds / 1e9)
      }
    }
    return best
  }
}
