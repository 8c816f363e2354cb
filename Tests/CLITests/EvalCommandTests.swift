import Foundation
import XCTest

@testable import CLI

/// `eval` on files: the sacreBLEU test vectors under `Tests/MetricsTests/Fixtures/bleu`
/// (made by `scripts/make-bleu-vectors.py` with sacreBLEU itself), the JSON lines, and the
/// one-line errors.
final class EvalCommandTests: XCTestCase {
  static let evalHelp = """
    OVERVIEW: Score translations (BLEU, chrF) or a model's loss.

    Two modes. With --hypothesis it scores a file of translations, one sentence a
    line, against one or more reference files (BLEU unless --chrf is given, as
    sacreBLEU does). Without it, a checkpoint translates a test set first and
    --bleu, --chrf or --loss says what to report.

    Each reference file has one line per hypothesis line; several references
    work as in sacreBLEU: each file is one reference stream, and line i of every
    file is a reference for hypothesis i. The metrics are the defaults of
    sacreBLEU 2.6.0: BLEU with the 13a tokenizer, mixed case and exp smoothing;
    chrF2 on character 6-grams with beta 2.

    Each metric prints its score as sacreBLEU's Python API formats it (two
    decimals; the sacrebleu command shows one unless given --width 2), then its
    signature:
      BLEU = 59.99 89.7/70.1/57.6/48.8 (BP = 0.926 ratio = 0.928 hyp_len = …)
      signature: nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0
      chrF2 = 75.91
      signature: nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0

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

    USAGE: transformer-cli eval [--bleu] [--chrf] [--hypothesis <file>]
      [--reference <file> ...] [--json] [--source <file>] [--loss] [--output <file>]
      [--force] [--checkpoint <dir>] [--beam <size>] [--alpha <a>]
      [--max-len <count>] [--quiet] [--threads <count>]

    OPTIONS:
      --bleu                  Compute corpus BLEU.
      --chrf                  Compute corpus chrF2.
      --hypothesis <file>     The translations to score, one sentence a line.
      --reference <file>      Reference translations, one line per hypothesis line;
                              repeat for several references.
      --json                  Print one JSON object per metric, one a line.
      --source <file>         Translate this file with the checkpoint (default: its
                              test split).
      --loss                  Report the references' per-token cross-entropy and
                              perplexity.
      --output <file>         Write the checkpoint's translations to this file.
      --force                 Replace the --output file if it exists.
      --checkpoint <dir>      The checkpoint directory, or a run directory for its
                              best/ (default: best/ of the run runs/.last-run
                              names).
      --beam <size>           Beam size ≤ 1000; 1 is greedy search (default: 4).
      --alpha <a>             Length penalty exponent α, 0 to 10 (default: 0.6).
      --max-len <count>       The most output pieces (default: source length + 50).
      --quiet                 Do not name the checkpoint loaded on stderr.
      --threads <count>       Threads the kernels use (default:
                              $TRANSFORMER_THREADS, else one per processor).
      -h, --help              Show help information.

    """

  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("MetricsTests/Fixtures/bleu")

  /// What sacreBLEU produced for one fixture case.
  private struct Expected: Decodable {
    struct Metric: Decodable {
      let description: String
      let signature: String
    }
    let references: [String]
    let bleu: Metric
    let chrf: Metric
  }

  private func expected(_ name: String) throws -> Expected {
    let url = Self.fixtures.appendingPathComponent(name).appendingPathComponent("expected.json")
    return try JSONDecoder().decode(Expected.self, from: Data(contentsOf: url))
  }

  /// `eval` on fixture case `name` with `options`, its hypotheses and all its references.
  private func evaluate(_ name: String, _ options: [String]) throws -> CLIRun {
    let directory = Self.fixtures.appendingPathComponent(name)
    var arguments = ["eval"] + options
    arguments += ["--hypothesis", directory.appendingPathComponent("hyp.txt").path]
    for reference in try expected(name).references {
      arguments += ["--reference", directory.appendingPathComponent(reference).path]
    }
    return CLIRun(arguments: arguments)
  }

