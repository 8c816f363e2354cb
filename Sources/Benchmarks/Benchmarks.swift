// The Benchmarks target: the measurements behind `bench matmul` (GFLOPS per GEMM shape),
// `bench train` (forward, backward and Adam per step of a preset model) and `bench decode`
// (sentences per second of greedy or beam search).
// `bench allreduce` times the gradient sum of data-parallel training, `bench attention` one
// attention kernel at a length. Each measurement also writes its `--json` line.

import Tensors

/// The threads the kernels run on (set by `--threads`), for the benchmarks' header lines.
public var benchmarkThreadCount: Int { Parallel.threadCount }
