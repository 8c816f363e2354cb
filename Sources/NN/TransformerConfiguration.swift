import Foundation
import Autograd
import Tensors

/// The shape of a `Transformer` (Vaswani et al. 2017, §3 and table 3): everything needed to
/// build the model again, so it is saved in every checkpoint beside the weights.
///
/// The defaults are the paper's base model (N = 6, d_model = 512, h = 8, d_ff = 2048,
/// P_drop = 0.1, post-norm, ReLU), with a joint vocabulary of `vocabularySize` pieces and
/// tied embeddings (§3.4). JSON keys are the snake_case names of the run config's `model`
/// section (`d_model`, `heads`, …) plus `vocabulary_size` and `padding_id`.
public struct TransformerConfiguration: Codable, Equatable, Sendable {
  /// The feed-forward network's non-linearity.
  public enum Activation: String, CaseIterable, Codable, Sendable {
    /// `max(0, x)`, as in the paper (§3.3).
    case relu
    /// The exact GELU `x·Φ(x)` (Hendrycks & Gimpel 2016).
    case gelu
  }

  /// Where layer normalisation sits relative to each residual sub-layer.
  public enum NormPlacement: String, CaseIterable, Codable, Sendable {
    /// `LayerNorm(x + Dropout(Sublayer(x)))`, as in the paper (§3.1).
    case post
    /// `x + Dropout(Sublayer(LayerNorm(x)))`, with one more LayerNorm after the last layer of
    /// the encoder and of the decoder (Xiong et al. 2020); trains without warm-up tuning.
    case pre
  }

  /// The number of encoder layers (N).
  public var encoderLayerCount: Int
  /// The number of decoder layers (N).
  public var decoderLayerCount: Int
  /// D: the width of the embeddings and of every residual stream (d_model).
  public var modelWidth: Int
  /// H: the number of attention heads; must divide `modelWidth` (K = D / H).
  public var headCount: Int
  /// F: the inner width of each position-wise feed-forward network (d_ff).
  public var feedForwardWidth: Int
  /// V: the size of the joint source–target vocabulary.
  public var vocabularySize: Int
  /// Residual dropout (P_drop, §5.4): on each sub-layer's output before the residual addition
  /// and on the sums of embeddings and positions.
  public var dropout: Float
  /// Dropout on the attention probabilities after the softmax (tensor2tensor's
  /// `attention_dropout`); 0 in the paper.
  public var attentionDropout: Float
  /// The feed-forward non-linearity.
  public var activation: Activation
  /// Where layer normalisation sits.
  public var normPlacement: NormPlacement
  /// Whether one `[V, D]` matrix serves as source embedding, target embedding and pre-softmax
  /// projection (§3.4); otherwise each has its own.
  public var tiedEmbeddings: Bool
  /// The longest sequence the positional encoding covers; longer inputs are refused.
  public var maxPositions: Int
  /// The id of the padding token: ignored by the loss.
  public var paddingID: Int
  /// The attention kernel (`model.attention`); `auto` decides per call with
  /// `AttentionKernelChoice.resolve`.
  public var attention: AttentionImplementation
  /// W: decoder self-attention sees only the last W positions, i − W < j ≤ i
  /// (`model.attention_window`); nil for all. Needs the memory-efficient kernel.
  public var attentionWindow: Int?
  /// W: encoder self-attention sees only the positions |i − j| < W
  /// (`model.encoder_attention_window`); nil for all. Needs the memory-efficient kernel.
  public var encoderAttentionWindow: Int?

  /// A configuration; every argument defaults to the paper's base model.
  public init(
    encoderLayerCount: Int = 6, decoderLayerCount: Int = 6, modelWidth: Int = 512,
    headCount: Int = 8, feedForwardWidth: Int = 2048, vocabularySize: Int = 8000,
    dropout: Float = 0.1, attentionDropout: Float = 0, activation: Activation = .relu,
    normPlacement: NormPlacement = .post, tiedEmbeddings: Bool = true, maxPositions: Int = 256,
    paddingID: Int = 0, attention: AttentionImplementation = .auto, attentionWindow: Int? = nil,
    encoderAttentionWindow: Int? = nil
  ) {
    self.encoderLayerCount = encoderLayerCount
    self.decoderLayerCount = decoderLayerCount
    self.modelWidth = modelWidth
    self.headCount = headCount
    self.feedForwardWidth = feedForwardWidth
    self.vocabularySize = vocabularySize
    self.dropout = dropout
    self.attentionDropout = attentionDropout
    self.activation = activation
    self.normPlacement = normPlacement
    self.tiedEmbeddings = tiedEmbeddings
    self.maxPositions = maxPositions
    self.paddingID = paddingID
    self.attention = attention
    self.attentionWindow = attentionWindow
    self.encoderAttentionWindow = encoderAttentionWindow
  }

