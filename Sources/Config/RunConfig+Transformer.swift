import NN
import Tokenizer

extension RunConfig {
  /// The model's `TransformerConfiguration`: the `model` section with the vocabulary's size and
  /// padding id. The values were checked when the config was read (`validate(origin:)`), so
  /// this cannot fail.
  ///
  /// - Parameter vocabularySize: V, the rows of the embedding tables (the larger vocabulary
  ///   when source and target have their own).
  public func transformerConfiguration(vocabularySize: Int) -> TransformerConfiguration {
    let configuration = TransformerConfiguration(
      model, vocabularySize: vocabularySize, paddingID: Vocabulary.paddingID)
    precondition(
      configuration.problem == nil,
      "RunConfig.transformerConfiguration: \(configuration.problem ?? "") passed validation")
    return configuration
  }
}
