// The Benchmarks target: the measurements behind `bench matmul` (GFLOPS per GEMM shape),
// `bench train` (forward, backward and Adam per step of a preset model) and `bench decode`
// (sentences per second of greedy or beam search).
