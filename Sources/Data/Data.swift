// The Data target: parallel corpora read and split into BPE ids (`ParallelCorpus`), and the
// batches of the training loop: cut by token count from length buckets, shuffled per epoch with
// `SplitMix64`, resumable at any position (`BatchPlanner`, `BatchIterator`).
