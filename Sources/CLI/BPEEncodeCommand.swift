import Tokenizer

/// `transformer-cli bpe encode`: text to pieces, one sentence a line, as SentencePiece's
/// `spm_encode` does.
struct BPEEncodeCommand: BPEStreamCommand {
  static var configuration: CommandConfiguration {
    CommandConfiguration(
      name: "encode",
      abstract: "Split text into BPE pieces, one sentence a line.",
      discussion: """
        Reads sentences from stdin (or --input), one a line, and writes each as its
        pieces separated by single spaces, a line as soon as it is done, so that it
        works in a pipe:
          echo 'Ich gehe zur Schule.' | transformer-cli bpe encode --model bpe.model
        writes a line such as '▁Ich ▁gehe ▁zur ▁Schule .'. White space between words
        counts as one space, so 'bpe decode' gives the text back with single spaces.
        """,
      options: BPEStreamOptions.options)
  }

  /// The model and the input and output files.
  var stream = BPEStreamOptions()

  /// The line's pieces, separated by single spaces.
  static func transform(_ model: BPEModel, _ line: String) -> String {
    model.encode(line).joined(separator: " ")
  }
}
