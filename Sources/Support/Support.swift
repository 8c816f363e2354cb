// The Support target: small file and text utilities every other target may use, with no
// knowledge of tensors, models or text processing.
//
// - `AtomicFile`: every file the program writes goes to a temporary name first and is renamed
//   into place, so an interrupted run never leaves half a file.
// - `JSONValue` and `JSONParser`: the program's one way to read and write JSON. Reading keeps
//   what the user wrote (member order, number text, line and column of every error) for config
//   files and `--set`, with typed views (`integer`, `members`, …) for the files the program
//   wrote itself; writing is `compactText` (one line, in order or with sorted keys) or
//   `formatted` (indented), numbers as given (`real` and `fixed` spell them). Foundation's
//   JSON coders are not used.
// - `TextFile`, `TextFileReader`, `TextFileDescriptor` and `TextFileError`: UTF-8 text files as
//   lines, CRLF and BOM tolerated, read as streams (pipes too) with a bound on a line's length.
// - `FileIdentity`: two paths compared as files (device and inode), not as spellings.
// - `TemporaryFiles`: the temporary files being written, removed on SIGINT or SIGTERM.
// - `ClosestMatch`: the did-you-mean hint for commands, options and config keys.
// - `counted`: "1 pair", "3 pairs" in messages.
// - `SplitMix64`: the one seeded generator below `RandomGenerator`, corpus shuffling and
//   benchmark operands.
// - `ProcessMemory`: the peak resident set size that `train` and `bench` report.
