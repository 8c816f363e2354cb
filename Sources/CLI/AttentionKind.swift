import NN
import Support

/// Which attention of the Transformer `transformer-cli attention` shows.
enum AttentionKind: String, CaseIterable {
  /// The encoder's self-attention: source × source.
  case selfEncoder = "self-encoder"
  /// The decoder's masked self-attention: output × decoder input.
  case selfDecoder = "self-decoder"
  /// The decoder's attention over the encoder output: output × source (§3.2.3).
  case cross

  /// The kind named `name`, or a `UsageError` suggesting the closest name.
  init(parsing name: String) throws(UsageError) {
    guard let kind = AttentionKind(rawValue: name) else {
      let names = AttentionKind.allCases.map(\.rawValue)
      throw UsageError(
        "unknown attention kind '\(name)' for '--kind': expected one of "
          + names.joined(separator: ", "),
        suggestion: ClosestMatch.suggestion(for: name, among: names, minimumLimit: 2))
    }
    self = kind
  }

  /// The words used in titles.
  var title: String {
    switch self {
    case .selfEncoder: "encoder self-attention"
    case .selfDecoder: "decoder self-attention (masked)"
    case .cross: "encoder-decoder attention"
    }
  }

  /// What the rows and columns of its maps are, for the SVG's caption.
  var axes: String {
    switch self {
    case .selfEncoder: "rows: source pieces (queries) · columns: source pieces (keys)"
    case .selfDecoder: "rows: output pieces (queries) · columns: decoder input pieces (keys)"
    case .cross: "rows: output pieces (queries) · columns: source pieces (keys)"
    }
  }

  /// The stack whose layers hold this attention, for messages.
  /// What the model adds to this attention beyond the paper, for a heatmap's title: which
  /// key/value head a query head reads (grouped-query attention) and the ALiBi slope of a
  /// self-attention head (whose −m·|i − j| bias is inside the weights shown), or for the mean
  /// of all heads, the key/value head count and that the bias is included; "" for the paper's.
  ///
  /// - Parameter head: the 0-based query head, nil for the mean of all heads.
  func variantNote(_ c: TransformerConfiguration, head: Int?) -> String {
    var notes: [String] = []
    let (heads, groups) = (c.headCount, c.keyValueHeadCount)
    let alibi = self != .cross ? c.selfAttentionSlopes : nil
    if let head {
      if groups < heads { notes.append("kv head \(head / (heads / groups) + 1) of \(groups)") }
      if let alibi { notes.append("ALiBi slope \(alibi[head])") }
    } else {
      if groups < heads { notes.append(counted(groups, "kv head")) }
      if alibi != nil { notes.append("ALiBi bias −m·|i − j| included") }
    }
    if self != .cross && c.positions == .rope { notes.append("RoPE-rotated Q, K") }
    return notes.isEmpty ? "" : " (" + notes.joined(separator: ", ") + ")"
  }

  var stackName: String { self == .selfEncoder ? "encoder" : "decoder" }

  /// The trace's module path of this attention in layer `number` (from 1).
  func modules(layer number: Int) -> [String] {
    switch self {
    case .selfEncoder:
      [
        ForwardTrace.Module.encoder, ForwardTrace.Module.layer(number),
        ForwardTrace.Module.selfAttention,
      ]
    case .selfDecoder:
      [
        ForwardTrace.Module.decoder, ForwardTrace.Module.layer(number),
        ForwardTrace.Module.selfAttention,
      ]
    case .cross:
      [
        ForwardTrace.Module.decoder, ForwardTrace.Module.layer(number),
        ForwardTrace.Module.crossAttention,
      ]
    }
  }

  /// The number of layers with this attention in a model of `configuration`.
  func layerCount(_ configuration: TransformerConfiguration) -> Int {
    self == .selfEncoder ? configuration.encoderLayerCount : configuration.decoderLayerCount
  }
}
