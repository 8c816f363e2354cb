import NN

extension RunConfig {
  /// The Transformer the `model` section describes, for a vocabulary of `vocabularySize`
  /// pieces (the BPE model's real size, which may be smaller than `data.vocab_size`).
  ///
  /// - Throws: ``TrainingError/unsupported(path:message:)`` for a combination the model cannot
  ///   build: tied embeddings need one joint vocabulary, because the Transformer ties the source
  ///   embedding, the target embedding and the output projection together or not at all.
  public func transformerConfiguration(vocabularySize: Int) throws(TrainingError)
    -> TransformerConfiguration
  {
    if model.tieEmbeddings && !data.jointVocabulary {
      throw .unsupported(
        path: "model.tie_embeddings",
        message: "true needs data.joint_vocabulary true (one table serves both languages); "
          + "set one of them to the other value")
    }
    let configuration = TransformerConfiguration(
      encoderLayerCount: model.encoderLayerCount, decoderLayerCount: model.decoderLayerCount,
      modelWidth: model.modelWidth, headCount: model.headCount,
      feedForwardWidth: model.feedForwardWidth, vocabularySize: vocabularySize,
      dropout: Float(model.dropout), attentionDropout: Float(model.attentionDropout),
      activation: model.activation == .gelu ? .gelu : .relu,
      normPlacement: model.norm == .pre ? .pre : .post, tiedEmbeddings: model.tieEmbeddings,
      maxPositions: model.maxPositions, paddingID: Vocabulary.paddingID)
    // Dropout of exactly 1 passes the config's range check but leaves nothing to train.
    if let problem = configuration.problem {
      throw .unsupported(path: "model", message: problem)
    }
    return configuration
  }
}
