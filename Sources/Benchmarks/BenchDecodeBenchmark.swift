import Autograd
import Decoding
import Foundation
import NN
import Support
import Tensors

/// Times cached decoding: greedy search (beam 1) or beam search over a model of a
/// `bench train` preset with random weights, every sentence forced to produce exactly
/// `outputLength` pieces (`</s>` suppressed until then).
///
/// Sources are `sourceLength` tokens (`sourceLength − 1` random pieces from 4 ..< V and
/// `</s>`). `batchSize` sentences are decoded together; batches are repeated until at least
/// `minimumSentences` sentences are done, after one untimed warm-up batch.
public struct BenchDecodeBenchmark {
  /// The model size.
  public var preset: BenchTrainPreset
  /// Sentences decoded together.
  public var batchSize: Int
  /// Hypotheses per sentence.
  public var beamSize: Int
  /// Source tokens, `</s>` included.
  public var sourceLength = 24
  /// Output pieces per sentence.
  public var outputLength = 24
  /// The fewest sentences timed.
  public var minimumSentences = 20
  /// Seeds the weights and the sources.
  public var seed: UInt64 = 0x5EED
  /// G, the key/value heads (`model.kv_heads`); the preset's heads when nil.
  public var keyValueHeads: Int?
  /// How positions enter (`model.positions`).
  public var positions = TransformerConfiguration.Positions.sinusoidal
  /// Whether greedy search computes the hypotheses' log-probabilities
  /// (`DecodingOptions.scores`); off, as in CTranslate2's benchmark call. Beam search always
  /// does.
  public var scores = false
  /// Whether the timed batches also time each shape of matrix product (`MatmulTally.profile`).
  public var profilesProducts = false

  /// A benchmark of `preset` decoding `batchSize` sentences together with `beamSize`
  /// hypotheses each, timing at least `minimumSentences` sentences.
  public init(
    preset: BenchTrainPreset, batchSize: Int, beamSize: Int, minimumSentences: Int = 20,
    seed: UInt64 = 0x5EED
  ) {
    self.preset = preset
    self.batchSize = batchSize
    self.beamSize = beamSize
    self.minimumSentences = minimumSentences
    self.seed = seed
  }

  /// The preset's configuration with this benchmark's key/value heads and positions, no dropout.
  public var configuration: TransformerConfiguration {
    var configuration = preset.configuration
    configuration.dropout = 0
    configuration.positions = positions
    configuration.keyValueHeadCount = keyValueHeads ?? configuration.headCount
    return configuration
  }

  /// What was measured.
  public struct Measurement {
    public var sentences: Int
    public var tokens: Int
    public var seconds: Double
    /// The threads the kernels ran on.
    public var threads: Int
    /// The bytes of one batch's key–value state (`IncrementalDecoder.cacheByteCount`): the
    /// self-attention cache for the search's steps and the cross-attention keys and values.
    public var cacheBytes: Int
    public var cacheMegabytes: Double { Double(cacheBytes) / 1_048_576 }
    /// The multiply–adds of the matrix products of one batch (`MatmulTally`, counted on the
    /// warm-up batch): the encoder's, the decoder's steps' and the output projection's.
    public var batchMultiplyAdds: Int
    /// Sentences per batch.
    public var batchSize: Int
    /// The machine's FMA peak on the same threads, in 10⁹ FLOP/s.
    public var peakGFLOPS: Double
    /// The bytes of the weights one decoding step multiplies by (`PackedWeights.stepWeights`):
    /// what a step of a few rows streams from memory.
    public var stepWeightBytes: Int
    /// Decoder steps per batch: one per output piece.
    public var stepsPerBatch: Int
    /// How fast the same threads read a buffer of `stepWeightBytes` (`ReadBandwidthBenchmark`),
    /// in 10⁹ bytes per second.
    public var readGigabytesPerSecond: Double
    /// Each shape of matrix product of the timed batches, per batch, slowest first
    /// (`profilesProducts`), or nil.
    public var products: [ProductTime]? = nil
    /// Batches timed.
    public var batches: Int { sentences / max(1, batchSize) }

