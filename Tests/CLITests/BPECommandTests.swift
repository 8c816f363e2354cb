import Foundation
import XCTest

@testable import CLI

/// `bpe learn`, `bpe encode` and `bpe decode` through the command line: help, a round trip in
/// several scripts, byte fallback, and the one-line errors for bad files and models.
final class BPECommandTests: XCTestCase {
  static let bpeHelp = """
    OVERVIEW: Learn a byte-pair-encoding subword model and apply it to text.

    USAGE: transformer-cli bpe <subcommand>

    OPTIONS:
      -h, --help              Show help information.

    SUBCOMMANDS:
      learn                   Learn a BPE model from text files.
      encode                  Split text into BPE pieces, one sentence a line.
      decode                  Join BPE pieces back into text, one sentence a line.

      See 'transformer-cli help bpe <subcommand>' for detailed help.

    """

  static let bpeLearnHelp = """
    OVERVIEW: Learn a BPE model from text files.

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

    USAGE: transformer-cli bpe learn --vocab-size <count> --input <file> ...
      --output <file> [--threads <count>]

    OPTIONS:
      --vocab-size <count>    Pieces in the model, the 261 reserved ones (special
                              tokens, bytes, '▁') included; at least 262.
      --input <file>          A training file, one sentence a line; repeat to learn
                              from several.
      --output <file>         Where to write the model; an existing file is
                              replaced.
      --threads <count>       Threads the kernels use (default:
                              $TRANSFORMER_THREADS, else one per processor).
      -h, --help              Show help information.

    """

  static let bpeEncodeHelp = """
    OVERVIEW: Split text into BPE pieces, one sentence a line.

    Reads sentences from stdin (or --input), one a line, and writes each as its
    pieces separated by single spaces, a line as soon as it is done, so that it
    works in a pipe:
      echo 'Ich gehe zur Schule.' | transformer-cli bpe encode --model bpe.model
    writes a line such as '▁Ich ▁gehe ▁zur ▁Schule .'. White space between words
    counts as one space, so 'bpe decode' gives the text back with single spaces.

    USAGE: transformer-cli bpe encode --model <file> [--input <file>]
      [--output <file>] [--threads <count>]

    OPTIONS:
      --model <file>          The BPE model written by 'bpe learn'.
      --input <file>          Read lines from this file instead of stdin.
      --output <file>         Write lines to this file instead of stdout; it is
                              replaced only when every line is done.
      --threads <count>       Threads the kernels use (default:
                              $TRANSFORMER_THREADS, else one per processor).
      -h, --help              Show help information.

    """

  static let bpeDecodeHelp = """
    OVERVIEW: Join BPE pieces back into text, one sentence a line.

    Reads lines of pieces separated by spaces, as 'bpe encode' writes them, from
    stdin (or --input) and writes each as text, a line as soon as it is done. '▁'
    becomes a space, byte pieces (<0xE2>) become bytes again, <s>, </s> and <pad>
    vanish and <unk> shows as ⁇.

    USAGE: transformer-cli bpe decode --model <file> [--input <file>]
      [--output <file>] [--threads <count>]

    OPTIONS:
      --model <file>          The BPE model written by 'bpe learn'.
      --input <file>          Read lines from this file instead of stdin.
      --output <file>         Write lines to this file instead of stdout; it is
                              replaced only when every line is done.
      --threads <count>       Threads the kernels use (default:
                              $TRANSFORMER_THREADS, else one per processor).
      -h, --help              Show help information.

    """

  /// Korean, German with umlauts and ß, emoji, and white space that encoding folds.
  static let trainingText = """
    나는 학교에 간다. 나는 집에 간다.
    우리는 학교에서 한국어를 배운다. 학교는 집에서 멀다.
    Die Bäume blühen früh im Frühling, und die Vögel singen über den Häusern.
    Über den Bäumen fliegen Vögel. Schöne Grüße aus München!
    Größere Städte haben größere Probleme, kleinere Städte kleinere.
    I love pizza 🍕 and sushi 🍣 with my friends 😀, and my friends love pizza 🍕.
      Grüße   aus\tMünchen und   Köln 😀\t

    """

