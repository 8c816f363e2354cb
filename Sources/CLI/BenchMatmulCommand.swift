import Benchmarks
import Drawing
import Foundation

/// `transformer-cli bench matmul`: the GFLOPS of `matmul` on the model's shapes or the user's.
struct BenchMatmulCommand: Command {
  static var configuration: CommandConfiguration {
    CommandConfiguration(
      name: "matmul",
      abstract: "Measure the GFLOPS of the matmul kernel on the model's shapes.",
      discussion: """
        Times matmul from the Tensors module on float32 operands filled with seeded
        random values: one warm-up run, then timed runs; reports the median time and
        GFLOPS = 2·M·K·N·BATCH / median seconds.

        A shape is MxKxN[xBATCH][:FLAGS], in the order of the JSON keys: op(A) is M×K,
        op(B) is K×N, the product M×N, repeated BATCH times. FLAGS is 'ta' (A stored
        K×M), 'tb' (B stored N×K) or 'ta,tb'. Examples:
          4096x256x768        a linear layer's forward product
          4096x768x256:tb     its input gradient dA = dC·Bᵀ
          256x4096x768:ta     its weight gradient dB = Aᵀ·dC
          24x32x24x512:tb     attention scores Q·Kᵀ of 512 heads

        Without --shape: 512x512x512, 1024x1024x1024; for M = 4096 tokens and K×N =
        256×768, 256×1024, 1024×256 and 256×8000, the forward product and both backward
        products; then 24x32x24x512:tb and 24x24x32x512.

        Before the shapes it measures the machine's FMA peak on the same threads: a
        loop of twelve independent fused multiply-adds per thread that touches no
        memory, at 256-bit and 512-bit vector width, the faster counting (--no-peak
        skips it). Each shape's GFLOPS is also given as a fraction of that peak.

        With --json each result is one line {"m","k","n","batch","trans_a","trans_b",
        "threads","gflops","peak_gflops","peak_fraction"} (the last two absent with
        --no-peak), which scripts/bench-matmul-numpy.py reads to time numpy on the
        same shapes.
        """,
      options: [
        .flag("json", help: "Print one JSON object per line instead of a table."),
        .flag("no-peak", help: "Do not measure the FMA peak (no fraction of peak)."),
        .option(
          "repeats", value: "count",
          help: "Timed runs per shape, at most 1000000 (default: enough for about 0.5 s, at "
            + "least 5)."),
        .option(
          "shape", value: "spec",
          help: "Time this shape instead of the defaults; repeat to time several.",
          repeatable: true),
      ])
  }

  /// Print JSON lines instead of a table.
  var json = false
  /// Timed runs per shape; nil is adaptive.
  var repeats: Int? = nil
  /// The shapes given with `--shape`; empty means `MatmulShape.defaults`.
  var shapes: [MatmulShape] = []
  /// Measure the FMA peak first.
  var measurePeak = true

  mutating func parse(_ arguments: Arguments) throws {
    json = arguments.contains("json")
    measurePeak = !arguments.contains("no-peak")
    repeats = try arguments.positiveInteger("repeats", maximum: CountLimit.repeats)
    shapes = try arguments.values(of: "shape", expected: MatmulShape.syntax) {
      MatmulShape(specification: $0)
    }
  }

  func validate() throws {
    for shape in shapes {
      if let problem = shape.sizeProblem { throw UsageError(problem) }
    }
  }

  mutating func run(_ console: inout Console) throws {
    let shapes = self.shapes.isEmpty ? MatmulShape.defaults : self.shapes
    let benchmark = MatmulBenchmark(repeats: repeats)
    let peak = measurePeak ? FMAPeakBenchmark(threads: benchmarkThreadCount).measure() : nil
    func measure(_ shape: MatmulShape) -> MatmulMeasurement {
      var measurement = benchmark.measure(shape)
      measurement.peakGFLOPS = peak?.gflops
      return measurement
    }
    if json {
      for shape in shapes {
        console.writeLine(measure(shape).jsonLine)
      }
      return
    }
    let table = TextTable(columns: [
      .init("shape", alignment: .left, samples: shapes.map(\.sizeDescription)),
      .init("batch", alignment: .right, samples: shapes.map { String($0.batch) }),
      .init("transA", alignment: .left),
      .init("transB", alignment: .left),
      .init("ms", alignment: .right, width: 10),
      .init("GFLOPS", alignment: .right, width: 8),
    ] + (peak == nil ? [] : [.init("of peak", alignment: .right)]))
    let runs = repeats.map { "\($0) timed runs" } ?? "timed runs for about 0.5 s"
    console.writeLine("matmul on \(benchmarkThreadCount) threads, median of \(runs) per shape")
    if let peak {
      console.writeLine(
        "FMA peak \(String(format: "%.2f", peak.gflops)) GFLOPS on \(peak.threads) threads "
          + "(\(peak.registerDescription) FMAs)")
    }
    console.writeLine(table.header)
    for shape in shapes {
      let measurement = measure(shape)
      let fraction = measurement.peakFraction.map { [String(format: "%.1f%%", $0 * 100)] } ?? []
      console.writeLine(
        table.line(
          [
            shape.sizeDescription, String(shape.batch), String(shape.transposeA),
            String(shape.transposeB), String(format: "%.3f", measurement.medianSeconds * 1000),
            String(format: "%.2f", measurement.gflops),
          ] + fraction))
    }
  }
}