    /// The products' operations per sentence, in 10⁹.
    public var matmulGFLOPPerSentence: Double {
      2 * Double(batchMultiplyAdds) / Double(max(1, batchSize)) / 1e9
    }
    /// The products' operations per second of decoding time, in 10⁹.
    public var matmulGFLOPS: Double { matmulGFLOPPerSentence * sentencesPerSecond }
    /// `matmulGFLOPS` as a fraction of the FMA peak.
    public var peakFraction: Double { peakGFLOPS > 0 ? matmulGFLOPS / peakGFLOPS : 0 }
    /// The step weights' bytes read per second of decoding time, in 10⁹: a floor under the rate
    /// the products stream them at, since the time also holds the encoder, the attention and
    /// the search.
    public var weightGigabytesPerSecond: Double {
      seconds > 0
        ? Double(stepWeightBytes) * Double(stepsPerBatch) * Double(sentences)
          / Double(max(1, batchSize)) / seconds / 1e9 : 0
    }
    public var sentencesPerSecond: Double { seconds > 0 ? Double(sentences) / seconds : 0 }
    public var millisecondsPerToken: Double { tokens > 0 ? seconds * 1000 / Double(tokens) : 0 }
  }

  /// About the bytes the benchmark needs at its peak; nil when that overflows `Int`.
  ///
  /// Per row (R = batch × beam): every decoder layer's keys and values for each step and for
  /// the source, and a few `[R, V]` rows of logits and scores; per sentence of a batch: the
  /// encoder's activations; per timed sentence: its source tokens, all drawn before the timing.
  /// The sum is scaled by 4/3: the peak resident memory of tiny and small batches of 500 to
  /// 4000 sentences was 1.31 to 1.33 times the sum (copies and allocator slack).
  public var estimatedBytes: Int? {
    let configuration = self.configuration
    let keyValueWidth = configuration.keyValueHeadCount * configuration.headWidth
    let widest = max(configuration.feedForwardWidth, configuration.modelWidth)
    let rowFloats =
      configuration.decoderLayerCount * 2 * keyValueWidth * (outputLength + 1 + sourceLength)
      + 3 * configuration.vocabularySize + 4 * widest
    let sentenceFloats = sourceLength * (widest + 4 * configuration.modelWidth)
    // Whole batches until `minimumSentences`: at most one batch more than asked for.
    let timedSentences = MemoryEstimate.sum(minimumSentences, batchSize)
    let terms = MemoryEstimate.sum(
      MemoryEstimate.product(batchSize, beamSize, rowFloats, 4),
      MemoryEstimate.product(batchSize, sentenceFloats, 4),
      timedSentences.flatMap { MemoryEstimate.product($0, sourceLength, 8) })
    return terms.flatMap { MemoryEstimate.product($0, 4) }.map { $0 / 3 }
  }