  private var directory: TemporaryDirectory!

  override func setUpWithError() throws {
    directory = try TemporaryDirectory()
  }

  override func tearDown() {
    directory.remove()
  }

  /// Learns a model from `trainingText` and returns its path.
  @discardableResult
  private func learnModel(vocabularySize: Int = 400) throws -> String {
    let input = try directory.write("train.txt", Self.trainingText)
    let model = directory.path("model.bpe")
    let run = CLIRun(
      "bpe", "learn", "--vocab-size", "\(vocabularySize)", "--input", input, "--output", model)
    XCTAssertEqual(run.status, 0, run.errors)
    return model
  }

  func testHelp() {
    XCTAssertEqual(CLIRun("bpe").output, Self.bpeHelp)
    XCTAssertEqual(CLIRun("help", "bpe").output, Self.bpeHelp)
    XCTAssertEqual(CLIRun("bpe", "learn", "--help").output, Self.bpeLearnHelp)
    XCTAssertEqual(CLIRun("bpe", "encode", "--help").output, Self.bpeEncodeHelp)
    XCTAssertEqual(CLIRun("help", "bpe", "decode").output, Self.bpeDecodeHelp)
    for text in [Self.bpeHelp, Self.bpeLearnHelp, Self.bpeEncodeHelp, Self.bpeDecodeHelp] {
      for line in text.split(separator: "\n") {
        XCTAssertLessThanOrEqual(line.count, 80, "\(line)")
      }
    }
  }

  func testLearnWritesTheModelAndOneSummaryLine() throws {
    let input = try directory.write("train.txt", Self.trainingText)
    let model = directory.path("model.bpe")
    let run = CLIRun(
      "bpe", "learn", "--vocab-size", "330", "--input", input, "--input", input,
      "--output", model)
    XCTAssertEqual(run.status, 0)
    XCTAssertEqual(run.output, "")
    let summary = run.errors
    XCTAssertTrue(summary.hasPrefix("learned 330 pieces with "), summary)
    XCTAssertTrue(summary.contains(" merges from 2 files in "), summary)
    XCTAssertTrue(summary.hasSuffix(" s; wrote '\(model)'\n"), summary)
    XCTAssertEqual(summary.filter { $0 == "\n" }.count, 1)
    // Written through a temporary file that is gone afterwards.
    XCTAssertEqual(try directory.contents(), ["model.bpe", "train.txt"])
    XCTAssertTrue(try directory.read("model.bpe").hasPrefix("transformer-cli-bpe 1\n"))
  }

  func testLearnSaysWhenTheTextRunsOutOfPairs() throws {
    let input = try directory.write("train.txt", "ab ab ab\n")
    let run = CLIRun(
      "bpe", "learn", "--vocab-size", "1000", "--input", input, "--output",
      directory.path("model.bpe"))
    XCTAssertEqual(run.status, 0)
    XCTAssertTrue(
      run.errors.hasPrefix(
        "learned 265 pieces with 2 merges from 1 file in "), run.errors)
    XCTAssertTrue(
      run.errors.contains("(fewer than the 1000 asked for: no other pair occurs twice)"),
      run.errors)
  }

