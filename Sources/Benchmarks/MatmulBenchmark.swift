import Autograd
import Foundation
import Support
import Tensors

/// Times `matmul` from the Tensors module on one shape: the median of repeated runs.
public struct MatmulBenchmark {
  /// Timed runs per shape; nil chooses enough for `targetSeconds` (at least `minimumRepeats`).
  public var repeats: Int?
  /// How long the timed runs of one shape should take together when `repeats` is nil.
  public var targetSeconds = 0.5
  /// The fewest timed runs, so that the median ignores a stray slow run.
  public var minimumRepeats = 5
  /// The most timed runs, so that a tiny shape does not spend its budget reading the clock.
  public var maximumRepeats = 100_000
  /// The seed of the operands' values.
  public var seed: UInt64 = 0x5EED

  /// Every stored property, in declaration order.
  public init(repeats: Int?, seed: UInt64 = 0x5EED) {
    self.repeats = repeats
    self.seed = seed
  }

  /// Fills the operands, runs the product once to warm up (page faults, packing buffers, the
  /// thread pool), then times the repeats.
  public func measure(_ shape: MatmulShape) -> MatmulMeasurement {
    var generator = SplitMix64(seed: seed)
    let leading = shape.batch > 1 ? [shape.batch] : []
    let aShape = leading + (shape.transposeA ? [shape.k, shape.m] : [shape.m, shape.k])
    let bShape = leading + (shape.transposeB ? [shape.n, shape.k] : [shape.k, shape.n])
    let a = Tensor.seededNoise(shape: aShape, using: &generator)
    let b = Tensor.seededNoise(shape: bShape, using: &generator)
    var c = Tensor(uninitializedShape: leading + [shape.m, shape.n])

    let clock = ContinuousClock()
    func timedRun() -> Double {
      let elapsed = clock.measure {
        matmul(
          a, b, transposeA: shape.transposeA, transposeB: shape.transposeB, into: &c,
          accumulate: false)
      }
      return elapsed.seconds
    }

    let warmUpSeconds = timedRun()
    let count = repeats ?? adaptiveRepeats(warmUpSeconds: warmUpSeconds)
    var times: [Double] = []
    times.reserveCapacity(count)
    for _ in 0..<count { times.append(timedRun()) }
    times.sort()
    let middle = times.count / 2
    let median = times.count % 2 == 1 ? times[middle] : (times[middle - 1] + times[middle]) / 2
    return MatmulMeasurement(
      shape: shape, threads: Parallel.threadCount, runCount: count, medianSeconds: median)
  }

  /// Enough runs to fill `targetSeconds` at the warm-up's speed, within the bounds.
  public func adaptiveRepeats(warmUpSeconds: Double) -> Int {
    let fill = (targetSeconds / max(warmUpSeconds, 1e-9)).rounded(.up)
    return Int(min(Double(maximumRepeats), max(Double(minimumRepeats), fill)))
  }
}

/// The result of timing one shape.
public struct MatmulMeasurement {
  public var shape: MatmulShape
  /// `Parallel.threadCount` during the runs.
  public var threads: Int
  /// How many timed runs the median is taken over.
  public var runCount: Int
  public var medianSeconds: Double
  /// The machine's FMA peak on `threads` threads (`FMAPeakBenchmark`), when measured.
  public var peakGFLOPS: Double? = nil

  /// Every stored property, in declaration order.
  public init(
    shape: MatmulShape, threads: Int, runCount: Int, medianSeconds: Double,
    peakGFLOPS: Double? = nil
  ) {
    self.shape = shape
    self.threads = threads
    self.runCount = runCount
    self.medianSeconds = medianSeconds
    self.peakGFLOPS = peakGFLOPS
  }

  /// 2·M·K·N·batch / median seconds, in 10⁹ operations per second (0 if the clock saw no time).
  public var gflops: Double {
    medianSeconds > 0 ? shape.operationCount / medianSeconds / 1e9 : 0
  }

  /// `gflops` over the peak (0.62 for 62 %), or nil without a peak.
  public var peakFraction: Double? {
    peakGFLOPS.map { $0 > 0 ? gflops / $0 : 0 }
  }

  /// One JSON object, keys in a fixed order for line-oriented tools:
  /// `{"m":4096,"k":256,"n":768,"batch":1,"trans_a":false,"trans_b":true,"threads":2,`
  /// `"gflops":81.25,"peak_gflops":130.50,"peak_fraction":0.623}` (compact, snake_case, as
  /// every `--json` output; the last two only when the peak was measured).
  public var jsonLine: String {
    var members: [(key: String, value: JSONValue)] = [
      ("m", .integer(shape.m)), ("k", .integer(shape.k)), ("n", .integer(shape.n)),
      ("batch", .integer(shape.batch)), ("trans_a", .boolean(shape.transposeA)),
      ("trans_b", .boolean(shape.transposeB)), ("threads", .integer(threads)),
      ("gflops", .fixed(gflops, digits: 2)),
    ]
    if let peakGFLOPS, let peakFraction {
      members.append(("peak_gflops", .fixed(peakGFLOPS, digits: 2)))
      members.append(("peak_fraction", .fixed(peakFraction, digits: 3)))
    }
    return JSONValue.object(members).compactText()
  }
}

extension Duration {
  /// The duration in seconds.
  fileprivate var seconds: Double {
    Double(components.seconds) + Double(components.attoseconds) * 1e-18
  }
}

extension Tensor {
  /// A tensor of `shape` filled with values uniform in [-1, 1) from `generator`.
  fileprivate static func seededNoise(shape: [Int], using generator: inout SplitMix64) -> Tensor {
    var tensor = Tensor(uninitializedShape: shape)
    tensor.withUnsafeMutableBufferPointer { buffer in
      for index in buffer.indices {
        // The top 24 bits give every Float in [0, 1) on a 2⁻²⁴ grid without rounding.
        let unit = Float(generator.next() >> 40) * 0x1p-24
        buffer[index] = 2 * unit - 1
      }
    }
    return tensor
  }
}
