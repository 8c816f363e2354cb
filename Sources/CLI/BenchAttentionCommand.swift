import Benchmarks
import Foundation
import Tensors

/// `transformer-cli bench attention`: the time and peak memory of one self-attention call with
/// the standard or the memory-efficient kernel.
struct BenchAttentionCommand: Command {
  static var configuration: CommandConfiguration {
    CommandConfiguration(
      name: "attention",
      abstract: "Time one attention call, standard or memory-efficient.",
      discussion: """
        Times self-attention (T = S = --length) on seeded random q, k and v of
        [B, H, T, K]: the forward pass, or with --backward the forward and backward
        passes (the gradients of q, k and v). After one warm-up run it reports the
        median time of the timed runs and the peak resident memory of the process
        (VmHWM) after the warm-up run, so run one length per process.

        Kinds:
          standard          stores the [B, H, T, S] probabilities (and their
                            gradient with --backward)
          memory_efficient  tiled, online softmax: no [T, S] matrix

        A standard run whose [B, H, T, S] matrices (B·H·T·S·4 bytes, 2 of them with
        --backward) exceed the memory available is refused before it starts, as is
        any run whose [B, H, T, K] tensors (q, k, v, the output and with --backward
        their gradients) exceed it, with the memory-efficient kernel's own buffers
        (per thread, a head's keys in panels padded to K rounded up to 16).

        With --json the result is one line {"length","kind","heads","head_size",
        "batch","causal","backward","ms","peak_rss_mb"}.
        """,
      options: [
        .option("length", value: "count", help: "T = S, the sequence length.", required: true),
        .option("heads", value: "count", help: "H, attention heads (default: 8)."),
        .option("head-size", value: "count", help: "K, the width of a head (default: 64)."),
        .option("batch", value: "count", help: "B, sequences (default: 1)."),
        .flag("causal", help: "Each query sees only the keys up to its position."),
        .flag("backward", help: "Time the backward pass too."),
        .option("kind", value: "name", help: "memory_efficient (default) or standard."),
        .option("repeats", value: "count", help: "Timed runs (default: 3, at most 1000000)."),
        .flag("json", help: "Print one JSON object instead of a table."),
      ])
  }

  /// T = S; nil until given.
  var length: Int? = nil
  var heads = 8
  var headSize = 64
  var batch = 1
  var causal = false
  var backward = false
  var kernel = AttentionKernel.memoryEfficient
  var repeats = 3
  var json = false

  mutating func parse(_ arguments: Arguments) throws {
    length = try arguments.positiveInteger("length")
    heads = try arguments.positiveInteger("heads") ?? heads
    headSize = try arguments.positiveInteger("head-size") ?? headSize
    batch = try arguments.positiveInteger("batch") ?? batch
    causal = arguments.contains("causal")
    backward = arguments.contains("backward")
    kernel =
      try arguments.value(of: "kind", expected: "standard or memory_efficient") {
        AttentionKernel(rawValue: $0)
      } ?? kernel
    repeats = try arguments.positiveInteger("repeats", maximum: CountLimit.repeats) ?? repeats
    json = arguments.contains("json")
  }

  func validate() throws {
    if length == nil {
      throw UsageError("'--length <count>' is required: the sequence length T = S")
    }
  }

  mutating func run(_ console: inout Console) throws {
    let benchmark = AttentionBenchmark(
      kernel: kernel, length: length ?? 1, heads: heads, headSize: headSize, batch: batch,
      causal: causal, backward: backward, repeats: repeats)
    if kernel == .standard,
      let problem = StandardAttentionMemory.problem(
        requiredBytes: benchmark.standardRequiredBytes)
    {
      throw RuntimeError(
        "bench attention: at length \(benchmark.length), \(problem); "
          + "use --kind memory_efficient")
    }
    if let problem = BenchMemoryCheck.problem(
      benchmark.requiredBytes(threads: Parallel.threadCount))
    {
      let buffers = kernel == .memoryEfficient ? " and the kernel's buffers" : ""
      throw RuntimeError(
        "bench attention: q, k, v and the other [B, H, T, K] = [\(batch), \(heads), "
          + "\(benchmark.length), \(headSize)] tensors\(buffers) \(problem); pick smaller sizes")
    }
    if !json {
      console.writeLine(
        "bench attention: \(kernel.rawValue) kernel, B \(batch), H \(heads), "
          + "T = S \(benchmark.length), K \(headSize)\(causal ? ", causal" : ""), "
          + (backward ? "forward and backward" : "forward") + ", \(Parallel.threadCount) "
          + "threads, median of \(repeats) runs after 1 warm-up run")
    }
    let measurement = benchmark.measure()
    if json {
      console.writeLine(measurement.jsonLine)
      return
    }
    let memory = measurement.peakResidentMegabytes.map { String(format: "%10.1f", $0) }
    console.writeLine("ms            \(String(format: "%10.2f", measurement.medianSeconds * 1000))")
    console.writeLine("peak RSS      \(memory ?? "   unknown") MB")
  }
}