  func testEncodeDecodeRoundTripInSeveralScripts() throws {
    let model = try learnModel()
    let input = directory.path("train.txt")
    let encoded = CLIRun("bpe", "encode", "--model", model, "--input", input)
    XCTAssertEqual(encoded.status, 0, encoded.errors)
    XCTAssertEqual(encoded.errors, "")
    let pieceLines = encoded.output.split(separator: "\n", omittingEmptySubsequences: false)
    let textLines = Self.trainingText.split(separator: "\n", omittingEmptySubsequences: false)
    XCTAssertEqual(pieceLines.count, textLines.count)
    for line in pieceLines where !line.isEmpty {
      XCTAssertFalse(line.contains("  "), "\(line)")
      XCTAssertTrue(line.hasPrefix("▁"), "\(line)")
    }
    // Merges were learned: a frequent word is one piece.
    XCTAssertTrue(pieceLines[0].contains("▁학교"), "\(pieceLines[0])")

    let piecesFile = try directory.write("pieces.txt", encoded.output)
    let decoded = CLIRun("bpe", "decode", "--model", model, "--input", piecesFile)
    XCTAssertEqual(decoded.status, 0, decoded.errors)
    let expected = textLines.dropLast().map { folded($0) + "\n" }.joined()
    XCTAssertEqual(decoded.output, expected)
    XCTAssertTrue(decoded.output.contains("Grüße aus München und Köln 😀\n"))
  }

  func testUnseenCharactersFallBackToBytes() throws {
    let model = try learnModel()
    let input = try directory.write("new.txt", "Pfeil → 🦀\n")
    let encoded = CLIRun("bpe", "encode", "--model", model, "--input", input)
    XCTAssertEqual(encoded.status, 0, encoded.errors)
    XCTAssertTrue(
      encoded.output.hasSuffix(
        " ▁ <0xE2> <0x86> <0x92> ▁ <0xF0> <0x9F> <0xA6> <0x80>\n"), encoded.output)
    let pieces = try directory.write("pieces.txt", encoded.output)
    let decoded = CLIRun("bpe", "decode", "--model", model, "--input", pieces)
    XCTAssertEqual(decoded.output, "Pfeil → 🦀\n")
  }

  func testDecodeDropsControlPiecesAndShowsUnknown() throws {
    let model = try learnModel()
    let pieces = try directory.write(
      "pieces.txt", "<s> ▁Über  ▁ <0xE2> <0x86> <0x92> <unk> </s>\n\n")
    let decoded = CLIRun("bpe", "decode", "--model", model, "--input", pieces)
    XCTAssertEqual(decoded.status, 0, decoded.errors)
    XCTAssertEqual(decoded.output, "Über →⁇\n\n")
  }

  /// A byte piece for a line break, a tab or a NUL must not split or pollute the output line.
  func testDecodeWritesOneLinePerInputLine() throws {
    let model = try learnModel()
    let pieces = try directory.write(
      "pieces.txt", "<0x0A>\n▁a <0x0D> <0x0A> ▁b <0x09> ▁c\n▁d <0x00> <0x1B> <0xE2> <0x80> <0xA8>\n"
    )
    let decoded = CLIRun("bpe", "decode", "--model", model, "--input", pieces)
    XCTAssertEqual(decoded.status, 0, decoded.errors)
    XCTAssertEqual(decoded.output, "\na b c\nd\u{FFFD}\u{FFFD}\n")
    let output = directory.path("out.txt")
    let written = CLIRun("bpe", "decode", "--model", model, "--input", pieces, "--output", output)
    XCTAssertEqual(written.status, 0, written.errors)
    XCTAssertEqual(try directory.read("out.txt"), decoded.output)
  }

  func testOutputFileIsWrittenWholeOrNotAtAll() throws {
    let model = try learnModel()
    let input = directory.path("train.txt")
    let toStdout = CLIRun("bpe", "encode", "--model", model, "--input", input)
    let output = directory.path("train.pieces")
    let toFile = CLIRun("bpe", "encode", "--model", model, "--input", input, "--output", output)
    XCTAssertEqual(toFile.status, 0, toFile.errors)
    XCTAssertEqual(toFile.output, "")
    XCTAssertEqual(try directory.read("train.pieces"), toStdout.output)

    let bad = try directory.write("bad.txt", bytes: Array("gut\n".utf8) + [0xC3, 0x28, 0x0A])
    let failed = CLIRun(
      "bpe", "encode", "--model", model, "--input", bad, "--output", directory.path("bad.pieces"))
    XCTAssertEqual(failed.status, 1)
    XCTAssertEqual(
      failed.errors,
      "Error: \(bad):2: not valid UTF-8; convert the file to UTF-8 (for example with iconv)\n")
    XCTAssertEqual(
      try directory.contents(), ["bad.txt", "model.bpe", "train.pieces", "train.txt"])
  }

