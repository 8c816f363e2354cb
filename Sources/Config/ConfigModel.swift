import NN
import Tensors

/// The `model` section: the model's own ``TransformerHyperparameters`` (Vaswani et al. 2017,
/// section 3), so that the config file and the model cannot describe two different shapes.
///
/// A new field is its declaration in `TransformerHyperparameters` plus one line in ``fields``
/// below: that line gives config files, `--set`, `config.json`, the reference table and the
/// checkpoint's metadata (`TransformerConfiguration.jsonText`) its key.
public typealias ModelConfig = TransformerHyperparameters

extension TransformerHyperparameters: ConfigSection {
  public static let name = "model"
  public static let summary = "The Transformer's shape; the defaults are the paper's base model."
  public static let fields: [ConfigField<TransformerHyperparameters>] = [
    .integer(
      "encoder_layers", \.encoderLayerCount, minimum: 1, maximum: ConfigLimits.layers,
      "Encoder layers (N); ignored by `architecture` `decoder-only`, which has no encoder."),
    .integer(
      "decoder_layers", \.decoderLayerCount, minimum: 1, maximum: ConfigLimits.layers,
      "Decoder layers (N)."),
    .integer(
      "d_model", \.modelWidth, minimum: 2, maximum: ConfigLimits.modelWidth,
      "Model width d_model: embeddings and every residual stream. Even, and divisible by `heads`."),
    .integer(
      "heads", \.headCount, minimum: 1, maximum: ConfigLimits.modelWidth,
      "Attention heads h; each has width d_model / h."),
    .integer(
      "d_ff", \.feedForwardWidth, minimum: 1, maximum: ConfigLimits.feedForwardWidth,
      "Inner width of each position-wise feed-forward network."),
    .number(
      "dropout", \.dropout, .unitInterval, usedAsFloat: true,
      "Residual dropout: on each sub-layer's output and on embeddings + positions."),
    .number(
      "attention_dropout", \.attentionDropout, .unitInterval, usedAsFloat: true,
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
      "max_positions", \.maxPositions, minimum: 2, maximum: ConfigLimits.positions,
      "Longest sequence the model reads, `<s>`/`</s>` included (the rows of the sinusoidal or learned position table); at least `data.max_length` + 1."
    ),
    .choice("init", \.initialization, "Weight initialisation: Xavier/Glorot uniform for matrices."),
    .choice(
      "attention", \.attention,
      "Attention kernel: `standard` stores the [T, S] probabilities per head, `memory_efficient` computes them tile by tile (memory linear in the length), `auto` picks `memory_efficient` from T·S ≥ 512² in causal self-attention, 1024² elsewhere, and with a window."
    ),
    .optionalInteger(
      "attention_window", \.attentionWindow, minimum: 1, maximum: ConfigLimits.positions,
      "Local attention in the decoder's self-attention: position i sees only i − W < j ≤ i (Longformer/Mistral style); `null` = all earlier positions. The encoder (see `encoder_attention_window`) and cross-attention stay full. Needs `attention` `memory_efficient` or `auto`."
    ),
    .optionalInteger(
      "encoder_attention_window", \.encoderAttentionWindow, minimum: 1,
      maximum: ConfigLimits.positions,
      "Local attention in the encoder's self-attention, both ways: position i sees only i − W < j < i + W, 2W − 1 positions (Longformer's local pattern); `null` = all. Cross-attention stays full. Needs `attention` `memory_efficient` or `auto`."
    ),
    .choice(
      "positions", \.positions,
      "How the model knows word order: `sinusoidal` (the paper, section 3.5), `learned` (a trained [max_positions, d_model] table per embedding), `rope` (rotary: self-attention queries and keys rotated by position, Su et al. 2021) or `alibi` (a per-head bias −m·|i − j| on self-attention scores, Press et al. 2022). Cross-attention is never rotated or biased."
    ),
    .optionalInteger(
      "kv_heads", \.keyValueHeads, minimum: 1, maximum: ConfigLimits.modelWidth,
      "Key/value heads of every attention layer; `heads` must be a multiple. `null` = `heads` (the paper); 1 = multi-query attention; between = grouped-query attention. The KV cache holds only these heads."
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

extension TransformerHyperparameters.Activation: ConfigChoice {}
extension TransformerHyperparameters.NormPlacement: ConfigChoice {}
extension TransformerHyperparameters.Initialization: ConfigChoice {}
extension TransformerHyperparameters.Positions: ConfigChoice {}
extension TransformerHyperparameters.Architecture: ConfigChoice {}
extension AttentionImplementation: ConfigChoice {}
