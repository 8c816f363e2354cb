/// `transformer-cli bpe`: the group of subword commands, in the shape of SentencePiece's
/// `spm_train`, `spm_encode` and `spm_decode`. Its subcommands are listed in
/// `CommandRegistry.bpeCommands`.
struct BPECommand: Command {
  static var configuration: CommandConfiguration {
    CommandConfiguration(
      name: "bpe",
      abstract: "Learn a byte-pair-encoding subword model and apply it to text.",
      subcommands: CommandRegistry.bpeCommands)
  }
}
