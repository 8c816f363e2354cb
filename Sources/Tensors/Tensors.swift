// The Tensors target: storage, shapes and every CPU kernel, with no knowledge of gradients.
//
// - `Tensor` (with `TensorStorage`, `ScratchPool`): a row-major Float32 array with a shape.
// - The GEMM (`GEMM`, `Packing`, `MicroKernel`, `PackedMatrix`, `Matmul`), `gemmReference`
//   beside it.
// - Kernels in forward/backward pairs, each with a reference: softmax with attention masks,
//   log-softmax, layer norm, label-smoothed cross-entropy, activations, dropout, embedding
//   gather/scatter, head split/merge, the sinusoidal positional encoding, reductions; beyond
//   the paper, the rotary embedding (`RotaryEmbedding`), ALiBi slopes and bias (`ALiBi`) and
//   the repeated key/value heads of grouped-query attention (`GroupedHeads`).
// - Attention beyond the batched GEMM + softmax: the tiled, online-softmax memory-efficient
//   kernel (`MemoryEfficientAttention*`), and for cached decoding the one-query attention over
//   the cache (`SingleQueryAttention`) and the few-row products (`RowProduct`).
// - `parallelFor` (on the spinning threads of `WorkerPool`) and `RandomGenerator`
//   (xoshiro256**, seeded through `SplitMix64`).
