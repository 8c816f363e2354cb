// The NN target: the layers and the Transformer of Vaswani et al. (2017), one definition used by
// training and by cached decoding, with the optimiser that trains it.
//
// - Layers: `Linear`, `Embedding`, `PositionalEncoding`, `LayerNorm`, `MultiHeadAttention`,
//   `FeedForward`, `SublayerConnection` (residual + norm), `EncoderLayer`, `DecoderLayer`,
//   `TransformerEncoder`, `TransformerDecoder`, `Transformer`.
// - `TransformerHyperparameters` (the config's `model` section) and `TransformerConfiguration`
//   (those plus V and the padding id): the one description of the model.
// - `ForwardContext` and `ForwardTrace`: the training flag, dropout's generator, and the record
//   of every step that `trace` and `attention` print.
// - Cached decoding: `KeyValueCache` and `IncrementalDecoder`.
// - `Adam` (with `GradientClipping`) and `LearningRateSchedule`.
