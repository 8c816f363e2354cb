import Benchmarks
import Foundation
import NN

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
        and milliseconds per generated piece (total time / pieces of all sentences),
        and the size of one batch's key-value cache: the decoder self-attention's
        keys and values for every step and the cross-attention's keys and values of
        the source, in MiB. --kv-heads G shares each key/value head among heads/G
        query heads (grouped-query attention; 1 is multi-query), which shrinks that
        cache by heads/G; --positions picks sinusoidal, learned, rope or alibi.
        Greedy search takes each step's largest logit and computes no scores, as
        CTranslate2's translate_batch with return_scores=False; --scores adds each
        step's log-softmax over the vocabulary, as 'translate --nbest' needs (beam
        search always computes it).

        It also counts the multiply-adds of one batch's matrix products and measures
        the FMA peak as 'bench matmul' does (GFLOP per sentence, GFLOPS over the
        decoding time, fraction of the peak), and holds the weights a decoder step
        multiplies by (MB per step; at one sentence a step reads every one of them)
        against a plain read of as many bytes on the same threads: the weights are
        read at least at (MB per step x steps / decoding time), a floor, since that
        time also holds the encoder, the attention and the search.

        A batch whose estimated memory (key-value cache, logits, encoder activations)
        exceeds the memory available is refused before it starts.

        With --json the result is one line {"preset","batch","beam","threads",
        "kv_heads","positions","scores","sentences","sentences_per_s","ms_per_token",
        "kv_cache_mb","matmul_gflop_per_sentence","peak_gflops","peak_fraction",
        "weight_mb_per_step","weight_gb_per_s","read_gb_per_s"}, "sentences" being
        those timed.

        --products also times each shape of matrix product of the timed batches, as
        'bench train --products' does, per batch (ms/batch), and adds
        "products":[{"shape","kernel","calls","ms","gflops","peak_fraction"},…] to
        the JSON.
        """,
      options: BenchModelOptions.options(
        defaultPreset: .small,
        counts: [
          .option("batch", value: "count", help: "Sentences decoded together (default: 1)."),
          .option(
            "beam", value: "size", help: "Beam size ≤ 1000; 1 is greedy search (default: 1)."),
          .option(
            "sentences", value: "count",
            help: "Time at least this many sentences, whole batches (default: 20, at "
              + "most 10000000)."),
          .option(
            "kv-heads", value: "count",
            help: "Key/value heads, dividing the preset's heads (default: the heads)."),
          .option(
            "positions", value: "kind",
            help: "sinusoidal, learned, rope or alibi (default: sinusoidal)."),
          .flag("scores", help: "Greedy search computes the hypotheses' log-probabilities."),
          .flag("products", help: "Also time each shape of matrix product."),
        ]))
  }

  /// The preset and `--json`.
  var model = BenchModelOptions(preset: .small)
  /// Sentences decoded together.
  var batch = 1
  /// Beam size.
  var beam = 1
  /// Key/value heads; the preset's heads when nil.
  var keyValueHeads: Int?
  /// How positions enter the model.
  var positions = TransformerHyperparameters.Positions.sinusoidal
  /// The fewest sentences timed.
  var sentences = 20
  /// Whether greedy search computes scores.
  var scores = false
  /// Whether the timed batches also time each shape of matrix product.
  var profilesProducts = false

  mutating func parse(_ arguments: Arguments) throws {
    try model.parse(arguments)
    batch = try arguments.positiveInteger("batch") ?? batch
    beam = try arguments.positiveInteger("beam", maximum: CountLimit.beam) ?? beam
    sentences =
      try arguments.positiveInteger("sentences", maximum: CountLimit.sentences) ?? sentences
    keyValueHeads = try arguments.positiveInteger("kv-heads")
    scores = arguments.contains("scores")
    profilesProducts = arguments.contains("products")
    let names = TransformerHyperparameters.Positions.allCases.map(\.rawValue)
    positions =
      try arguments.value(of: "positions", expected: "one of \(names.joined(separator: ", "))") {
        TransformerHyperparameters.Positions(rawValue: $0)
      } ?? positions
    let heads = model.preset.configuration.headCount
    if let keyValueHeads, heads % keyValueHeads != 0 {
      throw UsageError(
        "--kv-heads \(keyValueHeads) does not divide the \(heads) heads of preset "
          + "\(model.preset.rawValue)")
    }
  }

  mutating func run(_ console: inout Console) throws {
    let preset = model.preset
    var benchmark = BenchDecodeBenchmark(
      preset: preset, batchSize: batch, beamSize: beam, minimumSentences: sentences)
    benchmark.keyValueHeads = keyValueHeads
    benchmark.positions = positions
    benchmark.scores = scores
    benchmark.profilesProducts = profilesProducts
    if let problem = BenchMemoryCheck.problem(benchmark.estimatedBytes) {
      throw RuntimeError(
        "bench decode: batch \(batch) with beam \(beam) and at least \(sentences) sentences "
          + "would \(problem); decode fewer sentences together")
    }
    let measurement = benchmark.measure()
    let threads = measurement.threads
    let kv = benchmark.configuration.keyValueHeadCount
    if model.json {
      console.writeLine(benchmark.jsonLine(measurement))
      return
    }
    console.writeLine(
      "bench decode: preset \(preset.rawValue), batch \(batch), beam \(beam), "
        + "kv_heads \(kv) of \(benchmark.configuration.headCount), positions "
        + "\(positions.rawValue), \(beam == 1 && !scores ? "no " : "")scores, "
        + "\(threads) threads, \(measurement.sentences) sentences of "
        + "\(benchmark.outputLength) pieces")
    console.writeLine("sentences/s   \(String(format: "%10.2f", measurement.sentencesPerSecond))")
    console.writeLine("ms/token      \(String(format: "%10.4f", measurement.millisecondsPerToken))")
    console.writeLine("KV cache MiB  \(String(format: "%10.3f", measurement.cacheMegabytes))")
    console.writeLine(
      BenchModelOptions.matmulLine(
        amount: String(format: "%10.4f", measurement.matmulGFLOPPerSentence),
        unit: "GFLOP/sentence", gflops: measurement.matmulGFLOPS,
        peakFraction: measurement.peakFraction, peakGFLOPS: measurement.peakGFLOPS))
    console.writeLine(
      "weights/step  \(String(format: "%10.2f", Double(measurement.stepWeightBytes) / 1e6)) MB, "
        + String(format: "read at %.1f GB/s or more; ", measurement.weightGigabytesPerSecond)
        + String(
          format: "a plain read of as many bytes: %.1f GB/s", measurement.readGigabytesPerSecond))
    if let table = Self.productTable(measurement) {
      console.writeLine("")
      for line in table { console.writeLine(line) }
    }
  }

  /// The `--products` table (`BenchModelOptions.productTable`) per decoded batch; nil when the
  /// products were not profiled.
  static func productTable(_ measurement: BenchDecodeBenchmark.Measurement) -> [String]? {
    guard let products = measurement.products else { return nil }
    return BenchModelOptions.productTable(
      products, unit: "batch",
      unitSeconds: measurement.seconds / Double(max(1, measurement.batches)),
      peakGFLOPS: measurement.peakGFLOPS)
  }
}
