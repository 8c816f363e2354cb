import Foundation
import Tensors
import Benchmarks

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
        after another); batches repeat until at least --sentences N (default 20)
        sentences are timed, after one warm-up batch. Reports sentences per second
        and milliseconds per generated piece (total time / pieces of all sentences).

        With --json the result is one line {"preset","batch","beam","threads",
        "sentences","sentences_per_s","ms_per_token"}, "sentences" being those timed.
        """,
      options: [
        .option("preset", value: "name", help: "tiny, small or base (default: small)."),
        .option("batch", value: "count", help: "Sentences decoded together (default: 1)."),
        .option("beam", value: "size", help: "Beam size; 1 is greedy search (default: 1)."),
        .option(
          "sentences", value: "count",
          help: "Time at least this many sentences, whole batches (default: 20)."),
        .flag("json", help: "Print one JSON object instead of a table."),
      ])
  }

  /// The model size.
  var preset = BenchTrainPreset.small
  /// Sentences decoded together.
  var batch = 1
  /// Beam size.
  var beam = 1
  /// The fewest sentences timed.
  var sentences = 20
  /// Print a JSON line.
  var json = false

  mutating func parse(_ arguments: Arguments) throws {
    preset =
      try arguments.value(of: "preset", expected: "one of \(BenchTrainPreset.names)") {
        BenchTrainPreset(rawValue: $0)
      } ?? preset
    batch = try arguments.positiveInteger("batch") ?? batch
    beam = try arguments.positiveInteger("beam") ?? beam
    sentences = try arguments.positiveInteger("sentences") ?? sentences
    json = arguments.contains("json")
  }

  mutating func run(_ console: inout Console) throws {
    let benchmark = BenchDecodeBenchmark(
      preset: preset, batchSize: batch, beamSize: beam, minimumSentences: sentences)
    let measurement = benchmark.measure()
    let threads = Parallel.threadCount
    if json {
      console.writeLine(
        "{\"preset\":\"\(preset.rawValue)\",\"batch\":\(batch),\"beam\":\(beam),"
          + "\"threads\":\(threads),\"sentences\":\(measurement.sentences),"
          + "\"sentences_per_s\":\(String(format: "%.2f", measurement.sentencesPerSecond)),"
          + "\"ms_per_token\":\(String(format: "%.4f", measurement.millisecondsPerToken))}")
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
