import Foundation
import NN
import Checkpoints
import Config
import Tokenizer

/// Translates text with a trained model: splits each sentence with the source BPE model,
/// searches (`GreedySearch` for beam 1, else `BeamSearch`), and joins the output pieces with
/// the target BPE model.
///
/// Sentences are decoded in batches of `options.batchSize` of similar length (longest first);
/// the results come back in input order. An empty (or all-blank) line translates to an empty
/// line without running the model.
///
/// ```swift
/// let translator = try Translator(checkpoint: "runs/toy/best")
/// print(translator.translate(["Hello world."])[0])
/// ```
public struct Translator {
  /// The model.
  public let model: Transformer
  /// The source and target BPE models.
  public let vocabulary: TrainingVocabulary
  /// Beam size, α, length limits, n-best and batch size.
  public var options: DecodingOptions
  /// The run's config when loaded from a checkpoint (its data section names the test split).
  public private(set) var config: RunConfig?

  /// A translator over a loaded model (switched to evaluation: `isTraining` false).
  public init(model: Transformer, vocabulary: TrainingVocabulary, options: DecodingOptions) {
    self.model = model
    self.vocabulary = vocabulary
    self.options = options
    model.isTraining = false
  }

  /// Loads the checkpoint directory `directory` (`model.safetensors`, `config.json`, the BPE
  /// model files), as `train` writes it.
  ///
  /// - Throws: ``TranslatorError`` naming the missing or damaged file.
  public init(checkpoint directory: String, options: DecodingOptions = DecodingOptions())
    throws(TranslatorError)
  {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory),
      isDirectory.boolValue
    else {
      throw .missingCheckpoint(path: directory)
    }
    do {
      let config = try Checkpoint.config(in: directory)
      let vocabulary = try Checkpoint.vocabulary(
        in: directory, isJoint: config.data.jointVocabulary)
      let configuration = config.transformerConfiguration(
        vocabularySize: vocabulary.modelVocabularySize)
      let model = Transformer(configuration: configuration, seed: 0)
      try Checkpoint.loadWeights(into: model, from: directory)
      self.init(model: model, vocabulary: vocabulary, options: options)
      self.config = config
    } catch {
      throw .loading(directory, error)
    }
  }

  /// The best translation of each line. No scores are computed: greedy search skips the
  /// log-softmax (`DecodingOptions.scores`).
  public func translate(_ lines: [String]) -> [String] {
    var textOnly = self
    textOnly.options.scores = false
    return textOnly.translateNBest(lines).map { $0.first?.text ?? "" }
  }

  /// The `options.nbest` best translations of each line with their scores, best first (NaN
  /// from greedy search without `options.scores`); an empty line gives one empty translation
  /// of score 0.
  public func translateNBest(_ lines: [String]) -> [[(text: String, score: Float)]] {
    let sources = lines.map { vocabulary.source.encodeIDs($0) }
    var results = [[(text: String, score: Float)]](repeating: [("", 0)], count: lines.count)
    let order = sources.indices.filter { !sources[$0].isEmpty }
      .sorted { (sources[$0].count, $1) > (sources[$1].count, $0) }
    var start = 0
    while start < order.count {
      let indices = Array(order[start..<min(start + options.batchSize, order.count)])
      let hypotheses = search(indices.map { sources[$0] })
      for (index, list) in zip(indices, hypotheses) {
        results[index] = list.map { (text(of: $0.tokens), $0.score) }
      }
      start += indices.count
    }
    return results
  }

  /// The search for one batch of piece-id sources.
  public func search(_ sources: [[Int]]) -> [[DecodingHypothesis]] {
    if options.beamSize == 1 {
      return GreedySearch(model: model, options: options).search(sources).map { [$0] }
    }
    return BeamSearch(model: model, options: options).search(sources)
  }

  /// The target text of output ids. Ids the (smaller) target vocabulary lacks decode as
  /// nothing rather than failing.
  public func text(of ids: [Int]) -> String {
    let known = ids.filter { $0 < vocabulary.target.vocabulary.count }
    return (try? vocabulary.target.decode(ids: known)) ?? ""
  }
}
