import Foundation

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
        are answered one at a time, each as soon as it is read. --output writes the
        file atomically (aside, then renamed into place).

        Searches with beam search and the length penalty of Wu et al. 2016,
        lp = ((5 + |Y|)/6)^α, output at most source length + 50 pieces; --beam 1 is
        greedy search. With --nbest K each input line gives K lines
        "<line number>\\t<translation>\\t<score>", best first, the line numbers
        counting from 0.

        Without --checkpoint it uses best/ of the run that runs/.last-run names:
        the run that 'transformer-cli train' saved most recently.
        """,
      options: [
        .option("input", value: "file", help: "Translate this file, one sentence a line."),
        .option("output", value: "file", help: "Write the translations here (default: stdout)."),
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
  /// `--nbest`, nil for plain output.
  var nbest: Int?
  /// Checkpoint and search options.
  var search = TranslateOptions()

  mutating func parse(_ arguments: Arguments) throws {
    text = arguments.positionals.first
    inputPath = arguments.value(of: "input")
    outputPath = arguments.value(of: "output")
    nbest = try arguments.positiveInteger("nbest")
    search = try TranslateOptions(arguments)
  }

  func validate() throws {
    try search.validate()
    if text != nil, inputPath != nil {
      throw UsageError("give either <text> or '--input <file>', not both")
    }
    if let nbest, nbest > search.beamSize {
      throw UsageError(
        "'--nbest \(nbest)' exceeds the beam size \(search.beamSize); raise '--beam' to at "
          + "least \(nbest)")
    }
  }

  mutating func run(_ console: inout Console) throws {
    let translator = try search.translator(nbest: nbest ?? 1)
    let output = try outputPath.map { path throws(RuntimeError) in try OutputFile(path: path) }
    func emit(_ line: String) {
      if let output { output.write(line + "\n") } else { console.writeLine(line) }
    }
    var lineNumber = 0
    func translate(_ lines: [String]) {
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
      translate([text])
    } else if let inputPath {
      let reader = try LineReader(path: inputPath)
      var lines: [String] = []
      while let line = try reader.nextLine() { lines.append(line) }
      translate(lines)
    } else {
      // One line at a time, so that each answer appears as soon as its line is read.
      let reader = try LineReader(path: nil)
      while let line = try reader.nextLine() { translate([line]) }
    }
    try output?.commit()
  }
}
