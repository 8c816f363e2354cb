// Code above the autograd (layers, the trainer) works with `Tensor`, `RandomGenerator` and
// `AttentionMask` as well as `Variable`: they come with `import Autograd`.
@_exported import Tensors
