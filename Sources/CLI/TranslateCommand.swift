import Foundation
import Support

/// `transformer-cli translate`: translates text with a trained checkpoint, from the command
/// line, from stdin line by line, or from a file.
struct TranslateCommand: Command {
  static var configuration: CommandConfiguration {
    CommandConfiguration(
      name: "translate",
      abstract: "Translate text with a trained model.",
      discussion: """
        Translates <text>, or with no text each line of stdin (or --input), writing
        one translation a line; an empty line gives an empty line. Lines from stdin
        are answered one at a time, each as soon as it is read (on a terminal, end
        with Ctrl-D). Quote a sentence of several words. --output writes the file
        atomically (aside, then renamed into place); an existing file is replaced
        only with --force, and never when it is the --input or a file of the
        checkpoint.

        The model reads at most model.max_positions - 1 BPE pieces of a sentence; a
        longer one is translated from its first pieces, with a warning on stderr
        naming its line and both lengths.

        Searches with beam search and the length penalty of Wu et al. 2016,
        lp = ((5 + |Y|)/6)^α, output at most source length + 50 pieces; --beam 1 is
        greedy search. With --nbest K each input line gives up to K lines
        "<line number>\\t<translation>\\t<score>", best first, the line numbers
        counting from 0 (fewer when fewer distinct translations fit --max-len). A
        --max-len above model.max_positions - 1 is cut to it, with a warning.

        --checkpoint takes a checkpoint directory, a run directory (its best/ is
        used) or a model.safetensors file (its directory is used). Without it, the
        checkpoint is best/ of the run that runs/.last-run (in the current
        directory) names: the run 'transformer-cli train' saved most recently. The
        checkpoint loaded is named on stderr unless --quiet.
        """,
      options: [
        .option("input", value: "file", help: "Translate this file, one sentence a line."),
        .option("output", value: "file", help: "Write the translations here (default: stdout)."),
        .flag("force", help: "Replace the --output file if it exists."),
        .option(
          "nbest", value: "count",
          help: "Print this many translations per line with their scores (at most --beam)."),
      ] + TranslateOptions.options,
      arguments: [
        ArgumentDescription("text", help: "The sentence to translate.", optional: true)
      ])
  }

  /// The positional sentence.
  var text: String?
  /// `--input`.
  var inputPath: String?
  /// `--output`.
  var outputPath: String?
  /// `--force`: replace an existing `--output`.
  var force = false
  /// `--nbest`, nil for plain output.
  var nbest: Int?
  /// Checkpoint and search options.
  var search = TranslateOptions()

  mutating func parse(_ arguments: Arguments) throws {
    text = arguments.positionals.first
    inputPath = arguments.value(of: "input")
    outputPath = arguments.value(of: "output")
    force = arguments.contains("force")
    nbest = try arguments.positiveInteger("nbest", maximum: CountLimit.beam)
    search = try TranslateOptions(arguments)
  }

  func validate() throws {
    try OutputPolicy.checkOption(outputPath, force: force)
    if text != nil, inputPath != nil {
      throw UsageError("give either <text> or '--input <file>', not both")
    }
    try commandLineInputs.check(outputPath)
    if let nbest, nbest > search.beamSize {
      throw UsageError(
        "'--nbest \(nbest)' exceeds the beam size \(search.beamSize); raise '--beam' to at "
          + "least \(nbest)")
    }
  }

  /// The files named on the command line that the command reads: `--input`.
  private var commandLineInputs: CommandInputs {
    var inputs = CommandInputs()
    inputs.add(inputPath, as: "the --input file")
    return inputs
  }

  /// What a terminal user sees when `translate` waits for sentences on stdin.
  static let standardInputPrompt =
    "reading sentences from standard input, one a line; Ctrl-D ends"

  mutating func run(_ console: inout Console) throws {
    if let outputPath {
      var inputs = commandLineInputs
      try inputs.addCheckpoint(of: search)
      try inputs.check(outputPath)
      try OutputPolicy.check(outputPath, force: force)
    }
    // Scores are printed only with --nbest.
    let translator = try search.translator(nbest: nbest ?? 1, scores: nbest != nil) {
      console.writeErrorLine($0)
    }
    let output = try outputPath.map { path throws(RuntimeError) in try OutputFile(path: path) }
    func emit(_ line: String) {
      if let output { output.write(line + "\n") } else { console.writeLine(line) }
    }
    var lineNumber = 0
    func translate(_ lines: [String], input: String?) throws(RuntimeError) {
      for warning in try SourceLengthCheck.warnings(
        for: lines, firstLineNumber: lineNumber + 1, input: input, translator: translator)
      {
        console.writeErrorLine(warning)
      }
      for hypotheses in translator.translateNBest(lines) {
        if nbest == nil {
          emit(hypotheses.first?.text ?? "")
        } else {
          for hypothesis in hypotheses {
            emit("\(lineNumber)\t\(hypothesis.text)\t\(String(format: "%.4f", hypothesis.score))")
          }
        }
        lineNumber += 1
      }
    }
    if let text {
      try translate([text], input: nil)
    } else if let inputPath {
      let reader = try TextFileReader(path: inputPath)
      var lines: [String] = []
      while let line = try reader.nextLine() { lines.append(line) }
      try translate(lines, input: "'\(inputPath)'")
    } else {
      if console.errors is FileStream, isatty(STDIN_FILENO) != 0 {
        console.writeErrorLine(Self.standardInputPrompt)
      }
      // One line at a time, so that each answer appears as soon as its line is read; none
      // once stdout fails, as `main` reports and no answer could reach it.
      let reader = try TextFileReader(path: nil)
      while console.outputFailure == nil, let line = try reader.nextLine() {
        try translate([line], input: "standard input")
      }
    }
    try output?.commit()
  }
}
