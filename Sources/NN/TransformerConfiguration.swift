import Tensors

/// Everything needed to build a `Transformer` again: the ``TransformerHyperparameters`` a
/// user chose (the config's `model` section) and the two numbers the data decides, V and the
/// padding id. It is saved in every checkpoint beside the weights (the Config target writes it
/// as JSON, `jsonText`).
///
/// The hyperparameters' fields read as the configuration's own (`configuration.modelWidth`),
/// through dynamic member lookup, so they are declared in one place.
@dynamicMemberLookup
public struct TransformerConfiguration: Equatable, Sendable {
  /// The feed-forward network's non-linearity.
  public typealias Activation = TransformerHyperparameters.Activation
  /// Where layer normalisation sits relative to each residual sub-layer.
  public typealias NormPlacement = TransformerHyperparameters.NormPlacement
  /// How positions enter the model.
  public typealias Positions = TransformerHyperparameters.Positions
  /// Which stacks the model has.
  public typealias Architecture = TransformerHyperparameters.Architecture

  /// The model's shape, dropout and kernels, as the config's `model` section gives them.
  public var hyperparameters: TransformerHyperparameters
  /// V: the size of the joint source–target vocabulary (the larger one when each language has
  /// its own).
  public var vocabularySize: Int
  /// The id of the padding token: ignored by the loss.
  public var paddingID: Int

  /// A configuration of `hyperparameters` over a vocabulary of `vocabularySize` pieces.
  public init(
    _ hyperparameters: TransformerHyperparameters, vocabularySize: Int, paddingID: Int
  ) {
    self.hyperparameters = hyperparameters
    self.vocabularySize = vocabularySize
    self.paddingID = paddingID
  }

  /// A configuration built field by field, for tests and benchmarks; every argument defaults
  /// to the paper's base model with 8,000 pieces. Fields it does not list are set on the
  /// result (`configuration.attentionWindow = 64`).
  public init(
    encoderLayerCount: Int = 6, decoderLayerCount: Int = 6, modelWidth: Int = 512,
    headCount: Int = 8, feedForwardWidth: Int = 2048, vocabularySize: Int = 8000,
    dropout: Double = 0.1, attentionDropout: Double = 0, activation: Activation = .relu,
    norm: NormPlacement = .post, tieEmbeddings: Bool = true, maxPositions: Int = 256,
    paddingID: Int = 0, attention: AttentionImplementation = .auto, attentionWindow: Int? = nil,
    encoderAttentionWindow: Int? = nil, positions: Positions = .sinusoidal,
    keyValueHeadCount: Int? = nil, architecture: Architecture = .encoderDecoder
  ) {
    var hyperparameters = TransformerHyperparameters()
    hyperparameters.encoderLayerCount = encoderLayerCount
    hyperparameters.decoderLayerCount = decoderLayerCount
    hyperparameters.modelWidth = modelWidth
    hyperparameters.headCount = headCount
    hyperparameters.feedForwardWidth = feedForwardWidth
    hyperparameters.dropout = dropout
    hyperparameters.attentionDropout = attentionDropout
    hyperparameters.activation = activation
    hyperparameters.norm = norm
    hyperparameters.tieEmbeddings = tieEmbeddings
    hyperparameters.maxPositions = maxPositions
    hyperparameters.attention = attention
    hyperparameters.attentionWindow = attentionWindow
    hyperparameters.encoderAttentionWindow = encoderAttentionWindow
    hyperparameters.positions = positions
    hyperparameters.keyValueHeads = keyValueHeadCount
    hyperparameters.architecture = architecture
    self.init(hyperparameters, vocabularySize: vocabularySize, paddingID: paddingID)
  }

  /// A field of ``hyperparameters``, read and written as the configuration's own.
  public subscript<Value>(dynamicMember keyPath: WritableKeyPath<TransformerHyperparameters, Value>)
    -> Value
  {
    get { hyperparameters[keyPath: keyPath] }
    set { hyperparameters[keyPath: keyPath] = newValue }
  }

