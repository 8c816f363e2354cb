import Foundation
import Support
import Tokenizer

/// `transformer-cli bpe learn`: learns a BPE model from text files and writes it, as
/// SentencePiece's `spm_train` does.
struct BPELearnCommand: Command {
  static var configuration: CommandConfiguration {
    CommandConfiguration(
      name: "learn",
      abstract: "Learn a BPE model from text files.",
      discussion: """
        Learns byte-pair-encoding merges (Sennrich et al., 2016) from UTF-8 text files,
        one sentence a line, and writes the model as a text file. Pieces are written the
        SentencePiece way: '▁' marks the start of a word, and a character the model
        never saw is written as its UTF-8 bytes (<0xE2> <0x86> <0x92>), so encoding
        never loses text.

        Learning stops at --vocab-size pieces or when no pair of pieces occurs twice, so
        a small corpus can give a smaller model. A one-line summary goes to stderr.
        Give the source and the target files together for one joint model:
          transformer-cli bpe learn --vocab-size 8000 --input train.de \\
            --input train.en --output bpe.model
        """,
      options: [
        .option(
          "vocab-size", value: "count",
          help: "Pieces in the model, the \(Vocabulary.reservedCount) reserved ones (special "
            + "tokens, bytes, '▁') included; at least \(BPEModel.minimumVocabularySize).",
          required: true),
        .option(
          "input", value: "file",
          help: "A training file, one sentence a line; repeat to learn from several.",
          repeatable: true, required: true),
        .option(
          "output", value: "file",
          help: "Where to write the model; an existing file is replaced.", required: true),
      ])
  }

  /// The wanted number of pieces.
  var vocabularySize: Int?
  /// The training files, in command-line order.
  var inputPaths: [String] = []
  /// Where the model goes.
  var outputPath: String?

  mutating func parse(_ arguments: Arguments) throws {
    vocabularySize = try arguments.positiveInteger("vocab-size")
    inputPaths = arguments.values(of: "input")
    outputPath = arguments.value(of: "output")
  }

  func validate() throws {
    try OutputPolicy.checkOption(outputPath, force: false)
    guard let vocabularySize else {
      throw UsageError("missing '--vocab-size <count>': say how many pieces the model should have")
    }
    if vocabularySize < BPEModel.minimumVocabularySize {
      throw UsageError(
        BPEError.vocabularySizeTooSmall(
          requested: vocabularySize, minimum: Vocabulary.reservedCount
        ).description)
    }
    if inputPaths.isEmpty {
      throw UsageError("missing '--input <file>': give at least one training file")
    }
    guard let outputPath else {
      throw UsageError("missing '--output <file>': say where to write the model")
    }
    // Compared by identity, so `./c.en` or a link to the corpus is caught too.
    var inputs = CommandInputs()
    for path in inputPaths { inputs.add(path, as: "an --input file") }
    try inputs.check(outputPath)
  }

  mutating func run(_ console: inout Console) throws {
    let vocabularySize = self.vocabularySize ?? 0
    let output = URL(fileURLWithPath: outputPath ?? "")
    // Learning can take minutes; find out now, not after it, that the model cannot be saved.
    let directory = output.deletingLastPathComponent().path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory),
      isDirectory.boolValue
    else {
      throw BPEError.cannotWrite(
        path: output.path, reason: "the directory '\(directory)' does not exist")
    }

    let clock = ContinuousClock()
    let start = clock.now
    let model = try BPEModel.learn(
      files: inputPaths.map { URL(fileURLWithPath: $0) }, vocabularySize: vocabularySize)
    try model.save(to: output)
    let elapsed = start.duration(to: clock.now).components
    let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18
    console.writeErrorLine(summary(model, seconds: seconds))
  }

  /// `learned 8000 pieces with 7739 merges from 2 files in 3.21 s; wrote 'bpe.model'`, saying so
  /// when the text ran out of pairs before the vocabulary was full.
  private func summary(_ model: BPEModel, seconds: Double) -> String {
    let pieces = model.vocabulary.count
    let files = inputPaths.count == 1 ? "1 file" : "\(inputPaths.count) files"
    var text =
      "learned \(pieces) pieces with \(model.mergeCount) merges from \(files) in "
      + String(format: "%.2f s", seconds)
    if let vocabularySize, pieces < vocabularySize {
      text += " (fewer than the \(vocabularySize) asked for: no other pair occurs twice)"
    }
    return text + "; wrote '\(outputPath ?? "")'"
  }
}