  func testInvalidUTF8NamesTheFileAndLine() throws {
    let model = try learnModel()
    let bad = try directory.write("bad.txt", bytes: Array("gut\n".utf8) + [0xFF, 0x0A])
    let encoded = CLIRun("bpe", "encode", "--model", model, "--input", bad)
    XCTAssertEqual(encoded.status, 1)
    // Lines before the bad one were already written, as a filter does.
    XCTAssertEqual(encoded.output.filter { $0 == "\n" }.count, 1)
    XCTAssertEqual(
      encoded.errors,
      "Error: \(bad):2: not valid UTF-8; convert the file to UTF-8 (for example with iconv)\n")

    let learned = CLIRun(
      "bpe", "learn", "--vocab-size", "300", "--input", bad, "--output", directory.path("x.bpe"))
    XCTAssertEqual(learned.status, 1)
    XCTAssertEqual(
      learned.errors,
      "Error: \(bad):2: not valid UTF-8; convert the file to UTF-8 (for example with iconv)\n")
  }

  func testCorruptModelNamesTheFileAndLine() throws {
    try learnModel()
    var lines = try directory.read("model.bpe").split(separator: "\n").map(String.init)
    lines[4] = "garbage line"
    let corrupt = try directory.write("corrupt.bpe", lines.joined(separator: "\n") + "\n")
    let input = directory.path("train.txt")
    for command in ["encode", "decode"] {
      let run = CLIRun("bpe", command, "--model", corrupt, "--input", input)
      XCTAssertEqual(run.status, 1)
      XCTAssertEqual(run.output, "")
      XCTAssertEqual(
        run.errors,
        "Error: \(corrupt):5: not a valid BPE model: piece 0 must be '<pad>', found "
          + "'garbage line'; learn it again with 'transformer-cli bpe learn'\n")
    }
  }

  func testMissingFiles() throws {
    let missing = directory.path("missing.txt")
    let learned = CLIRun(
      "bpe", "learn", "--vocab-size", "300", "--input", missing, "--output",
      directory.path("model.bpe"))
    XCTAssertEqual(learned.status, 1)
    XCTAssertEqual(learned.errors, "Error: cannot read '\(missing)': no such file\n")

    let model = try learnModel()
    let encoded = CLIRun("bpe", "encode", "--model", model, "--input", missing)
    XCTAssertEqual(encoded.status, 1)
    XCTAssertEqual(encoded.errors, "Error: cannot read '\(missing)': no such file\n")

    let noModel = CLIRun("bpe", "decode", "--model", missing, "--input", model)
    XCTAssertEqual(noModel.status, 1)
    XCTAssertEqual(noModel.errors, "Error: cannot read BPE model '\(missing)': no such file\n")
    // A relative path is named as typed, not made absolute.
    let relative = CLIRun("bpe", "decode", "--model", "no-such-dir/model.bpe", "--input", model)
    XCTAssertEqual(
      relative.errors, "Error: cannot read BPE model 'no-such-dir/model.bpe': no such file\n")

    let nowhere = directory.path("no/such/dir/model.bpe")
    let unwritable = CLIRun(
      "bpe", "learn", "--vocab-size", "300", "--input", directory.path("train.txt"),
      "--output", nowhere)
    XCTAssertEqual(unwritable.status, 1)
    XCTAssertEqual(
      unwritable.errors,
      "Error: cannot write BPE model '\(nowhere)': the directory "
        + "'\(directory.path("no/such/dir"))' does not exist\n")
  }