  /// G: the key/value heads, `kv_heads` or H when it is not set. Setting it sets `kv_heads`.
  public var keyValueHeadCount: Int {
    get { self.keyValueHeads ?? self.headCount }
    set { self.keyValueHeads = newValue }
  }

  /// The ALiBi slopes of every self-attention with `positions` alibi, else nil.
  public var selfAttentionSlopes: [Float]? {
    self.positions == .alibi ? alibiSlopes(heads: self.headCount) : nil
  }

  /// K: the width of one attention head, `D / H`.
  public var headWidth: Int { self.modelWidth / max(self.headCount, 1) }

  /// Whether the model is one causal stack over `source </s> <s> target` (no encoder; its
  /// `encoderLayerCount` is ignored).
  public var isDecoderOnly: Bool { self.architecture == .decoderOnly }

  /// The most source positions (`</s>` included) the model reads: every position in an
  /// encoder–decoder model, half of them in a decoder-only one, whose other half holds the
  /// target.
  public var maxSourcePositions: Int { isDecoderOnly ? self.maxPositions / 2 : self.maxPositions }

  /// The most target positions (`<s>` included) after a source of `sourceLength` positions:
  /// every position in an encoder–decoder model, the rest of the sequence in a decoder-only one.
  public func maxTargetPositions(sourceLength: Int) -> Int {
    isDecoderOnly ? self.maxPositions - sourceLength : self.maxPositions
  }

  /// What is inconsistent about this configuration, in one line; nil when a model can be built.
  public var problem: String? {
    if isDecoderOnly && self.decoderLayerCount < 1 {
      return "decoder_layers must be at least 1, got \(self.decoderLayerCount)"
    }
    if !isDecoderOnly && (self.encoderLayerCount < 1 || self.decoderLayerCount < 1) {
      return "encoder_layers and decoder_layers must be at least 1, got "
        + "\(self.encoderLayerCount) and \(self.decoderLayerCount)"
    }
    if self.modelWidth < 2 || self.headCount < 1 || self.modelWidth % self.headCount != 0 {
      return
        "d_model (\(self.modelWidth)) must be at least 2 and divisible by heads (\(self.headCount))"
    }
    if keyValueHeadCount < 1 || self.headCount % keyValueHeadCount != 0 {
      return "heads (\(self.headCount)) must be a multiple of kv_heads (\(keyValueHeadCount))"
    }
    if self.positions == .rope && headWidth % 2 != 0 {
      return "positions \"rope\" needs an even head size d_model/heads, got \(headWidth)"
    }
    if self.feedForwardWidth < 1 { return "d_ff must be at least 1, got \(self.feedForwardWidth)" }
    if vocabularySize < 1 { return "vocabulary_size must be at least 1, got \(vocabularySize)" }
    if !(0..<vocabularySize).contains(paddingID) {
      return "padding_id \(paddingID) is outside the vocabulary 0..<\(vocabularySize)"
    }
    // The layers run in Float: a rate just below 1 rounds to 1 there.
    if !(0..<1).contains(Float(self.dropout)) || !(0..<1).contains(Float(self.attentionDropout)) {
      return "dropout and attention_dropout must lie in [0, 1), got \(self.dropout) and "
        + "\(self.attentionDropout)"
    }
    if self.maxPositions < (isDecoderOnly ? 4 : 1) {
      return "max_positions must be at least \(isDecoderOnly ? 4 : 1)"
        + "\(isDecoderOnly ? " in a decoder-only model" : ""), got \(self.maxPositions)"
    }
    for (key, window) in [
      ("attention_window", self.attentionWindow),
      ("encoder_attention_window", self.encoderAttentionWindow),
    ] {
      if let window, window < 1 || self.attention == .standard {
        return "\(key) must be at least 1 and needs attention \"memory_efficient\" or "
          + "\"auto\", got \(window) with \"\(self.attention.rawValue)\""
      }
    }
    return nil
  }
}