  func testHelp() {
    XCTAssertEqual(CLIRun("eval", "--help").output, Self.evalHelp)
    XCTAssertEqual(CLIRun("help", "eval").output, Self.evalHelp)
    for line in Self.evalHelp.split(separator: "\n") {
      XCTAssertLessThanOrEqual(line.count, 80, "\(line)")
    }
  }

  func testBLEUWithThreeReferencesPrintsWhatSacreBLEUPrints() throws {
    let run = try evaluate("multiple-references", ["--bleu"])
    XCTAssertEqual(run.status, 0, run.errors)
    XCTAssertEqual(run.errors, "")
    XCTAssertEqual(
      run.output,
      "BLEU = 88.41 98.1/91.7/86.0/78.9 (BP = 1.000 ratio = 1.000 hyp_len = 53 ref_len = 53)\n"
        + "signature: nrefs:3|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0\n")
  }

  func testEveryFixtureCaseMatchesSacreBLEU() throws {
    let names = try FileManager.default.contentsOfDirectory(atPath: Self.fixtures.path).sorted()
    XCTAssertGreaterThan(names.count, 10)
    // Cases without `hyp.txt` test the tokenizer alone.
    for name in names
    where FileManager.default.fileExists(
      atPath: Self.fixtures.appendingPathComponent(name).appendingPathComponent("hyp.txt").path)
    {
      let expected = try expected(name)
      let run = try evaluate(name, ["--chrf", "--bleu"])
      XCTAssertEqual(run.status, 0, "\(name): \(run.errors)")
      XCTAssertEqual(
        run.output,
        [
          expected.bleu.description, "signature: " + expected.bleu.signature,
          expected.chrf.description, "signature: " + expected.chrf.signature,
        ].map { $0 + "\n" }.joined(),
        name)
    }
  }

  func testJSONLines() throws {
    let run = try evaluate("multiple-references", ["--bleu", "--chrf", "--json"])
    XCTAssertEqual(run.status, 0, run.errors)
    let lines = run.output.split(separator: "\n")
    XCTAssertEqual(lines.count, 2)
    let objects = try lines.map {
      try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
    XCTAssertEqual(
      Set(objects[0].keys),
      ["bleu", "precisions", "bp", "ratio", "hyp_len", "ref_len", "signature"])
    XCTAssertEqual(objects[0]["bleu"] as? Double, 88.41)
    XCTAssertEqual(objects[0]["precisions"] as? [Double], [98.1, 91.7, 86.0, 78.9])
    XCTAssertEqual(objects[0]["hyp_len"] as? Int, 53)
    XCTAssertEqual(objects[0]["ref_len"] as? Int, 53)
    XCTAssertEqual(
      objects[0]["signature"] as? String,
      "nrefs:3|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0")
    XCTAssertEqual(
      Set(objects[1].keys), ["chrf", "name", "char_order", "word_order", "beta", "signature"])
    XCTAssertEqual(objects[1]["chrf"] as? Double, 82.31)
  }

  func testLineCountMismatchNamesBothFilesAndCounts() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let hypotheses = try directory.write("hyp.txt", "a b c\nd e f\ng h i\n")
    let reference = try directory.write("ref.txt", "a b c\nd e f\ng h i\n")
    let short = try directory.write("short.txt", "a b c\nd e f\n")
    let run = CLIRun(
      "eval", "--bleu", "--hypothesis", hypotheses, "--reference", reference, "--reference",
      short)
    XCTAssertEqual(run.status, 1)
    XCTAssertEqual(run.output, "")
    XCTAssertEqual(
      run.errors,
      "Error: '\(hypotheses)' has 3 lines but '\(short)' has 2; each reference file needs one "
        + "line per hypothesis line\n")
  }

