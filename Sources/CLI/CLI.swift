// The CLI target: the commands of `transformer-cli` (`train`, `translate`, `eval`, `average`,
// `plot`, `bpe`, `attention`, `trace`, `bench`), each a small declarative `Command` type over a
// shared `Arguments` parser, with help text, progress output and fixed exit codes. The work
// itself lives in the targets below; drawing in `Drawing`, measurements in `Benchmarks`.