  /// Builds the model, decodes one warm-up batch, then times the rest.
  public func measure() -> Measurement {
    let configuration = self.configuration
    let model = Transformer(configuration: configuration, seed: seed)
    model.isTraining = false
    let options = DecodingOptions(
      beamSize: beamSize, alpha: 0.6, maxLength: outputLength, minLength: outputLength,
      batchSize: batchSize, scores: scores)
    var generator = RandomGenerator(seed: seed)
    func batch() -> [[Int]] {
      (0..<batchSize).map { _ in
        (0..<(sourceLength - 1)).map { _ in
          Int.random(in: 4..<configuration.vocabularySize, using: &generator)
        }
      }
    }
    func decode(_ sources: [[Int]]) -> Int {
      if beamSize == 1 {
        return GreedySearch(model: model, options: options).search(sources)
          .reduce(0) { $0 + $1.tokens.count }
      }
      return BeamSearch(model: model, options: options).search(sources)
        .reduce(0) { $0 + ($1.first?.tokens.count ?? 0) }
    }
    let warmUp = batch()
    // The state the search allocates for a batch: the same rows and steps (limit + 1 for
    // `</s>`), from a decoder built the same way.
    let cacheBytes = model.incrementalDecoder(
      sourceIDs: warmUp.flatMap { $0 + [2] }, sourceLengths: warmUp.map { _ in sourceLength },
      rowsPerSentence: beamSize,
      maxLength: min(configuration.maxPositions, outputLength + 1)
    ).cacheByteCount
    let multiplyAdds = MatmulTally.count { decode(warmUp) }.multiplyAdds
    let rounds = max(1, (minimumSentences + batchSize - 1) / batchSize)
    let inputs = (0..<rounds).map { _ in batch() }
    var tokens = 0
    func timedBatches() { for sources in inputs { tokens += decode(sources) } }
    var profile: [MatmulTally.ProductShape: MatmulTally.ProductTotals]? = nil
    let start = ContinuousClock.now
    if profilesProducts {
      profile = MatmulTally.profile(timedBatches).products
    } else {
      timedBatches()
    }
    let elapsed = ContinuousClock.now - start
    let seconds =
      Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    // After the timing, so that neither loop warms or heats what it is compared with.
    let peak = FMAPeakBenchmark(threads: Parallel.threadCount).measure()
    let weightBytes =
      PackedWeights.stepWeights(of: model).reduce(0) { $0 + $1.variable.value.count } * 4
    let read = ReadBandwidthBenchmark(threads: Parallel.threadCount, bytes: weightBytes).measure()
    return Measurement(
      sentences: rounds * batchSize, tokens: tokens, seconds: seconds,
      threads: Parallel.threadCount, cacheBytes: cacheBytes, batchMultiplyAdds: multiplyAdds,
      batchSize: batchSize, peakGFLOPS: peak.gflops, stepWeightBytes: weightBytes,
      stepsPerBatch: outputLength, readGigabytesPerSecond: read,
      products: profile.map { ProductTime.list($0, units: rounds) })
  }

  /// One JSON object: `{"preset":"small","batch":1,"beam":1,"threads":2,"kv_heads":8,`
  /// `"positions":"sinusoidal","scores":false,"sentences_per_s":12.34,"ms_per_token":3.2101,`
  /// `"kv_cache_mb":0.287,"matmul_gflop_per_sentence":0.3623,"peak_gflops":236.4,`
  /// `"peak_fraction":0.2,"weight_mb_per_step":19.2,"weight_gb_per_s":57.1,"read_gb_per_s":145.2}`;
  /// when profiled, then `"products":[…]` per batch (`ProductTime.json`).
  public func jsonLine(_ measurement: Measurement) -> String {
    JSONValue.object(
      [
        ("preset", .string(preset.rawValue)), ("batch", .integer(batchSize)),
        ("beam", .integer(beamSize)), ("threads", .integer(measurement.threads)),
        ("kv_heads", .integer(configuration.keyValueHeadCount)),
        ("positions", .string(positions.rawValue)), ("scores", .boolean(scores || beamSize > 1)),
        ("sentences", .integer(measurement.sentences)),
        ("sentences_per_s", .fixed(measurement.sentencesPerSecond, digits: 2)),
        ("ms_per_token", .fixed(measurement.millisecondsPerToken, digits: 4)),
        ("kv_cache_mb", .fixed(measurement.cacheMegabytes, digits: 3)),
        ("matmul_gflop_per_sentence", .fixed(measurement.matmulGFLOPPerSentence, digits: 4)),
        ("peak_gflops", .fixed(measurement.peakGFLOPS, digits: 1)),
        ("peak_fraction", .fixed(measurement.peakFraction, digits: 3)),
        ("weight_mb_per_step", .fixed(Double(measurement.stepWeightBytes) / 1e6, digits: 2)),
        ("weight_gb_per_s", .fixed(measurement.weightGigabytesPerSecond, digits: 1)),
        ("read_gb_per_s", .fixed(measurement.readGigabytesPerSecond, digits: 1)),
      ] + ProductTime.jsonMembers(measurement.products, peakGFLOPS: measurement.peakGFLOPS)
    ).compactText()
  }
}
