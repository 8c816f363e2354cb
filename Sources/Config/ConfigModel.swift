import NN
import Tensors

/// The `model` section: the Transformer's shape (Vaswani et al. 2017, section 3).
///
/// The defaults are the paper's base model (table 3): 6 + 6 layers, width 512, 8 heads,
/// feed-forward width 2048, dropout 0.1, post-norm, ReLU, tied embeddings.
public struct ModelConfig: ConfigSection {
  /// The feed-forward non-linearity: the model's own type, so the two cannot drift.
  public typealias Activation = TransformerConfiguration.Activation
  /// Where layer normalisation sits: the model's own type.
  public typealias NormPlacement = TransformerConfiguration.NormPlacement

  /// How weight matrices are initialised.
  public enum Initialization: String, ConfigChoice {
    /// Uniform in ±sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010); embeddings from
    /// N(0, d_model^-0.5).
    case xavierUniform = "xavier_uniform"
  }

  /// Which attention kernel the layers run: the kernels' own type.
  public typealias Attention = AttentionImplementation
  /// Which stacks the model has: the model's own type.
  public typealias Architecture = TransformerConfiguration.Architecture

  /// The number of encoder layers (N).
  public var encoderLayerCount = 6
  /// The number of decoder layers (N).
  public var decoderLayerCount = 6
  /// The width of every residual stream (d_model, D).
  public var modelWidth = 512
  /// The number of attention heads (h, H); must divide ``modelWidth``.
  public var headCount = 8
  /// The inner width of each feed-forward network (d_ff, F).
  public var feedForwardWidth = 2048
  /// The residual dropout rate (P_drop): on each sub-layer output and on the embedding sums.
  public var dropout = 0.1
  /// The dropout rate on attention weights (after the softmax).
  public var attentionDropout = 0.0
  /// The feed-forward non-linearity.
  public var activation = Activation.relu
  /// Where layer normalisation sits.
  public var norm = NormPlacement.post
  /// Whether the source embedding, the target embedding and the output projection are one
  /// table, as in section 3.4; it needs `data.joint_vocabulary`.
  public var tieEmbeddings = true
  /// The longest sequence the positional encoding covers, `<s>`/`</s>` included.
  public var maxPositions = 256
  /// How weights are initialised.
  public var initialization = Initialization.xavierUniform
  /// The attention kernel.
  public var attention = Attention.auto
  /// W: decoder self-attention sees only the last W positions; nil for all.
  public var attentionWindow: Int? = nil
  /// Encoder–decoder (the paper) or one decoder-only stack over `source </s> <s> target`.
  public var architecture = Architecture.encoderDecoder

  /// Every field at its default.
  public init() {}

  public static let name = "model"
  public static let summary = "The Transformer's shape; the defaults are the paper's base model."
  public static let fields: [ConfigField<ModelConfig>] = [
    .integer(
      "encoder_layers", \.encoderLayerCount, minimum: 1,
      "Encoder layers (N); ignored by `architecture` `decoder-only`, which has no encoder."),
    .integer("decoder_layers", \.decoderLayerCount, minimum: 1, "Decoder layers (N)."),
    .integer(
      "d_model", \.modelWidth, minimum: 2,
      "Model width d_model: embeddings and every residual stream. Even, and divisible by `heads`."),
    .integer("heads", \.headCount, minimum: 1, "Attention heads h; each has width d_model / h."),
    .integer(
      "d_ff", \.feedForwardWidth, minimum: 1,
      "Inner width of each position-wise feed-forward network."),
    .number(
      "dropout", \.dropout, .unitInterval,
      "Residual dropout: on each sub-layer's output and on embeddings + positions."),
    .number(
      "attention_dropout", \.attentionDropout, .unitInterval,
      "Dropout on the attention weights after the softmax."),
    .choice("activation", \.activation, "Feed-forward non-linearity."),
    .choice(
      "norm", \.norm,
      "Layer norm after each residual addition (`post`, the paper) or before each sub-layer (`pre`)."
    ),
    .boolean(
      "tie_embeddings", \.tieEmbeddings,
      "Share one table between the source embedding, the target embedding and the output projection (section 3.4); needs data.joint_vocabulary true."
    ),
    .integer(
      "max_positions", \.maxPositions, minimum: 2,
      "Longest sequence the sinusoidal positional encoding covers, `<s>`/`</s>` included; at least `data.max_length` + 1."
    ),
    .choice("init", \.initialization, "Weight initialisation: Xavier/Glorot uniform for matrices."),
    .choice(
      "attention", \.attention,
      "Attention kernel: `standard` stores the [T, S] probabilities per head, `memory_efficient` computes them tile by tile (memory linear in the length), `auto` picks `memory_efficient` from T·S ≥ 512² in causal self-attention, 4096² elsewhere, and with a window."
    ),
    .optionalInteger(
      "attention_window", \.attentionWindow, minimum: 1,
      "Local attention in the decoder's self-attention: position i sees only i − W < j ≤ i (Longformer/Mistral style); `null` = all earlier positions. The encoder and cross-attention stay full. Needs `attention` `memory_efficient` or `auto`."
    ),
    .choice(
      "architecture", \.architecture,
      "`encoder-decoder` (the paper) or `decoder-only`: one causal stack of `decoder_layers` layers without cross-attention reads `source </s> <s> target` and is trained on the target only; needs `data.joint_vocabulary` true and `max_positions` ≥ 2 × `data.max_length` + 2."
    ),
  ]

  /// Decodes the keys present, with the same checks as a config file.
  public init(from decoder: Decoder) throws { try self.init(decodingFieldsFrom: decoder) }
  /// Encodes every field under its JSON key.
  public func encode(to encoder: Encoder) throws { try encodeFields(to: encoder) }
}

extension TransformerConfiguration.Activation: ConfigChoice {}
extension TransformerConfiguration.NormPlacement: ConfigChoice {}
extension AttentionImplementation: ConfigChoice {}
extension TransformerConfiguration.Architecture: ConfigChoice {}