  /// K: the width of one attention head, `D / H`.
  public var headWidth: Int { modelWidth / max(headCount, 1) }

  /// What is inconsistent about this configuration, in one line; nil when a model can be built.
  public var problem: String? {
    if encoderLayerCount < 1 || decoderLayerCount < 1 {
      return "encoder_layers and decoder_layers must be at least 1, got "
        + "\(encoderLayerCount) and \(decoderLayerCount)"
    }
    if modelWidth < 2 || headCount < 1 || modelWidth % headCount != 0 {
      return "d_model (\(modelWidth)) must be at least 2 and divisible by heads (\(headCount))"
    }
    if feedForwardWidth < 1 { return "d_ff must be at least 1, got \(feedForwardWidth)" }
    if vocabularySize < 1 { return "vocabulary_size must be at least 1, got \(vocabularySize)" }
    if !(0..<vocabularySize).contains(paddingID) {
      return "padding_id \(paddingID) is outside the vocabulary 0..<\(vocabularySize)"
    }
    if !(0..<1).contains(dropout) || !(0..<1).contains(attentionDropout) {
      return "dropout and attention_dropout must lie in [0, 1), got \(dropout) and "
        + "\(attentionDropout)"
    }
    if maxPositions < 1 { return "max_positions must be at least 1, got \(maxPositions)" }
    for (key, window) in [
      ("attention_window", attentionWindow), ("encoder_attention_window", encoderAttentionWindow),
    ] {
      if let window, window < 1 || attention == .standard {
        return "\(key) must be at least 1 and needs attention \"memory_efficient\" or "
          + "\"auto\", got \(window) with \"\(attention.rawValue)\""
      }
    }
    return nil
  }

  /// The configuration as one line of JSON with sorted keys, as stored in a checkpoint.
  public var jsonText: String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    // Encoding a struct of numbers, strings and booleans cannot fail.
    let data = try! encoder.encode(self)
    return String(decoding: data, as: UTF8.self)
  }

  /// The configuration stored as `text` by `jsonText`, or nil when it does not parse.
  public init?(jsonText text: String) {
    guard let decoded = try? JSONDecoder().decode(Self.self, from: Data(text.utf8)) else {
      return nil
    }
    self = decoded
  }

  enum CodingKeys: String, CodingKey {
    case encoderLayerCount = "encoder_layers"
    case decoderLayerCount = "decoder_layers"
    case modelWidth = "d_model"
    case headCount = "heads"
    case feedForwardWidth = "d_ff"
    case vocabularySize = "vocabulary_size"
    case dropout
    case attentionDropout = "attention_dropout"
    case activation
    case normPlacement = "norm"
    case tiedEmbeddings = "tie_embeddings"
    case maxPositions = "max_positions"
    case paddingID = "padding_id"
    case attention
    case attentionWindow = "attention_window"
    case encoderAttentionWindow = "encoder_attention_window"
  }
}

extension TransformerConfiguration {
  /// Decodes every key; `attention`, `attention_window` and `encoder_attention_window`, which
  /// checkpoints written before they existed lack, default to `auto`, none and none.
  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    self.init(
      encoderLayerCount: try c.decode(Int.self, forKey: .encoderLayerCount),
      decoderLayerCount: try c.decode(Int.self, forKey: .decoderLayerCount),
      modelWidth: try c.decode(Int.self, forKey: .modelWidth),
      headCount: try c.decode(Int.self, forKey: .headCount),
      feedForwardWidth: try c.decode(Int.self, forKey: .feedForwardWidth),
      vocabularySize: try c.decode(Int.self, forKey: .vocabularySize),
      dropout: try c.decode(Float.self, forKey: .dropout),
      attentionDropout: try c.decode(Float.self, forKey: .attentionDropout),
      activation: try c.decode(Activation.self, forKey: .activation),
      normPlacement: try c.decode(NormPlacement.self, forKey: .normPlacement),
      tiedEmbeddings: try c.decode(Bool.self, forKey: .tiedEmbeddings),
      maxPositions: try c.decode(Int.self, forKey: .maxPositions),
      paddingID: try c.decode(Int.self, forKey: .paddingID),
      attention: try c.decodeIfPresent(AttentionImplementation.self, forKey: .attention) ?? .auto,
      attentionWindow: try c.decodeIfPresent(Int.self, forKey: .attentionWindow),
      encoderAttentionWindow: try c.decodeIfPresent(Int.self, forKey: .encoderAttentionWindow))
  }
}
