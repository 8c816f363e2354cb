import Config
import Data
import Foundation
import Metrics
import Support
import Training

/// `transformer-cli eval`: scores a file of translations against reference files with BLEU and
/// chrF, printing what sacreBLEU prints; or, without `--hypothesis`, translates a test set with
/// a checkpoint first (and can report the reference translations' loss and perplexity).
struct EvalCommand: Command {
  static var configuration: CommandConfiguration {
    CommandConfiguration(
      name: "eval",
      abstract: "Score translations (BLEU, chrF) or a model's loss.",
      discussion: """
        Two modes. With --hypothesis it scores a file of translations, one sentence a
        line, against one or more reference files (BLEU unless --chrf is given, as
        sacreBLEU does). Without it, a checkpoint translates a test set first and
        --bleu, --chrf or --loss says what to report.

        Each reference file has one line per hypothesis line; several references
        work as in sacreBLEU: each file is one reference stream, and line i of every
        file is a reference for hypothesis i. The metrics are the defaults of
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

        Without --hypothesis the hypotheses are made by a checkpoint (--checkpoint,
        default best/ of the latest run): it translates the test split its
        config.json names (data.test_source, data.test_target), or --source with
        --reference, by beam search (--beam, --alpha, --max-len). stderr names the
        checkpoint, the source file and the search unless --quiet; --output keeps
        the translations (written atomically; an existing file only with --force).
        --loss reports the per-token cross-entropy and perplexity of the references
        instead of or beside the metrics ({"loss","perplexity","tokens"} with
        --json).
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
        .option(
          "source", value: "file",
          help: "Translate this file with the checkpoint (default: its test split)."),
        .flag("loss", help: "Report the references' per-token cross-entropy and perplexity."),
        .option(
          "output", value: "file", help: "Write the checkpoint's translations to this file."),
        .flag("force", help: "Replace the --output file if it exists."),
      ] + TranslateOptions.options)
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
  /// The sentences to translate, nil for the checkpoint's test split.
  var sourcePath: String?
  /// Report the loss of the references.
  var loss = false
  /// `--output`: where the checkpoint's translations go.
  var outputPath: String?
  /// `--force`: replace an existing `--output`.
  var force = false
  /// Checkpoint and search options, for hypotheses made by a model.
  var search = TranslateOptions()
  /// The checkpoint and search options given (`--checkpoint`, `--beam`, …): refused with
  /// `--hypothesis`, which makes no translations for them to change.
  var givenSearchOptions: [String] = []

  mutating func parse(_ arguments: Arguments) throws {
    bleu = arguments.contains("bleu")
    chrf = arguments.contains("chrf")
    hypothesisPath = arguments.value(of: "hypothesis")
    referencePaths = arguments.values(of: "reference")
    json = arguments.contains("json")
    sourcePath = arguments.value(of: "source")
    loss = arguments.contains("loss")
    outputPath = arguments.value(of: "output")
    force = arguments.contains("force")
    search = try TranslateOptions(arguments)
    givenSearchOptions = ["checkpoint", "beam", "alpha", "max-len"].filter(arguments.contains)
  }

  /// Whether the hypotheses come from a checkpoint rather than a file.
  private var usesModel: Bool { hypothesisPath == nil }

  /// The usage error of an `eval` that says neither what to score nor with what.
  static let modesMessage =
    "say what to score: '--hypothesis <file> --reference <file>' scores a file of "
    + "translations (BLEU unless '--chrf'); '--bleu', '--chrf' or '--loss' translate the "
    + "test split of a checkpoint (or '--source <file> --reference <file>') and score that"

  func validate() throws {
    try OutputPolicy.checkOption(outputPath, force: force)
    if usesModel {
      guard bleu || chrf || loss else { throw UsageError(Self.modesMessage) }
      if !(bleu || chrf) {
        try search.refuseSearchOptions(
          because: "'--loss' alone scores the references and translates nothing (add '--bleu' "
            + "or '--chrf' to translate too)")
      }
      if sourcePath != nil && referencePaths.count != 1 {
        throw UsageError("'--source <file>' needs exactly one '--reference <file>'")
      }
      if outputPath != nil && !(bleu || chrf) {
        throw UsageError("'--output <file>' keeps the translations of '--bleu' or '--chrf'")
      }
      try commandLineInputs.check(outputPath)
      return
    }
    if referencePaths.isEmpty {
      throw UsageError("'--hypothesis <file>' needs at least one '--reference <file>'")
    }
    if sourcePath != nil || loss || outputPath != nil {
      throw UsageError(
        "'--source', '--loss' and '--output' need a checkpoint's translations, not "
          + "'--hypothesis'")
    }
    if let option = givenSearchOptions.first {
      throw UsageError(
        "'--\(option)' chooses how a checkpoint translates; with '--hypothesis' the "
          + "translations are the file's, so leave it out")
    }
  }

  mutating func run(_ console: inout Console) throws {
    // Scoring files without a metric named is BLEU, as with sacreBLEU.
    if !usesModel, !bleu, !chrf { bleu = true }
    if usesModel {
      try runWithModel(&console)
      return
    }
    let hypothesisPath = self.hypothesisPath ?? ""
    let hypotheses = try Self.lines(of: hypothesisPath)
    let references = try referencePaths.map { try Self.lines(of: $0) }
    guard !hypotheses.isEmpty else {
      throw RuntimeError(
        "'\(hypothesisPath)' is empty: there are no hypothesis lines to score")
    }
    for (path, stream) in zip(referencePaths, references) where stream.count != hypotheses.count {
      throw RuntimeError(
        "'\(hypothesisPath)' has \(counted(hypotheses.count, "line")) but '\(path)' has "
          + "\(stream.count); "
          + "each reference file needs one line per hypothesis line")
    }

    try score(hypotheses, references: references, to: &console)
  }

  /// Prints the chosen metrics of `hypotheses` against the reference streams.
  private func score(
    _ hypotheses: [String], references: [[String]], to console: inout Console
  ) throws {
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

  /// The lines of a metric input file, split as sacreBLEU splits them (``MetricLines``): at LF
  /// only, a CR or a byte-order mark kept in its line, a final LF starting no extra line.
  ///
  /// Throws ``TextFileError`` naming the file when it cannot be read, and the first line that is
  /// not UTF-8 (sacreBLEU itself stops with a `UnicodeDecodeError`) or is longer than
  /// ``TextFileReader/maximumLineLength`` bytes.
  static func lines(of path: String) throws(TextFileError) -> [String] {
    let reader = try TextFileReader(path: path)
    var lines: [String] = []
    while let bytes = try reader.nextLineBytes() {
      guard let line = String(validating: bytes, as: UTF8.self) else {
        throw .invalidUTF8(path: path, line: reader.lineNumber)
      }
      lines.append(line)
    }
    return lines
  }
}

extension EvalCommand {
  /// The files named on the command line that the command reads: `--source`, `--reference`.
  fileprivate var commandLineInputs: CommandInputs {
    var inputs = CommandInputs()
    inputs.add(sourcePath, as: "the --source file")
    for path in referencePaths { inputs.add(path, as: "a --reference file") }
    return inputs
  }

  /// Translates the test split (or `--source`) with the checkpoint, then scores it; with
  /// `--loss`, also the references' cross-entropy.
  fileprivate func runWithModel(_ console: inout Console) throws {
    var inputs = commandLineInputs
    if let outputPath {
      try inputs.addCheckpoint(of: search)
      try inputs.check(outputPath)
      try OutputPolicy.check(outputPath, force: force)
    }
    let translator = try search.translator { console.writeErrorLine($0) }
    let data = translator.config?.data ?? DataConfig()
    let sourcePath = self.sourcePath ?? data.testSource
    let referencePaths = self.sourcePath == nil ? [data.testTarget] : self.referencePaths
    guard !sourcePath.isEmpty, !referencePaths[0].isEmpty else {
      throw RuntimeError(
        "the checkpoint's config.json names no test split (data.test_source and "
          + "data.test_target are empty); pass '--source <file> --reference <file>'")
    }
    if self.sourcePath == nil {
      let config = "of the checkpoint's config.json"
      inputs.add(sourcePath, as: "the test source '\(sourcePath)' \(config)")
      inputs.add(referencePaths[0], as: "the test target '\(referencePaths[0])' \(config)")
      try inputs.check(outputPath)
    }
    if loss {
      var split = data
      split.validSource = sourcePath
      split.validTarget = referencePaths[0]
      if let model = translator.config?.model,
        let problem = StandardAttentionBudget.problem(
          model: model, longestRow: data.maxLength + 1, batchTokens: 4096, training: false)
      {
        throw RuntimeError("eval --loss: \(problem) in the checkpoint's config.json")
      }
      let pairs: ValidationSet
      do {
        pairs = try ValidationSet(
          data: split, vocabulary: translator.vocabulary, batchTokens: 4096)
      } catch {
        throw LossCoverage.loadError(error, sourcePath: sourcePath, targetPath: referencePaths[0])
      }
      if let warning = LossCoverage.warning(
        corpus: pairs.corpus, sourcePath: sourcePath, maxLength: data.maxLength)
      {
        console.writeErrorLine(warning)
      }
      let (value, perplexity) = pairs.loss(of: translator.model)
      let tokens = pairs.corpus.statistics.targetTokenCount + pairs.corpus.pairs.count
      if json {
        console.writeLine(
          "{\"loss\":\(String(format: "%.4f", value)),"
            + "\"perplexity\":\(String(format: "%.3f", perplexity)),\"tokens\":\(tokens)}")
      } else {
        console.writeLine(
          "loss = \(String(format: "%.4f", value)) per token, perplexity = "
            + "\(String(format: "%.3f", perplexity)) "
            + "(\(counted(pairs.corpus.pairs.count, "pair")) of '\(sourcePath)')")
      }
    }
    guard bleu || chrf else { return }
    let sources = try Self.lines(of: sourcePath)
    let references = try referencePaths.map { try Self.lines(of: $0) }
    for (path, stream) in zip(referencePaths, references) where stream.count != sources.count {
      throw RuntimeError(
        "'\(sourcePath)' has \(counted(sources.count, "line")) but '\(path)' has "
          + "\(stream.count); "
          + "each reference file needs one line per source line")
    }
    guard !sources.isEmpty else {
      throw RuntimeError("'\(sourcePath)' is empty: there are no sentences to translate")
    }
    if !search.quiet {
      console.writeErrorLine(
        "translating \(counted(sources.count, "line")) of "
          + "'\(sourcePath)' with beam \(search.beamSize), alpha \(search.alpha)"
          + (search.maxLength.map { ", at most \($0) pieces" } ?? ""))
    }
    for warning in try SourceLengthCheck.warnings(
      for: sources, input: "'\(sourcePath)'", translator: translator)
    {
      console.writeErrorLine(warning)
    }
    let output = try outputPath.map { path throws(RuntimeError) in try OutputFile(path: path) }
    let hypotheses = translator.translate(sources)
    if let output {
      for hypothesis in hypotheses { output.write(hypothesis + "\n") }
      try output.commit()
    }
    try score(hypotheses, references: references, to: &console)
  }
}
