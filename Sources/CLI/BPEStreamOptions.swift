import Foundation
import Support
import Tokenizer

/// The options `bpe encode` and `bpe decode` share: the model, and where lines come from and go
/// to. Both are filters: one line in, one line out, each written as soon as it is ready.
struct BPEStreamOptions: OptionGroup {
  static var options: [OptionDescription] {
    [
      .option(
        "model", value: "file", help: "The BPE model written by 'bpe learn'.", required: true),
      .option("input", value: "file", help: "Read lines from this file instead of stdin."),
      .option(
        "output", value: "file",
        help: "Write lines to this file instead of stdout; it is replaced only when every line "
          + "is done."),
    ]
  }

  /// The model file.
  var modelPath: String?
  /// The input file; nil reads stdin.
  var inputPath: String?
  /// The output file; nil writes stdout.
  var outputPath: String?

  /// No model and the standard streams, until `init(_:)` reads the command line.
  init() {}

  init(_ arguments: Arguments) throws {
    modelPath = arguments.value(of: "model")
    inputPath = arguments.value(of: "input")
    outputPath = arguments.value(of: "output")
  }

  func validate() throws {
    try OutputPolicy.checkOption(outputPath, force: false)
    if modelPath == nil {
      throw UsageError("missing '--model <file>': give the model written by 'bpe learn'")
    }
    // By name and by device and inode, on every system (the open-file check of `OutputFile`
    // reads /proc, which only Linux has).
    var inputs = CommandInputs()
    inputs.add(inputPath, as: "the --input file")
    inputs.add(modelPath, as: "the --model file")
    try inputs.check(outputPath)
  }

  /// Loads the model, then writes `transform(model, line)` for every input line.
  ///
  /// The model is read before the input, so a bad model is reported before anything is read
  /// from stdin. Lines on stdout are written one at a time, unbuffered, so that a pipe sees each
  /// as soon as it is done; an output file is written whole or not at all.
  func run(_ console: inout Console, _ transform: (BPEModel, String) -> String) throws {
    let model = try BPEModel(contentsOf: URL(fileURLWithPath: modelPath ?? ""))
    let reader = try TextFileReader(path: inputPath)
    guard let outputPath else {
      // Stops once stdout fails: `main` reports it, and no further line could reach it.
      while console.outputFailure == nil, let line = try reader.nextLine() {
        console.writeLine(transform(model, line))
      }
      return
    }
    let output = try OutputFile(path: outputPath)
    do {
      while let line = try reader.nextLine() {
        output.write(transform(model, line) + "\n")
      }
      try output.commit()
    } catch {
      output.discard()
      throw error
    }
  }
}

/// A `bpe` filter command (`encode`, `decode`): ``BPEStreamOptions`` and what it does to a line.
/// Parsing, checking and running come from the options, so a command is its help text and
/// its ``transform(_:_:)``.
protocol BPEStreamCommand: Command {
  /// The model and the input and output files.
  var stream: BPEStreamOptions { get set }
  /// The output line for one input line.
  static func transform(_ model: BPEModel, _ line: String) -> String
}

extension BPEStreamCommand {
  mutating func parse(_ arguments: Arguments) throws {
    stream = try BPEStreamOptions(arguments)
  }

  func validate() throws {
    try stream.validate()
  }

  mutating func run(_ console: inout Console) throws {
    try stream.run(&console, Self.transform)
  }
}
