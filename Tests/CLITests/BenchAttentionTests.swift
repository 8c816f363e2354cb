import Benchmarks
import Foundation
import Tensors
import XCTest

@testable import CLI

/// `bench attention`: its help, its JSON line, and the up-front refusal of a standard run that
/// cannot fit in memory.
final class BenchAttentionTests: XCTestCase {
  static let help = """
    OVERVIEW: Time one attention call, standard or memory-efficient.

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

    USAGE: transformer-cli bench attention --length <count> [--heads <count>]
      [--head-size <count>] [--batch <count>] [--causal] [--backward]
      [--kind <name>] [--repeats <count>] [--json] [--threads <count>]

    OPTIONS:
      --length <count>        T = S, the sequence length.
      --heads <count>         H, attention heads (default: 8).
      --head-size <count>     K, the width of a head (default: 64).
      --batch <count>         B, sequences (default: 1).
      --causal                Each query sees only the keys up to its position.
      --backward              Time the backward pass too.
      --kind <name>           memory_efficient (default) or standard.
      --repeats <count>       Timed runs (default: 3, at most 1000000).
      --json                  Print one JSON object instead of a table.
      --threads <count>       Threads the kernels use (default:
                              $TRANSFORMER_THREADS, else one per processor).
      -h, --help              Show help information.

    """

  func testHelp() {
    for run in [CLIRun("bench", "attention", "--help"), CLIRun("help", "bench", "attention")] {
      XCTAssertEqual(run.status, 0)
      XCTAssertEqual(run.output, Self.help)
      XCTAssertEqual(run.errors, "")
    }
    for line in Self.help.split(separator: "\n") { XCTAssertLessThanOrEqual(line.count, 80) }
  }

  func testJSONLineHasTheKeysInOrder() throws {
    for kind in ["standard", "memory_efficient"] {
      let run = CLIRun(
        "bench", "attention", "--length", "40", "--heads", "2", "--head-size", "8", "--batch",
        "2", "--causal", "--backward", "--kind", kind, "--repeats", "1", "--json", "--threads",
        "1")
      XCTAssertEqual(run.status, 0, run.errors)
      XCTAssertEqual(run.errors, "")
      let lines = run.output.split(separator: "\n").map(String.init)
      XCTAssertEqual(lines.count, 1)
      XCTAssertTrue(
        lines[0].hasPrefix(
          "{\"length\":40,\"kind\":\"\(kind)\",\"heads\":2,\"head_size\":8,\"batch\":2,"
            + "\"causal\":true,\"backward\":true,\"ms\":"), lines[0])
      let object = try XCTUnwrap(
        JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
      XCTAssertEqual(
        Set(object.keys),
        [
          "length", "kind", "heads", "head_size", "batch", "causal", "backward", "ms",
          "peak_rss_mb",
        ])
      XCTAssertGreaterThan(try XCTUnwrap(object["ms"] as? NSNumber).doubleValue, 0)
      XCTAssertGreaterThan(try XCTUnwrap(object["peak_rss_mb"] as? NSNumber).doubleValue, 1)
    }
  }

  func testTableNamesTheRun() {
    let run = CLIRun("bench", "attention", "--length", "16", "--repeats", "1", "--threads", "1")
    XCTAssertEqual(run.status, 0, run.errors)
    let lines = run.output.split(separator: "\n").map(String.init)
    XCTAssertEqual(
      lines.first,
      "bench attention: memory_efficient kernel, B 1, H 8, T = S 16, K 64, forward, 1 threads, "
        + "median of 1 runs after 1 warm-up run")
    XCTAssertEqual(lines.dropFirst().map { String($0.prefix(8)) }, ["ms      ", "peak RSS"])
  }

  func testStandardRunTooLargeIsRefusedUpFront() {
    // 1 · 8 · 10⁶ · 10⁶ · 4 bytes · 2 matrices: no machine has 64 TB.
    let run = CLIRun(
      "bench", "attention", "--length", "1000000", "--kind", "standard", "--backward")
    XCTAssertEqual(run.status, 1)
    XCTAssertEqual(run.output, "")
    XCTAssertTrue(
      run.errors.hasPrefix(
        "Error: bench attention: at length 1000000, the standard attention kernel needs "
          + "64000.0 GB (64000000000000 bytes) for its [B, H, T, S] matrices, more than the "),
      run.errors)
    XCTAssertTrue(
      run.errors.hasSuffix(" GB of memory available; use --kind memory_efficient\n"), run.errors)
    XCTAssertEqual(run.errors.split(separator: "\n").count, 1)
  }

  func testMemoryEfficientRunCountsTheKernelsBuffers() throws {
    // At K = 2 each thread's keys in panels of K′ = 16 floats are 64 bytes a key, more than
    // q, k, v, the output, their gradients and dO together (9 · 2 · 4 = 72 bytes a row,
    // 144 MB at 2·10⁶): a check of the tensors alone let such lengths through.
    let benchmark = AttentionBenchmark(
      kernel: .memoryEfficient, length: 2_000_000, heads: 1, headSize: 2, batch: 1,
      causal: false, backward: true, repeats: 1)
    let tensors = try XCTUnwrap(benchmark.tensorBytes)
    XCTAssertEqual(tensors, 144_000_000)
    let oneThread = try XCTUnwrap(benchmark.requiredBytes(threads: 1))
    let twoThreads = try XCTUnwrap(benchmark.requiredBytes(threads: 2))
    // The panels (2,000,000 keys · 16 floats) on each thread, and δ (one float a row) once.
    XCTAssertGreaterThanOrEqual(oneThread, tensors + 128_000_000 + 8_000_000)
    XCTAssertGreaterThanOrEqual(twoThreads - oneThread, 128_000_000)
    XCTAssertLessThan(twoThreads - oneThread, 129_000_000, "tiles of constant size only besides")
    XCTAssertNotNil(BenchMemoryCheck.problem(oneThread, availableBytes: 200_000_000))
    XCTAssertNil(BenchMemoryCheck.problem(tensors, availableBytes: 200_000_000))
    // The standard kernel's matrices are checked on their own; its tensors are all there is.
    var standard = benchmark
    standard.kernel = .standard
    XCTAssertEqual(standard.requiredBytes(threads: 2), tensors)
    // Sizes typed by hand must not overflow into a small count.
    standard.kernel = .memoryEfficient
    standard.length = Int.max / 8
    XCTAssertNil(standard.requiredBytes(threads: 2))
  }

  func testBadValuesAreUsageErrors() {
    let missing = CLIRun("bench", "attention")
    XCTAssertEqual(missing.status, 64)
    XCTAssertEqual(
      missing.errors,
      "Error: '--length <count>' is required: the sequence length T = S. "
        + "(see 'transformer-cli bench attention --help')\n")
    let kind = CLIRun("bench", "attention", "--length", "8", "--kind", "flash")
    XCTAssertEqual(kind.status, 64)
    XCTAssertEqual(
      kind.errors,
      "Error: invalid value 'flash' for '--kind': expected standard or memory_efficient. "
        + "(see 'transformer-cli bench attention --help')\n")
    XCTAssertEqual(CLIRun("bench", "attention", "--length", "0").status, 64)
  }
}
