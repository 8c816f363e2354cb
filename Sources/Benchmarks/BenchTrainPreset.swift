import NN
import Autograd
import Tensors

/// The model sizes `bench train` times: all post-norm with ReLU, tied embeddings and dropout
/// 0.1, as the paper's base model; `base` is that model (table 3) with a vocabulary of 8000.
public enum BenchTrainPreset: String, CaseIterable {
  /// d_model 128, 4 heads, d_ff 512, 2 + 2 layers, vocabulary 1000.
  case tiny
  /// d_model 256, 8 heads, d_ff 1024, 3 + 3 layers, vocabulary 8000.
  case small
  /// d_model 512, 8 heads, d_ff 2048, 6 + 6 layers, vocabulary 8000.
  case base

  /// The model's shape.
  public var configuration: TransformerConfiguration {
    switch self {
    case .tiny:
      return Self.configuration(layers: 2, width: 128, heads: 4, feedForward: 512, vocabulary: 1000)
    case .small:
      return Self.configuration(
        layers: 3, width: 256, heads: 8, feedForward: 1024, vocabulary: 8000)
    case .base:
      return Self.configuration(
        layers: 6, width: 512, heads: 8, feedForward: 2048, vocabulary: 8000)
    }
  }

  /// `tiny, small, base`, for messages.
  public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }

  private static func configuration(
    layers: Int, width: Int, heads: Int, feedForward: Int, vocabulary: Int
  ) -> TransformerConfiguration {
    TransformerConfiguration(
      encoderLayerCount: layers, decoderLayerCount: layers, modelWidth: width, headCount: heads,
      feedForwardWidth: feedForward, vocabularySize: vocabulary, dropout: 0.1,
      attentionDropout: 0, activation: .relu, norm: .post, tieEmbeddings: true,
      maxPositions: 64)
  }
}
