import Benchmarks
import Foundation

/// `transformer-cli bench decode`: the speed of cached greedy and beam search.
struct BenchDecodeCommand: Command {
  static var configuration: CommandConfiguration {
    CommandConfiguration(
      name: "decode",
      abstract: "Time cached greedy and beam search decoding.",
      discussion: """
        Builds a Transformer of the preset size (as 'bench train') with random
        weights and translates sources of 24 tokens (23 random pieces and </s>),
        generating exactly 24 pieces per sentence (</s> is suppressed until then)
        with the key-value cache. --batch B sentences are decoded together (1: one
        after another); batches repeat until at least 20 sentences are timed, after
        one warm-up batch. Reports sentences per second and milliseconds per
        generated piece (total time / pieces of all sentences).

        With --json the result is one line {"preset","batch","beam","threads",
        "sentences_per_s","ms_per_token"}.
        """,
      options: BenchModelOptions.options(
        defaultPreset: .small,
        counts: [
          .option("batch", value: "count", help: "Sentences decoded together (default: 1)."),
          .option("beam", value: "size", help: "Beam size; 1 is greedy search (default: 1)."),
        ]))
  }

  /// The preset and `--json`.
  var model = BenchModelOptions(preset: .small)
  /// Sentences decoded together.
  var batch = 1
  /// Beam size.
  var beam = 1

  mutating func parse(_ arguments: Arguments) throws {
    try model.parse(arguments)
    batch = try arguments.positiveInteger("batch") ?? batch
    beam = try arguments.positiveInteger("beam") ?? beam
  }

  mutating func run(_ console: inout Console) throws {
    let preset = model.preset
    let benchmark = BenchDecodeBenchmark(preset: preset, batchSize: batch, beamSize: beam)
    let measurement = benchmark.measure()
    let threads = measurement.threads
    if model.json {
      console.writeLine(benchmark.jsonLine(measurement))
      return
    }
    console.writeLine(
      "bench decode: preset \(preset.rawValue), batch \(batch), beam \(beam), "
        + "\(threads) threads, \(measurement.sentences) sentences of "
        + "\(benchmark.outputLength) pieces")
    console.writeLine("sentences/s   \(String(format: "%10.2f", measurement.sentencesPerSecond))")
    console.writeLine("ms/token      \(String(format: "%10.4f", measurement.millisecondsPerToken))")
  }
}