  func testBadOptionsAreUsageErrors() {
    let cases: [(CLIRun, String)] = [
      (
        CLIRun("bpe", "learn", "--input", "a.txt", "--output", "m.bpe"),
        "missing '--vocab-size <count>': say how many pieces the model should have."
      ),
      (
        CLIRun("bpe", "learn", "--vocab-size", "100", "--input", "a.txt", "--output", "m.bpe"),
        "vocabulary size 100 is too small: the special tokens, the 256 byte pieces and the "
          + "word-boundary piece alone need 261; ask for at least 262."
      ),
      (
        CLIRun("bpe", "learn", "--vocab-size", "8k", "--input", "a.txt", "--output", "m.bpe"),
        "invalid value '8k' for '--vocab-size': expected a positive integer."
      ),
      (
        CLIRun("bpe", "learn", "--vocab-size", "300", "--output", "m.bpe"),
        "missing '--input <file>': give at least one training file."
      ),
      (
        CLIRun("bpe", "learn", "--vocab-size", "300", "--input", "a.txt"),
        "missing '--output <file>': say where to write the model."
      ),
    ]
    for (run, message) in cases {
      XCTAssertEqual(run.status, 64)
      XCTAssertEqual(
        run.errors, "Error: \(message) (see 'transformer-cli bpe learn --help')\n")
    }
    let noModel = CLIRun("bpe", "encode", "--input", "a.txt")
    XCTAssertEqual(noModel.status, 64)
    XCTAssertEqual(
      noModel.errors,
      "Error: missing '--model <file>': give the model written by 'bpe learn'. "
        + "(see 'transformer-cli bpe encode --help')\n")
  }

  /// The built executable as a filter in a pipe: each line must come out before the next goes
  /// in, which fails if output were buffered until the end of the input.
  func testEncodeAnswersEachLineInAPipe() throws {
    let model = try learnModel()
    guard let executable = Self.builtExecutable() else {
      throw XCTSkip("the transformer-cli executable is not built beside the tests")
    }
    let process = Process()
    process.executableURL = executable
    process.arguments = ["bpe", "encode", "--model", model]
    let input = Pipe()
    let output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try process.run()
    defer { if process.isRunning { process.terminate() } }

    // A filter that buffered its output would block the read below until the watchdog ends it.
    let watchdog = DispatchWorkItem { process.terminate() }
    DispatchQueue.global().asyncAfter(deadline: .now() + 60, execute: watchdog)
    defer { watchdog.cancel() }
    var pending = Data()
    for text in ["나는 학교에 간다.", "Über 🦀"] {
      input.fileHandleForWriting.write(Data((text + "\n").utf8))
      let line = readLine(from: output.fileHandleForReading, pending: &pending)
      XCTAssertNotNil(line, "no line for '\(text)' before the input ended")
      XCTAssertTrue(line?.hasPrefix("▁") ?? false, line ?? "")
    }
    try input.fileHandleForWriting.close()
    process.waitUntilExit()
    XCTAssertEqual(process.terminationStatus, 0)
  }

  /// `transformer-cli` in the directory of the test bundle, where SwiftPM builds both.
  static func builtExecutable() -> URL? {
    let candidates = [
      Bundle.main.bundleURL,
      URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
    ]
    for directory in candidates {
      for base in [directory, directory.deletingLastPathComponent()] {
        let url = base.appendingPathComponent("transformer-cli")
        if FileManager.default.isExecutableFile(atPath: url.path) { return url }
      }
    }
    return nil
  }
}

/// `BPEModel.normalize` for the test text: runs of white space become one space, ends trimmed.
private func folded<Text: StringProtocol>(_ text: Text) -> String {
  text.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
}

/// The next line from a pipe without its LF, or nil when the pipe closes first.
private func readLine(from handle: FileHandle, pending: inout Data) -> String? {
  while true {
    if let newline = pending.firstIndex(of: 0x0A) {
      let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
      pending = Data(pending[(newline + 1)...])
      return line
    }
    let chunk = handle.availableData
    if chunk.isEmpty { return nil }
    pending.append(chunk)
  }
}
