import NN
import Tensors
import Tokenizer

extension RunConfig {
  /// The model's `TransformerConfiguration`: the `model` section with the vocabulary's size and
  /// padding id. The one mapping from the config file to the model; the values were checked
  /// when the config was read (`validate(origin:)`), so this cannot fail.
  ///
  /// - Parameter vocabularySize: V, the rows of the embedding tables (the larger vocabulary
  ///   when source and target have their own).
  public func transformerConfiguration(vocabularySize: Int) -> TransformerConfiguration {
    let configuration = TransformerConfiguration(
      encoderLayerCount: model.encoderLayerCount, decoderLayerCount: model.decoderLayerCount,
      modelWidth: model.modelWidth, headCount: model.headCount,
      feedForwardWidth: model.feedForwardWidth, vocabularySize: vocabularySize,
      dropout: Float(model.dropout), attentionDropout: Float(model.attentionDropout),
      activation: model.activation, normPlacement: model.norm,
      tiedEmbeddings: model.tieEmbeddings,
      maxPositions: model.maxPositions, paddingID: Vocabulary.paddingID,
      attention: model.attention,
      attentionWindow: model.attentionWindow, architecture: model.architecture)
    precondition(
      configuration.problem == nil,
      "RunConfig.transformerConfiguration: \(configuration.problem ?? "") passed validation")
    return configuration
  }
}
