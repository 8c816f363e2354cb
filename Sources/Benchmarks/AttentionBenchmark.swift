import Autograd
import Foundation
import Support
import Tensors

/// Times one self-attention call (T = S = `length`) with the standard or the memory-efficient
/// kernel: forward only, or forward and backward; the median of repeated runs and the peak
/// memory of the process.
public struct AttentionBenchmark {
  /// The kernel to time.
  public var kernel: AttentionKernel
  /// T = S.
  public var length: Int
  /// H.
  public var heads: Int
  /// K.
  public var headSize: Int
  /// B.
  public var batch: Int
  /// Whether each query sees only the keys up to its own position (decoder self-attention).
  public var causal: Bool
  /// Whether to time the backward pass too (the gradients of q, k and v).
  public var backward: Bool
  /// Timed runs after one warm-up run.
  public var repeats: Int

  /// Every stored property, in declaration order.
  public init(
    kernel: AttentionKernel, length: Int, heads: Int, headSize: Int, batch: Int, causal: Bool,
    backward: Bool, repeats: Int
  ) {
    self.kernel = kernel
    self.length = length
    self.heads = heads
    self.headSize = headSize
    self.batch = batch
    self.causal = causal
    self.backward = backward
    self.repeats = repeats
  }

  /// What the standard kernel's `[B, H, T, S]` matrices need at their peak
  /// (`StandardAttentionMemory`).
  public var standardRequiredBytes: Int {
    StandardAttentionMemory.requiredBytes(
      batch: batch, heads: heads, queries: length, keys: length, backward: backward)
  }

  /// What q, k, v, the output and the output gradient need, `[B, H, T, K]` Float32 each, with
  /// the gradients of q, k and v and the output's with `backward` (the standard kernel's
  /// matrices not counted, see `standardRequiredBytes`); nil when that overflows `Int`.
  public var tensorBytes: Int? {
    MemoryEstimate.product(batch, heads, length, headSize, 4, backward ? 9 : 5)
  }

  /// Everything the run allocates that grows with its sizes: ``tensorBytes``, and for the
  /// memory-efficient kernel its buffers on `threads` threads (`AttentionShape.scratchBytes`);
  /// nil when that overflows `Int`.
  public func requiredBytes(threads: Int) -> Int? {
    guard kernel == .memoryEfficient else { return tensorBytes }
    let shape = AttentionShape(
      batch: batch, heads: heads, queries: length, keys: length, headSize: headSize)
    return MemoryEstimate.sum(tensorBytes, shape.scratchBytes(threads: threads, backward: backward))
  }

  /// Fills q, k, v and the output gradient with seeded uniform values in [−1, 1), runs once to
  /// warm up, then times `repeats` runs.
  public func measure() -> AttentionMeasurement {
    var generator = RandomGenerator(seed: 0x5EED)
    let shape = [batch, heads, length, headSize]  // [B, H, T, K]
    func input(_ name: String) -> Variable {
      Variable(
        Tensor.uniform(shape: shape, low: -1, high: 1, using: &generator),
        requiresGradient: backward, name: name)
    }
    let (query, key, value) = (input("query"), input("key"), input("value"))
    let outputGradient = Tensor.uniform(shape: shape, low: -1, high: 1, using: &generator)
    let mask = causal ? AttentionMask.causal() : .none

    func call() -> Variable {
      switch kernel {
      case .standard: return attention(query: query, key: key, value: value, mask: mask)
      case .memoryEfficient:
        return memoryEfficientAttention(query: query, key: key, value: value, mask: mask)
      }
    }
    let clock = ContinuousClock()
    func timedRun() -> Double {
      for input in [query, key, value] { input.zeroGradient() }
      let elapsed = clock.measure {
        if backward {
          let tape = Tape()
          let output = tape.record(call)
          tape.backward(from: output, seed: outputGradient)
        } else {
          _ = call()
        }
      }
      return Double(elapsed.components.seconds)
        + Double(elapsed.components.attoseconds) * 1e-18
    }

    _ = timedRun()
    // The peak of one call, read before the timed runs: repeated calls of the standard kernel
    // raise the process's high-water mark further (freed blocks of [B, H, T, S] are not always
    // reused by the allocator), which would measure the allocator rather than the kernel.
    let peak = ProcessMemory.peakResidentMegabytes()
    let times = (0..<repeats).map { _ in timedRun() }
    return AttentionMeasurement(
      benchmark: self, threads: Parallel.threadCount,
      medianSeconds: BenchTrainMeasurement.median(times), peakResidentMegabytes: peak)
  }
}

/// What `bench attention` measured.
public struct AttentionMeasurement {
  /// The sizes and the kernel.
  public var benchmark: AttentionBenchmark
  /// `Parallel.threadCount` during the runs.
  public var threads: Int
  /// The median time of one call (forward, or forward and backward).
  public var medianSeconds: Double
  /// The process's peak resident set size after the warm-up call, in MB (10⁶ bytes): inputs,
  /// gradients and one call's working memory; nil where it cannot be read.
  public var peakResidentMegabytes: Double?

  /// One JSON object, keys in a fixed order: `{"length":4096,"kind":"memory_efficient",`
  /// `"heads":8,"head_size":64,"batch":1,"causal":true,"backward":true,"ms":812.40,`
  /// `"peak_rss_mb":61.2}`.
  public var jsonLine: String {
    let b = benchmark
    return JSONValue.object([
      ("length", .integer(b.length)), ("kind", .string(b.kernel.rawValue)),
      ("heads", .integer(b.heads)), ("head_size", .integer(b.headSize)),
      ("batch", .integer(b.batch)), ("causal", .boolean(b.causal)),
      ("backward", .boolean(b.backward)), ("ms", .fixed(medianSeconds * 1000, digits: 2)),
      ("peak_rss_mb", peakResidentMegabytes.map { .fixed($0, digits: 1) } ?? .null),
    ]).compactText()
  }
}
