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
