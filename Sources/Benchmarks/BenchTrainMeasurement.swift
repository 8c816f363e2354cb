import Foundation
import Support

/// What `bench train` measured: the time of each phase of every timed step, and the process's
/// peak memory.
public struct BenchTrainMeasurement {
  /// One timed training step.
  public struct Step {
    /// Zeroing the gradients and the recorded forward pass, loss included.
    public var forwardSeconds: Double
    /// `loss.backward()`.
    public var backwardSeconds: Double
    /// `Adam.step`.
    public var adamSeconds: Double
    /// The step's loss, to show that the model trains.
    public var loss: Float

    /// The whole step.
    public var totalSeconds: Double { forwardSeconds + backwardSeconds + adamSeconds }
  }

  public var preset: BenchTrainPreset
  /// `Parallel.threadCount` during the steps.
  public var threads: Int
  /// The number of trainable scalars.
  public var parameterCount: Int
  /// B·T, the target tokens of one batch.
  public var targetTokens: Int
  /// The timed steps, in order.
  public var steps: [Step]
  /// The process's peak resident set size, in MB (10⁶ bytes); nil where it cannot be read.
  public var peakResidentMegabytes: Double?
  /// The multiply–adds of one step's matrix products (`MatmulTally`), forward and backward.
  public var matmulMultiplyAdds: Int
  /// The machine's FMA peak on the same threads (`FMAPeakBenchmark`), in 10⁹ FLOP/s.
  public var peakGFLOPS: Double
  /// Each shape of matrix product of the timed steps, per step, slowest first
  /// (`profilesProducts`), or nil.
  public var products: [ProductTime]?

  /// The matrix products' floating-point operations per step (2 per multiply–add), in 10⁹.
  public var matmulGFLOP: Double { 2 * Double(matmulMultiplyAdds) / 1e9 }
  /// The products' operations per second of step time, in 10⁹: what the step would reach if
  /// nothing but its products took time.
  public var matmulGFLOPS: Double { medianStepSeconds > 0 ? matmulGFLOP / medianStepSeconds : 0 }
  /// `matmulGFLOPS` as a fraction of the FMA peak.
  public var peakFraction: Double { peakGFLOPS > 0 ? matmulGFLOPS / peakGFLOPS : 0 }
  /// The shortest step the products allow: all of them at the FMA peak, nothing else.
  public var stepSecondsAtPeak: Double { peakGFLOPS > 0 ? matmulGFLOP / peakGFLOPS : 0 }

  /// The median time of a whole step.
  public var medianStepSeconds: Double { Self.median(steps.map(\.totalSeconds)) }
  /// The median time of each phase (their sum need not equal the median step).
  public var medianForwardSeconds: Double { Self.median(steps.map(\.forwardSeconds)) }
  public var medianBackwardSeconds: Double { Self.median(steps.map(\.backwardSeconds)) }
  public var medianAdamSeconds: Double { Self.median(steps.map(\.adamSeconds)) }

  /// Target tokens per second at the median step time (0 if the clock saw no time).
  public var tokensPerSecond: Double {
    medianStepSeconds > 0 ? Double(targetTokens) / medianStepSeconds : 0
  }

  /// One JSON object, keys in a fixed order: `{"preset":"small","threads":2,`
  /// `"ms_per_step":703.12,"tokens_per_s":2184.5,"peak_rss_mb":512.3,"matmul_gflop":69.6,`
  /// `"peak_gflops":236.4,"peak_fraction":0.67}`; when profiled, then `"products":[{"shape":`
  /// `"256x1536x256:ta","kernel":"gemm","calls":36,"ms":46.812,…},…]` (`ProductTime.json`).
  public var jsonLine: String {
    JSONValue.object(
      [
        ("preset", .string(preset.rawValue)), ("threads", .integer(threads)),
        ("ms_per_step", .fixed(medianStepSeconds * 1000, digits: 2)),
        ("tokens_per_s", .fixed(tokensPerSecond, digits: 1)),
        ("peak_rss_mb", peakResidentMegabytes.map { .fixed($0, digits: 1) } ?? .null),
        ("matmul_gflop", .fixed(matmulGFLOP, digits: 3)),
        ("peak_gflops", .fixed(peakGFLOPS, digits: 1)),
        ("peak_fraction", .fixed(peakFraction, digits: 3)),
      ] + ProductTime.jsonMembers(products, peakGFLOPS: peakGFLOPS)
    ).compactText()
  }

  /// The middle value, or the mean of the two middle values; 0 for none.
  public static func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
  }
}
