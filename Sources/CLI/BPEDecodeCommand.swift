import Tokenizer

/// `transformer-cli bpe decode`: pieces back to text, one sentence a line, as SentencePiece's
/// `spm_decode` does.
struct BPEDecodeCommand: BPEStreamCommand {
  static var configuration: CommandConfiguration {
    CommandConfiguration(
      name: "decode",
      abstract: "Join BPE pieces back into text, one sentence a line.",
      discussion: """
        Reads lines of pieces separated by spaces, as 'bpe encode' writes them, from
        stdin (or --input) and writes each as text, a line as soon as it is done. '▁'
        becomes a space, byte pieces (<0xE2>) become bytes again, <s>, </s> and <pad>
        vanish and <unk> shows as ⁇.
        """,
      options: BPEStreamOptions.options)
  }

  /// The model and the input and output files.
  var stream = BPEStreamOptions()

  /// The text of the line's pieces (split at spaces and tabs).
  static func transform(_ model: BPEModel, _ line: String) -> String {
    model.decode(pieces: line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init))
  }
}
