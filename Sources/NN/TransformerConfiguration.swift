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

  /// How the model knows positions (`model.positions`).
  public enum Positions: String, CaseIterable, Codable, Sendable {
    /// The fixed sines and cosines added to the embeddings, as in the paper (§3.5).
    case sinusoidal
    /// A trained `[P, D]` table per embedding (encoder and decoder), added where the sinusoids
    /// are (as BERT and GPT-2; the paper's table 3 row (E) found them equal).
    case learned
    /// Rotary embedding (Su et al. 2021): queries and keys of every self-attention rotated by
    /// position; nothing added to the embeddings; cross-attention unrotated.
    case rope
    /// Linear biases (Press et al. 2022): −m_h·|i − j| on every self-attention score; nothing
    /// added to the embeddings; cross-attention unbiased.
    case alibi
  }

  /// Which stacks the model has (`model.architecture`).
  public enum Architecture: String, CaseIterable, Codable, Sendable, CustomStringConvertible {
    /// An encoder reads the source, a decoder with cross-attention writes the target, as in
    /// the paper (§3.1, figure 1).
    case encoderDecoder = "encoder-decoder"
    /// One causal stack of self-attention + feed-forward layers (the decoder's layers without
    /// cross-attention) reads `source </s> <s> target` and predicts the target: a language
    /// model conditioned on the source, as GPT-style models translate (Radford et al. 2019).
    case decoderOnly = "decoder-only"

    /// The config's word, `encoder-decoder` or `decoder-only`.
    public var description: String { rawValue }
  }

  /// The number of encoder layers (N); 0 in a decoder-only model.
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
  /// How positions enter the model (`model.positions`); sinusoidal in the paper.
  public var positions: Positions
  /// G: the key/value heads of every attention layer (`model.kv_heads`), dividing H; H in the
  /// paper, 1 for multi-query attention (Shazeer 2019), between for grouped-query attention
  /// (Ainslie et al. 2023). The K/V projections are `[D, G·K]` and the KV cache holds G heads.
  public var keyValueHeadCount: Int
  /// The attention kernel (`model.attention`); `auto` decides per call with
  /// `AttentionKernelChoice.resolve`.
  public var attention: AttentionImplementation
  /// W: decoder self-attention sees only the last W positions, i − W < j ≤ i
  /// (`model.attention_window`); nil for all. Needs the memory-efficient kernel.
  public var attentionWindow: Int?
  /// Which stacks the model has (`model.architecture`); encoder-decoder in the paper.
  public var architecture: Architecture

  /// A configuration; every argument defaults to the paper's base model.
  public init(
    encoderLayerCount: Int = 6, decoderLayerCount: Int = 6, modelWidth: Int = 512,
    headCount: Int = 8, feedForwardWidth: Int = 2048, vocabularySize: Int = 8000,
    dropout: Float = 0.1, attentionDropout: Float = 0, activation: Activation = .relu,
    normPlacement: NormPlacement = .post, tiedEmbeddings: Bool = true, maxPositions: Int = 256,
    paddingID: Int = 0, attention: AttentionImplementation = .auto, attentionWindow: Int? = nil,
    positions: Positions = .sinusoidal, keyValueHeadCount: Int? = nil,
    architecture: Architecture = .encoderDecoder
  ) {
    // A decoder-only model has no encoder, whatever `encoderLayerCount` says (the run config's
    // `encoder_layers` is ignored there): its one stack is `decoderLayerCount` layers.
    self.encoderLayerCount = architecture == .decoderOnly ? 0 : encoderLayerCount
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
    self.positions = positions
    self.keyValueHeadCount = keyValueHeadCount ?? headCount
    self.architecture = architecture
  }

  /// Whether the model is one causal stack over `source </s> <s> target`.
  public var isDecoderOnly: Bool { architecture == .decoderOnly }

  /// The most source positions (`</s>` included) the model reads: every position in an
  /// encoder–decoder model, half of them in a decoder-only one, whose other half holds the
  /// target.
  public var maxSourcePositions: Int { isDecoderOnly ? maxPositions / 2 : maxPositions }

  /// The most target positions (`<s>` included) after a source of `sourceLength` positions:
  /// every position in an encoder–decoder model, the rest of the sequence in a decoder-only one.
  public func maxTargetPositions(sourceLength: Int) -> Int {
    isDecoderOnly ? maxPositions - sourceLength : maxPositions
  }

  /// The ALiBi slopes of every self-attention with `positions` alibi, else nil.
  public var selfAttentionSlopes: [Float]? {
    positions == .alibi ? alibiSlopes(heads: headCount) : nil
  }

  /// K: the width of one attention head, `D / H`.
  public var headWidth: Int { modelWidth / max(headCount, 1) }

  /// What is inconsistent about this configuration, in one line; nil when a model can be built.
  public var problem: String? {
    if isDecoderOnly && decoderLayerCount < 1 {
      return "decoder_layers must be at least 1, got \(decoderLayerCount)"
    }
    if !isDecoderOnly && (encoderLayerCount < 1 || decoderLayerCount < 1) {
      return "encoder_layers and decoder_layers must be at least 1, got "
        + "\(encoderLayerCount) and \(decoderLayerCount)"
    }
    if modelWidth < 2 || headCount < 1 || modelWidth % headCount != 0 {
      return "d_model (\(modelWidth)) must be at least 2 and divisible by heads (\(headCount))"
    }
    if keyValueHeadCount < 1 || headCount % keyValueHeadCount != 0 {
      return "heads (\(headCount)) must be a multiple of kv_heads (\(keyValueHeadCount))"
    }
    if positions == .rope && headWidth % 2 != 0 {
      return "positions \"rope\" needs an even head size d_model/heads, got \(headWidth)"
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
    if maxPositions < (isDecoderOnly ? 4 : 1) {
      return "max_positions must be at least \(isDecoderOnly ? 4 : 1)"
        + "\(isDecoderOnly ? " in a decoder-only model" : ""), got \(maxPositions)"
    }
    if let window = attentionWindow, window < 1 || attention == .standard {
      return "attention_window must be at least 1 and needs attention \"memory_efficient\" or "
        + "\"auto\", got \(window) with \"\(attention.rawValue)\""
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

  /// Why `text` does not decode, in one clause for a checkpoint error: an unknown value names
  /// its key and the known values (a checkpoint written by a newer version, e.g. another
  /// `positions`); anything else says the metadata does not parse.
  public static func decodingProblem(jsonText text: String) -> String {
    let generic = "its metadata \"model.configuration\" does not parse"
    do {
      _ = try JSONDecoder().decode(Self.self, from: Data(text.utf8))
      return generic
    } catch DecodingError.dataCorrupted(let context) {
      guard let key = context.codingPath.last?.stringValue,
        let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
        let value = object[key]
      else { return generic }
      let known: [String]
      switch key {
      case CodingKeys.positions.rawValue: known = Positions.allCases.map(\.rawValue)
      case CodingKeys.architecture.rawValue: known = Architecture.allCases.map(\.rawValue)
      case CodingKeys.activation.rawValue: known = Activation.allCases.map(\.rawValue)
      case CodingKeys.normPlacement.rawValue: known = NormPlacement.allCases.map(\.rawValue)
      default: return generic
      }
      return "its model.\(key) \"\(value)\" is unknown to this version (known: "
        + known.joined(separator: ", ") + ")"
    } catch {
      return generic
    }
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
    case positions
    case keyValueHeadCount = "kv_heads"
    case architecture
  }
}

extension TransformerConfiguration {
  /// Decodes every key; `attention`, `attention_window`, `positions`, `kv_heads` and
  /// `architecture`, which checkpoints written before they existed lack, default to `auto`,
  /// none, `sinusoidal`, `heads` and `encoder-decoder`. An unknown `positions` or
  /// `architecture` value fails to decode (a checkpoint from a newer version).
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
      positions: try c.decodeIfPresent(Positions.self, forKey: .positions) ?? .sinusoidal,
      keyValueHeadCount: try c.decodeIfPresent(Int.self, forKey: .keyValueHeadCount),
      architecture: try c.decodeIfPresent(Architecture.self, forKey: .architecture)
        ?? .encoderDecoder)
  }
}
