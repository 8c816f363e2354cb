import Tensors

/// What a user chooses about the Transformer (Vaswani et al. 2017, §3 and table 3): the run
/// config's `model` section and, with the vocabulary's size and padding id, a
/// ``TransformerConfiguration``. Each field is declared here once; the Config target lists its
/// JSON key (`ModelConfig.fields`), which serves config files, `--set` and the checkpoint's
/// metadata alike.
///
/// The defaults are the paper's base model (table 3): 6 + 6 layers, D = 512, H = 8, F = 2048,
/// P_drop = 0.1, post-norm, ReLU, tied embeddings (§3.4).
public struct TransformerHyperparameters: Equatable, Sendable {
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

  /// How weight matrices are initialised.
  public enum Initialization: String, CaseIterable, Codable, Sendable {
    /// Uniform in ±sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010); embeddings from
    /// N(0, d_model^-0.5).
    case xavierUniform = "xavier_uniform"
  }

  /// How the model knows positions (`model.positions`).
  public enum Positions: String, CaseIterable, Codable, Sendable {
    /// The fixed sines and cosines added to the embeddings, as in the paper (§3.5).
    case sinusoidal
    /// A trained `[P, D]` table per embedding (encoder and decoder), added where the sinusoids
    /// are (as BERT and GPT-2; the paper's table 3 row (E) found them about equal).
    case learned
    /// Rotary embedding (Su et al. 2021): the queries and keys of every self-attention rotated
    /// by position; nothing added to the embeddings; cross-attention unrotated.
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

  /// The number of encoder layers (N); ignored by a decoder-only model, which has none.
  public var encoderLayerCount = 6
  /// The number of decoder layers (N).
  public var decoderLayerCount = 6
  /// D: the width of the embeddings and of every residual stream (d_model).
  public var modelWidth = 512
  /// H: the number of attention heads; must divide ``modelWidth`` (K = D / H).
  public var headCount = 8
  /// F: the inner width of each position-wise feed-forward network (d_ff).
  public var feedForwardWidth = 2048
  /// Residual dropout (P_drop, §5.4): on each sub-layer's output before the residual addition
  /// and on the sums of embeddings and positions. Kept as the config file wrote it; the layers
  /// run it as `Float`.
  public var dropout = 0.1
  /// Dropout on the attention probabilities after the softmax (tensor2tensor's
  /// `attention_dropout`); 0 in the paper.
  public var attentionDropout = 0.0
  /// The feed-forward non-linearity.
  public var activation = Activation.relu
  /// Where layer normalisation sits.
  public var norm = NormPlacement.post
  /// Whether one `[V, D]` matrix serves as source embedding, target embedding and pre-softmax
  /// projection (§3.4); otherwise each has its own. Needs a joint vocabulary.
  public var tieEmbeddings = true
  /// The longest sequence the positional encoding covers, `<s>`/`</s>` included; longer
  /// inputs are refused.
  public var maxPositions = 256
  /// How weights are initialised.
  public var initialization = Initialization.xavierUniform
  /// The attention kernel; `auto` decides per call with `AttentionKernelChoice.resolve`.
  public var attention = AttentionImplementation.auto
  /// W: decoder self-attention sees only the last W positions, i − W < j ≤ i; nil for all.
  /// Needs the memory-efficient kernel.
  public var attentionWindow: Int? = nil
  /// W: encoder self-attention sees only the positions |i − j| < W (Longformer's local
  /// band); nil for all. Needs the memory-efficient kernel.
  public var encoderAttentionWindow: Int? = nil

  /// How positions enter the model; sinusoidal in the paper.
  public var positions = Positions.sinusoidal
  /// G: the key/value heads of every attention layer, dividing ``headCount``; nil for H (the
  /// paper). 1 is multi-query attention (Shazeer 2019), between is grouped-query attention
  /// (Ainslie et al. 2023): the K/V projections are `[D, G·K]` and the KV cache holds G heads.
  public var keyValueHeads: Int? = nil
  /// Encoder–decoder (the paper) or one decoder-only stack over `source </s> <s> target`.
  public var architecture = Architecture.encoderDecoder

  /// The paper's base model.
  public init() {}
}
