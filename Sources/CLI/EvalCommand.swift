import Foundation
import Translation

/// `transformer-cli eval`: scores a file of translations against reference files with BLEU and
/// chrF, printing what sacreBLEU prints.
///
/// The inputs are options rather than positional arguments so that other ways to get the
/// hypotheses (translating a test set with a trained model) can join as further options later
/// without changing the meaning of any command line that works today.
struct EvalCommand: Command {
  static var configuration: CommandConfiguration {
    CommandConfiguration(
      name: "eval",
      abstract: "Score translations with sacreBLEU's BLEU and chrF.",
      discussion: """
        Scores a file of translations (--hypothesis), one sentence a line, against one
        or more reference files with one line per hypothesis line each. Several
        references work as in sacreBLEU: each file is one reference stream, and line i
        of every file is a reference for hypothesis i. The metrics are the defaults of
        sacreBLEU \(SacreBLEUSignature.version): BLEU with the 13a tokenizer, mixed case and exp smoothing;
        chrF2 on character 6-grams with beta 2.

        Each metric prints its score as sacreBLEU's Python API formats it (two
        decimals; the sacrebleu command shows one unless given --width 2), then its
        signature:
          BLEU = 59.99 89.7/70.1/57.6/48.8 (BP = 0.926 ratio = 0.928 hyp_len = …)
          signature: nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:\(SacreBLEUSignature.version)
          chrF2 = 75.91
          signature: nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:\(SacreBLEUSignature.version)

        With --json each metric is one JSON object on one line instead: "bleu",
        "precisions", "bp", "ratio", "hyp_len", "ref_len", "signature" for BLEU and
        "chrf", "name", "char_order", "word_order", "beta", "signature" for chrF.
        """,
      options: [
        .flag("bleu", help: "Compute corpus BLEU."),
        .flag("chrf", help: "Compute corpus chrF2."),
        .option(
          "hypothesis", value: "file", help: "The translations to score, one sentence a line."),
        .option(
          "reference", value: "file",
          help: "Reference translations, one line per hypothesis line; repeat for several "
            + "references.",
          repeatable: true),
        .flag("json", help: "Print one JSON object per metric, one a line."),
      ])
  }

  /// Compute BLEU.
  var bleu = false
  /// Compute chrF.
  var chrf = false
  /// The translations to score.
  var hypothesisPath: String?
  /// One file per reference stream.
  var referencePaths: [String] = []
  /// Print JSON lines instead of sacreBLEU's text.
  var json = false

  mutating func parse(_ arguments: Arguments) throws {
    bleu = arguments.contains("bleu")
    chrf = arguments.contains("chrf")
    hypothesisPath = arguments.value(of: "hypothesis")
    referencePaths = arguments.values(of: "reference")
    json = arguments.contains("json")
  }

  func validate() throws {
    if hypothesisPath == nil || referencePaths.isEmpty {
      throw UsageError("'--hypothesis <file>' and at least one '--reference <file>' are required")
    }
    if !bleu && !chrf {
      throw UsageError("choose a metric: '--bleu', '--chrf' or both")
    }
  }

  mutating func run(_ console: inout Console) throws {
    let hypothesisPath = self.hypothesisPath ?? ""
    let hypotheses = try Self.lines(of: hypothesisPath)
    let references = try referencePaths.map { try Self.lines(of: $0) }
    guard !hypotheses.isEmpty else {
      throw RuntimeError(
        "'\(hypothesisPath)' is empty: there are no hypothesis lines to score")
    }
    for (path, stream) in zip(referencePaths, references) where stream.count != hypotheses.count {
      throw RuntimeError(
        "'\(hypothesisPath)' has \(hypotheses.count) lines but '\(path)' has \(stream.count); "
          + "each reference file needs one line per hypothesis line")
    }

    if bleu {
      let score = try BLEU.corpusScore(hypotheses: hypotheses, references: references)
      write(score.description, signature: score.signature, json: score.jsonLine, to: &console)
    }
    if chrf {
      let score = try CHRF.corpusScore(hypotheses: hypotheses, references: references)
      write(score.description, signature: score.signature, json: score.jsonLine, to: &console)
    }
  }

  /// One metric's result: the score and signature lines, or the JSON line.
  private func write(
    _ scoreLine: String, signature: String, json jsonLine: String, to console: inout Console
  ) {
    if json {
      console.writeLine(jsonLine)
    } else {
      console.writeLine(scoreLine)
      console.writeLine("signature: \(signature)")
    }
  }

  /// The lines of a metric input file, split as sacreBLEU splits them (``MetricLines``).
  ///
  /// Throws ``CorpusError`` naming the file when it cannot be read, and the first line that is
  /// not UTF-8 (sacreBLEU itself stops with a `UnicodeDecodeError`).
  static func lines(of path: String) throws(CorpusError) -> [String] {
    let bytes = try InputFile.contents(of: path)
    guard let text = String(validating: bytes, as: UTF8.self) else {
      // Only the line number is missing; the corpus reader finds the same first bad line.
      _ = try CorpusTextFile.lines(of: Data(bytes), path: path)
      throw .invalidUTF8(path: path, line: 1)
    }
    return MetricLines.split(text)
  }
}
