import Dispatch
import Foundation
import Tensors

/// Measures the machine's fused multiply–add peak: what `bench matmul`'s GFLOPS are a fraction
/// of.
///
/// Each thread runs a loop that touches no memory: twelve independent accumulators, each
/// updated by one FMA per iteration (`c += x·y`). A core with two FMA pipes of latency 4 (Zen 3,
/// Skylake) has eight FMAs in flight at full speed, so twelve chains never wait on a result.
/// The loop is timed at two vector widths, 8 and 16 floats, and the faster one is the peak: an
/// AVX2 build runs 8 floats in one 256-bit register (16 floats take two, and the 24 registers
/// the 16-wide form then needs spill), an AVX-512 build runs 16 in one 512-bit register. Which
/// width won says which registers the build really uses.
public struct FMAPeakBenchmark {
  /// Threads running the loop at once, each on its own accumulators.
  public var threads: Int
  /// Loop iterations per thread and timed run (12 FMAs each): 1.2 million cycles at two FMAs a
  /// cycle, short enough that some runs finish between two interruptions on a busy machine.
  public var iterations = 200_000
  /// Timed runs per width and thread; each thread's fastest counts (interference only slows a
  /// run down).
  public var repeats = 30

  /// A peak measurement on `threads` threads.
  public init(threads: Int) {
    self.threads = max(1, threads)
  }

  /// What was measured.
  public struct Measurement {
    /// 2 × FMAs per second over all threads, in 10⁹.
    public var gflops: Double
    /// The vector width (floats) of the faster loop: 8 for 256-bit registers, 16 for 512-bit.
    public var vectorWidth: Int
    public var threads: Int

    /// Every stored property, in declaration order.
    public init(gflops: Double, vectorWidth: Int, threads: Int) {
      self.gflops = gflops
      self.vectorWidth = vectorWidth
      self.threads = threads
    }

    /// `256-bit`, `512-bit`: the register width the peak was reached with.
    public var registerDescription: String { "\(vectorWidth * 32)-bit" }
  }

  /// Times both widths and returns the faster.
  public func measure() -> Measurement {
    let narrow = best(width: 8) { FMAPeakBenchmark.chains(SIMD8<Float>.self, $0, $1) }
    let wide = best(width: 16) { FMAPeakBenchmark.chains(SIMD16<Float>.self, $0, $1) }
    let winner = wide > narrow ? (wide, 16) : (narrow, 8)
    return Measurement(gflops: winner.0, vectorWidth: winner.1, threads: threads)
  }

  /// The GFLOPS of `loop` (`width` floats per FMA) on every thread at once: each thread times
  /// its own runs, and the threads' best rates are added. A thread timing itself is not charged
  /// for waking late, and on a shared machine the best run of each is the one nothing
  /// interrupted.
  private func best(width: Int, _ loop: @escaping @Sendable (Int, Float) -> Float) -> Double {
    let (threads, iterations, repeats) = (self.threads, self.iterations, self.repeats)
    let rates = UnsafeMutablePointer<Double>.allocate(capacity: threads)
    defer { rates.deallocate() }
    nonisolated(unsafe) let sink = rates
    let operations = 2.0 * 12 * Double(width) * Double(iterations)
    DispatchQueue.concurrentPerform(iterations: threads) { t in
      var fastest = 0.0
      // One untimed run brings the clock up to speed.
      for run in 0...repeats {
        let start = ContinuousClock.now
        let sum = loop(iterations, Float(t + run + 1))
        let elapsed = ContinuousClock.now - start
        let seconds =
          Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        // Reading the sum keeps the loop from being optimised away.
        if run > 0 && seconds > 0 && sum.isFinite {
          fastest = max(fastest, operations / seconds / 1e9)
        }
      }
      sink[t] = fastest
    }
    return (0..<threads).reduce(0) { $0 + rates[$1] }
  }

  /// Twelve FMA chains for `iterations` steps; returns their sum so that none is dead.
  ///
  /// The addends stay small (1e-9 per step from 1 upwards), so no value overflows or becomes
  /// subnormal, and the compiler cannot fold an FMA of changing accumulators.
  @inline(never)
  static func chains<Vector: SIMD>(_: Vector.Type, _ iterations: Int, _ seed: Float) -> Float
  where Vector.Scalar == Float {
    let x = Vector(repeating: 1e-5 * seed)
    let y = Vector(repeating: 1e-4)
    var c0 = Vector(repeating: 1), c1 = Vector(repeating: 2), c2 = Vector(repeating: 3)
    var c3 = Vector(repeating: 4), c4 = Vector(repeating: 5), c5 = Vector(repeating: 6)
    var c6 = Vector(repeating: 7), c7 = Vector(repeating: 8), c8 = Vector(repeating: 9)
    var c9 = Vector(repeating: 10), c10 = Vector(repeating: 11), c11 = Vector(repeating: 12)
    for _ in 0..<iterations {
      c0.addProduct(x, y)
      c1.addProduct(x, y)
      c2.addProduct(x, y)
      c3.addProduct(x, y)
      c4.addProduct(x, y)
      c5.addProduct(x, y)
      c6.addProduct(x, y)
      c7.addProduct(x, y)
      c8.addProduct(x, y)
      c9.addProduct(x, y)
      c10.addProduct(x, y)
      c11.addProduct(x, y)
    }
    let total = ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11))
    return total.sum()
  }
}