  /// A checkpoint or search option with '--hypothesis' would change nothing: refused, not
  /// silently ignored.
  func testSearchOptionsWithAHypothesisFileAreUsageErrors() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let hypotheses = try directory.write("hyp.txt", "a b c\n")
    for (option, value) in [
      ("--beam", "3"), ("--checkpoint", "runs/x"), ("--alpha", "1"), ("--max-len", "9"),
    ] {
      let run = CLIRun(
        "eval", "--bleu", "--hypothesis", hypotheses, "--reference", hypotheses, option, value)
      XCTAssertEqual(run.status, 64, option)
      XCTAssertTrue(
        run.errors.hasPrefix(
          "Error: '\(option)' chooses how a checkpoint translates; with "
            + "'--hypothesis' the translations are the file's, so leave it out"), run.errors)
    }
    let plain = CLIRun("eval", "--bleu", "--hypothesis", hypotheses, "--reference", hypotheses)
    XCTAssertEqual(plain.status, 0, plain.errors)
  }

  func testUnreadableFiles() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let hypotheses = try directory.write("hyp.txt", "a b c\n")
    let missing = directory.path("missing.txt")
    let run = CLIRun("eval", "--bleu", "--hypothesis", hypotheses, "--reference", missing)
    XCTAssertEqual(run.status, 1)
    XCTAssertEqual(run.errors, "Error: cannot read '\(missing)': no such file\n")

    let bad = try directory.write("bad.txt", bytes: Array("a b c\n".utf8) + [0xFF, 0x0A])
    let invalid = CLIRun("eval", "--chrf", "--hypothesis", bad, "--reference", bad)
    XCTAssertEqual(invalid.status, 1)
    XCTAssertEqual(
      invalid.errors,
      "Error: \(bad):2: not valid UTF-8; convert the file to UTF-8 (for example with iconv)\n")

    let empty = try directory.write("empty.txt", "")
    let nothing = CLIRun("eval", "--bleu", "--hypothesis", empty, "--reference", empty)
    XCTAssertEqual(nothing.status, 1)
    XCTAssertEqual(
      nothing.errors, "Error: '\(empty)' is empty: there are no hypothesis lines to score\n")
  }

  func testBareEvalNamesBothModesAndFilesDefaultToBLEU() throws {
    for run in [CLIRun("eval"), CLIRun("eval", "--reference", "r.txt")] {
      XCTAssertEqual(run.status, 64)
      XCTAssertEqual(
        run.errors,
        "Error: say what to score: '--hypothesis <file> --reference <file>' scores a file of "
          + "translations (BLEU unless '--chrf'); '--bleu', '--chrf' or '--loss' translate the "
          + "test split of a checkpoint (or '--source <file> --reference <file>') and score "
          + "that. (see 'transformer-cli eval --help')\n")
    }
    let noReference = CLIRun("eval", "--chrf", "--hypothesis", "h.txt")
    XCTAssertEqual(noReference.status, 64)
    XCTAssertEqual(
      noReference.errors,
      "Error: '--hypothesis <file>' needs at least one '--reference <file>'. "
        + "(see 'transformer-cli eval --help')\n")

    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let hypothesis = try directory.write("hyp.txt", "the cat sat on the mat\n")
    let reference = try directory.write("ref.txt", "the cat sat on a mat\n")
    let noMetric = CLIRun("eval", "--hypothesis", hypothesis, "--reference", reference)
    let bleu = CLIRun("eval", "--bleu", "--hypothesis", hypothesis, "--reference", reference)
    XCTAssertEqual(noMetric.status, 0, noMetric.errors)
    XCTAssertTrue(noMetric.output.hasPrefix("BLEU = "), noMetric.output)
    XCTAssertEqual(noMetric.output, bleu.output)
  }
}

extension CLIRun {
  /// Runs a command line built at run time.
  fileprivate init(arguments: [String]) {
    var output = ""
    var errors = ""
    status = TransformerCLI.run(arguments, output: &output, errors: &errors)
    self.output = output
    self.errors = errors
  }
}
