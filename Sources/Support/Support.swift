// The Support target: small file and text utilities every other target may use, with no
// knowledge of tensors, models or text processing.
//
// - `AtomicFile`: every file the program writes goes to a temporary name first and is renamed
//   into place, so an interrupted run never leaves half a file.
// - `JSONValue` and `JSONParser`: JSON as the user wrote it (member order, number text, line and
//   column of every error), for config files and `--set`; `jsonStringLiteral` for JSON written
//   by hand in a fixed key order.
// - `TextFile` and `TextFileError`: UTF-8 text files as lines, CRLF and BOM tolerated.
// - `ClosestMatch`: the did-you-mean hint for commands, options and config keys.
// - `SplitMix64`: the one seeded generator below `RandomGenerator`, corpus shuffling and
//   benchmark operands.
// - `ProcessMemory`: the peak resident set size that `train` and `bench` report.
