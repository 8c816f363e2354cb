import Benchmarks
import Foundation

/// `transformer-cli bench train`: the time of one Transformer training step at a preset size.
struct BenchTrainCommand: Command {
  static var configuration: CommandConfiguration {
    CommandConfiguration(
      name: "train",
      abstract: "Time Transformer training steps on a synthetic batch.",
      discussion: """
        Builds a Transformer of the preset size (post-norm, ReLU, tied embeddings,
        dropout 0.1) and times full training steps on one fixed batch of 64 sentence
        pairs of 24 source and 24 target tokens, without padding: forward pass,
        label-smoothed loss, backward pass and Adam update. After 3 warm-up steps it
        reports the median over the timed steps of the milliseconds per step, target
        tokens per second (64·24 / median seconds), and the peak resident memory of
        the process (VmHWM). It also counts the multiply-adds of one step's matrix
        products (forward and backward) and, after the steps, measures the machine's FMA
        peak on the same threads as 'bench matmul' does: the products' GFLOP per step,
        their GFLOPS over the median step and that as a fraction of the peak, and the
        step the products allow at the peak (a lower bound on the step time).

        Presets:
          tiny    d_model 128, 4 heads, d_ff 512, 2+2 layers, vocabulary 1000
          small   d_model 256, 8 heads, d_ff 1024, 3+3 layers, vocabulary 8000
          base    d_model 512, 8 heads, d_ff 2048, 6+6 layers, vocabulary 8000

        With --products the timed steps also time each shape of matrix product
        (M×K×N, ×batch, ta/tb when A/B is stored transposed, and the kernel when it
        is not the blocked GEMM) and list them slowest first: calls and milliseconds
        per step, GFLOPS and fraction of the FMA peak, then the rest of the step
        (its other work). A GEMM's shape is written as 'bench matmul --shape' takes
        it, to time that product alone. Profiling adds two clock reads per product
        to the timed steps.

        With --json the result is one line {"preset","threads","ms_per_step",
        "tokens_per_s","peak_rss_mb","matmul_gflop","peak_gflops","peak_fraction"},
        with --products then "products":[{"shape","kernel","calls","ms","gflops",
        "peak_fraction"},…].
        """,
      options: BenchModelOptions.options(
        defaultPreset: .tiny,
        counts: [
          .option("steps", value: "count", help: "Timed steps (default: 10, at most 1000000)."),
          .flag("products", help: "Also time each shape of matrix product."),
        ]))
  }

  /// The preset and `--json`.
  var model = BenchModelOptions(preset: .tiny)
  /// Timed steps after the warm-up.
  var steps = 10
  /// Whether the timed steps also time each shape of matrix product.
  var profilesProducts = false

  mutating func parse(_ arguments: Arguments) throws {
    try model.parse(arguments)
    steps = try arguments.positiveInteger("steps", maximum: CountLimit.repeats) ?? steps
    profilesProducts = arguments.contains("products")
  }

  mutating func run(_ console: inout Console) throws {
    let (preset, json) = (model.preset, model.json)
    var benchmark = BenchTrainBenchmark(preset: preset, steps: steps)
    benchmark.profilesProducts = profilesProducts
    let configuration = preset.configuration
    if !json {
      console.writeLine(
        "bench train: preset \(preset.rawValue) (d_model \(configuration.modelWidth), "
          + "\(configuration.headCount) heads, d_ff \(configuration.feedForwardWidth), "
          + "\(configuration.encoderLayerCount)+\(configuration.decoderLayerCount) layers, "
          + "vocabulary \(configuration.vocabularySize))")
      console.writeLine(
        "\(benchmark.batchSize) pairs of \(benchmark.sourceLength) source and "
          + "\(benchmark.targetLength) target tokens, \(benchmarkThreadCount) threads, "
          + "medians of \(steps) steps after \(benchmark.warmUpSteps) warm-up steps")
    }
    let measurement = benchmark.measure()
    if json {
      console.writeLine(measurement.jsonLine)
      return
    }
    func milliseconds(_ seconds: Double) -> String { String(format: "%10.1f", seconds * 1000) }
    let memory = measurement.peakResidentMegabytes.map { String(format: "%10.1f", $0) }
    let losses = measurement.steps.map(\.loss)
    console.writeLine(
      "parameters    \(String(format: "%10.2f", Double(measurement.parameterCount) / 1e6)) M")
    console.writeLine("ms/step       \(milliseconds(measurement.medianStepSeconds))")
    console.writeLine("  forward     \(milliseconds(measurement.medianForwardSeconds))")
    console.writeLine("  backward    \(milliseconds(measurement.medianBackwardSeconds))")
    console.writeLine("  adam        \(milliseconds(measurement.medianAdamSeconds))")
    console.writeLine("tokens/s      \(String(format: "%10.1f", measurement.tokensPerSecond))")
    console.writeLine("peak RSS      \(memory ?? "   unknown") MB")
    console.writeLine(
      BenchModelOptions.matmulLine(
        amount: String(format: "%10.2f", measurement.matmulGFLOP), unit: "GFLOP/step",
        gflops: measurement.matmulGFLOPS, peakFraction: measurement.peakFraction,
        peakGFLOPS: measurement.peakGFLOPS))
    console.writeLine(
      "step at peak  \(milliseconds(measurement.stepSecondsAtPeak))  "
        + "(the products alone, at the FMA peak)")
    console.writeLine(
      "loss          \(String(format: "%10.4f", losses.first ?? 0)) → "
        + String(format: "%.4f", losses.last ?? 0))
    if let table = Self.productTable(measurement) {
      console.writeLine("")
      for line in table { console.writeLine(line) }
    }
  }

  /// The `--products` table (`BenchModelOptions.productTable`) per step; nil when the products
  /// were not profiled.
  static func productTable(_ measurement: BenchTrainMeasurement) -> [String]? {
    guard let products = measurement.products else { return nil }
    // The mean step, as the products' times are means over the timed steps.
    let meanStep =
      measurement.steps.reduce(0) { $0 + $1.totalSeconds } / Double(max(1, measurement.steps.count))
    return BenchModelOptions.productTable(
      products, unit: "step", unitSeconds: meanStep, peakGFLOPS: measurement.peakGFLOPS)
  }
}
