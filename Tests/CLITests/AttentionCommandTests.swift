import Checkpoints
import Config
import Drawing
import Foundation
import NN
import Tokenizer
import XCTest

@testable import CLI

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// A checkpoint of a tiny random model with two layers of two heads each.
struct InspectionFixture {
  let directory: TemporaryDirectory
  /// `checkpoint/`.
  let checkpoint: String

  init(
    layers: Int = 2, heads: Int = 2, width: Int = 16, window: Int? = nil,
    encoderWindow: Int? = nil, positions: TransformerHyperparameters.Positions = .sinusoidal,
    keyValueHeads: Int? = nil,
    architecture: TransformerHyperparameters.Architecture = .encoderDecoder,
    maxPositions: Int = 64
  ) throws {
    directory = try TemporaryDirectory()
    let text = ["the cat sat on the mat", "le chat", "a dog ran home", "un chien & <b>"]
    let bpe = try BPEModel.learn(lines: text, vocabularySize: 300, minimumPairCount: 1)
    var config = RunConfig()
    config.model.encoderLayerCount = layers
    config.model.decoderLayerCount = layers
    config.model.modelWidth = width
    config.model.headCount = heads
    config.model.feedForwardWidth = 2 * width
    config.model.maxPositions = maxPositions
    config.data.maxLength = architecture == .decoderOnly ? maxPositions / 2 - 1 : 60
    config.model.architecture = architecture
    config.model.attentionWindow = window
    config.model.encoderAttentionWindow = encoderWindow
    config.model.positions = positions
    config.model.keyValueHeads = keyValueHeads
    let model = Transformer(
      configuration: config.transformerConfiguration(vocabularySize: bpe.vocabulary.count),
      seed: 7)
    checkpoint = directory.path("checkpoint")
    try FileManager.default.createDirectory(atPath: checkpoint, withIntermediateDirectories: true)
    try Checkpoint.write(
      into: checkpoint, model: model, config: config,
      vocabulary: TrainingVocabulary(joint: bpe), trainer: nil)
  }

  /// The pass the commands make for `text`.
  func pass(_ text: String, reference: String? = nil, beam: Int = 4) throws -> TracedPass {
    var options = TranslateOptions()
    options.checkpoint = checkpoint
    options.beamSize = beam
    return try TracedPass(text: text, reference: reference, options: options)
  }
}

final class AttentionCommandTests: XCTestCase {
  var fixture: InspectionFixture!

  override func setUpWithError() throws { fixture = try InspectionFixture() }
  override func tearDownWithError() throws { fixture.directory.remove() }

  func testASCIIHeatmapHasARowPerOutputPieceAndAColumnPerSourcePiece() throws {
    let run = CLIRun("attention", "--checkpoint", fixture.checkpoint, "the cat sat")
    XCTAssertEqual(run.status, 0, run.errors)
    XCTAssertEqual(run.errors, "checkpoint: \(fixture.checkpoint)\n")
    XCTAssertFalse(run.output.contains("\u{1B}"), "no colour when stdout is not a terminal")
    let pass = try fixture.pass("the cat sat")
    let lines = run.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    XCTAssertEqual(lines[0], "the cat sat → \(pass.targetText)")
    XCTAssertEqual(lines[1], "encoder-decoder attention, layer 2 of 2, mean of 2 heads")
    let gridRows = lines.filter { $0.hasSuffix("|") && !$0.hasPrefix("scale") }
    XCTAssertEqual(gridRows.count, pass.targetOutputPieces.count)
    let columns = pass.sourcePieces.count
    for row in gridRows {
      let cells = row.split(separator: "|", omittingEmptySubsequences: false)
      XCTAssertEqual(cells[cells.count - 2].count, 3 * columns, row)
    }
    XCTAssertTrue(lines.contains { $0.hasPrefix("scale: 0 | .:-=+*#%@| 1") })
  }

  /// A windowed decoder self-attention keeps no weights: one line and exit 1, not a trap.
  func testWindowedSelfAttentionIsRefusedInOneLine() throws {
    let windowed = try InspectionFixture(window: 3)
    defer { windowed.directory.remove() }
    let result = TransformerCLI.runCapturing([
      "attention", "--checkpoint", windowed.checkpoint, "--kind", "self-decoder", "--quiet",
      "the cat",
    ])
    XCTAssertEqual(result.status, 1)
    XCTAssertEqual(
      result.errors,
      "Error: decoder layer 1 self-attention has no attention weights to show: it uses "
        + "model.attention_window, whose kernel does not store them\n")
  }

  func testWindowedEncoderSelfAttentionIsRefusedInOneLine() throws {
    let windowed = try InspectionFixture(encoderWindow: 2)
    defer { windowed.directory.remove() }
    let result = TransformerCLI.runCapturing([
      "attention", "--checkpoint", windowed.checkpoint, "--kind", "self-encoder", "--quiet",
      "the cat",
    ])
    XCTAssertEqual(result.status, 1)
    XCTAssertEqual(
      result.errors,
      "Error: encoder layer 1 self-attention has no attention weights to show: it uses "
        + "model.encoder_attention_window, whose kernel does not store them\n")
    // The decoder's maps are still there.
    let decoder = TransformerCLI.runCapturing([
      "attention", "--checkpoint", windowed.checkpoint, "--kind", "self-decoder", "--quiet",
      "the cat",
    ])
    XCTAssertEqual(decoder.status, 0, decoder.errors)
  }

  func testHeatmapStylesAndASCIIShades() {
    let heatmap = AttentionHeatmap(
      title: "t", rowLabels: ["철수", "b"], columnLabels: ["x", "y"],
      weights: [[1, 0], [0.55, 0.45]])
    XCTAssertEqual(
      heatmap.render(style: .ascii),
      "t\ncolumns: 1 x  2 y\n        1  2\n철수 |@@@   |\nb    |+++===|\n"
        + "scale: 0 | .:-=+*#%@| 1, each shade a tenth of the weight\n")
    XCTAssertTrue(heatmap.render(style: .xterm256).contains("\u{1B}[48;5;"))
    XCTAssertTrue(heatmap.render(style: .trueColor).contains("\u{1B}[48;2;253;231;37m   "))
  }

  func testSVGIsWellFormedWithACellPerLayerHeadRowAndColumn() throws {
    let path = fixture.directory.path("map.svg")
    let run = CLIRun(
      "attention", "--checkpoint", fixture.checkpoint, "--svg", path, "the cat & dog <sat>")
    XCTAssertEqual(run.status, 0, run.errors)
    let pass = try fixture.pass("the cat & dog <sat>")
    let counter = try Self.parse(path)
    XCTAssertEqual(
      counter.cells, 2 * 2 * pass.targetOutputPieces.count * pass.sourcePieces.count)
    XCTAssertEqual(counter.titles.filter { $0.hasPrefix("layer ") }.count, 4)
    XCTAssertTrue(counter.titles.contains("layer 2, head 1"))
    XCTAssertEqual(counter.scales, 1)
    XCTAssertTrue(
      counter.titles.contains { $0.hasPrefix("encoder-decoder attention: the cat & dog <sat> → ") },
      "the heading, escaped in the file, parses back: \(counter.titles.prefix(2))")
    XCTAssertEqual(try fixture.directory.contents().filter { $0.contains(".tmp") }, [])
  }

  func testSVGLimitedToOneLayerAndHead() throws {
    let path = fixture.directory.path("one.svg")
    let run = CLIRun(
      "attention", "--checkpoint", fixture.checkpoint, "--kind", "self-encoder", "--layer", "1",
      "--head", "2", "--svg", path, "a dog")
    XCTAssertEqual(run.status, 0, run.errors)
    let pieces = try fixture.pass("a dog").sourcePieces.count
    let counter = try Self.parse(path)
    XCTAssertEqual(counter.cells, pieces * pieces)
    XCTAssertTrue(counter.titles.contains("layer 1, head 2"))

    let again = CLIRun("attention", "--checkpoint", fixture.checkpoint, "--svg", path, "a dog")
    XCTAssertEqual(again.status, 1)
    XCTAssertEqual(
      again.errors, "Error: '\(path)' exists; pass --force to replace it, or choose another --svg\n"
    )
    let forced = CLIRun(
      "attention", "--checkpoint", fixture.checkpoint, "--svg", path, "--force", "a dog")
    XCTAssertEqual(forced.status, 0, forced.errors)
  }

  /// The sentence is echoed on stdout, and written into the SVG, without its control
  /// characters (U+FFFD in their place), as translations are.
  func testUserTextIsEchoedWithoutControlCharacters() throws {
    let text = "a\u{1B}[31mRED\u{07}"
    let run = CLIRun("attention", "--checkpoint", fixture.checkpoint, "--quiet", text)
    XCTAssertEqual(run.status, 0, run.errors)
    XCTAssertTrue(run.output.hasPrefix("a\u{FFFD}[31mRED\u{FFFD} → "), run.output)
    XCTAssertFalse(run.output.contains("\u{1B}") || run.output.contains("\u{07}"), run.output)
    let path = fixture.directory.path("escape.svg")
    let svg = CLIRun("attention", "--checkpoint", fixture.checkpoint, "--svg", path, text)
    XCTAssertEqual(svg.status, 0, svg.errors)
    let file = try fixture.directory.read("escape.svg")
    XCTAssertFalse(file.contains("\u{1B}") || file.contains("\u{07}"))
    XCTAssertTrue(
      try Self.parse(path).titles.contains { $0.contains("a\u{FFFD}[31mRED\u{FFFD} → ") })
  }

  /// An --svg path that cannot be replaced is refused before the model runs: no map on stdout.
  func testAnSVGPathThatIsADirectoryIsRefusedFirst() throws {
    let path = fixture.directory.path("maps")
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    let run = CLIRun(
      "attention", "--checkpoint", fixture.checkpoint, "--svg", path, "--force", "a dog")
    XCTAssertEqual(run.status, 1)
    XCTAssertEqual(run.output, "")
    XCTAssertEqual(run.errors, "Error: cannot write '\(path)': it is a directory, not a file\n")
  }

  func testSelfDecoderMapIsCausal() throws {
    let pass = try fixture.pass("the cat sat on the mat")
    let map = try AttentionMap(pass: pass, kind: .selfDecoder)
    for layer in 0..<map.layerCount {
      for head in 0..<map.headCount {
        for (row, weights) in map.matrix(layer: layer, head: head).enumerated() {
          XCTAssertEqual(weights.reduce(0, +), 1, accuracy: 1e-5)
          XCTAssertTrue(weights[(row + 1)...].allSatisfy { $0 == 0 })
        }
      }
    }
  }

  func testBadInputsAreOneLineErrors() {
    let checkpoint = fixture.checkpoint
    let cases: [([String], Int32, String)] = [
      (["--layer", "3", "x"], 64, "the model has 2 decoder layers; give 1…2"),
      (["--kind", "self-encoder", "--layer", "5", "x"], 64, "2 encoder layers"),
      (["--head", "9", "x"], 64, "the model has 2 heads; give 1…2"),
      (["--head", "0", "x"], 64, "--head"),
      (["--kind", "crosss", "x"], 64, "Did you mean 'cross'?"),
      (["--kind", "self", "x"], 64, "expected one of self-encoder, self-decoder, cross"),
      (["   "], 64, "give a sentence"),
    ]
    for (arguments, status, message) in cases {
      let run = TransformerCLI.runCapturing(
        ["attention", "--checkpoint", checkpoint, "--quiet"] + arguments)
      XCTAssertEqual(run.status, status, "\(arguments): \(run.errors)")
      XCTAssertTrue(run.errors.contains(message), "\(arguments): \(run.errors)")
      XCTAssertEqual(run.errors.filter { $0 == "\n" }.count, 1, run.errors)
    }
    let missing = CLIRun("attention", "--checkpoint", fixture.directory.path("none"), "x")
    XCTAssertEqual(missing.status, 1)
    XCTAssertEqual(missing.errors.filter { $0 == "\n" }.count, 1, missing.errors)
    let unwritable = CLIRun(
      "attention", "--checkpoint", checkpoint, "--svg", fixture.directory.path("no/dir/a.svg"),
      "x")
    XCTAssertEqual(unwritable.status, 1, unwritable.errors)
  }

  func testHelp() {
    let run = CLIRun("attention", "--help")
    XCTAssertEqual(run.status, 0)
    XCTAssertEqual(run.output, Self.help)
  }

  /// Counts of what an SVG document holds, by Foundation's XML parser.
  private final class SVGCounter: NSObject, XMLParserDelegate {
    var cells = 0
    var scales = 0
    var titles: [String] = []
    private var text: String?

    func parser(
      _ parser: XMLParser, didStartElement element: String, namespaceURI: String?,
      qualifiedName: String?, attributes: [String: String] = [:]
    ) {
      if element == "rect", attributes["class"] == "cell" { cells += 1 }
      if element == "rect", attributes["class"] == "scale" { scales += 1 }
      if element == "text" { text = "" }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text? += string }

    func parser(
      _ parser: XMLParser, didEndElement element: String, namespaceURI: String?,
      qualifiedName: String?
    ) {
      if element == "text", let text { titles.append(text) }
      text = nil
    }
  }

  private static func parse(_ path: String) throws -> SVGCounter {
    let parser = try XCTUnwrap(XMLParser(contentsOf: URL(fileURLWithPath: path)))
    let counter = SVGCounter()
    parser.delegate = counter
    XCTAssertTrue(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
    return counter
  }

  static let help = """
    OVERVIEW: Show a model's attention weights as heatmaps.

    Translates <text> as 'translate' does, then runs the model once more,
    teacher-forced on the source and its own translation, and reads the
    attention probabilities softmax(Q·Kᵀ/√K) (§3.2.1) that each layer computes:
    the same weights the search used. The map has a row per query and a column
    per key:
      cross         output pieces × source pieces (the default; §3.2.3)
      self-encoder  source pieces × source pieces
      self-decoder  output pieces × decoder input pieces (<s> first); future
                    positions are masked, so the upper right is 0
    A decoder-only model has only self-decoder (its default): its one stack's
    self-attention, the sequence source </s> <s> target on both axes.
    Each output row shows the attention while that piece was predicted. Every
    row sums to 1; the source ends in </s>, the output in </s>.

    On a terminal the map is drawn in 256 colours (24-bit with
    COLORTERM=truecolor), viridis from dark (0) to yellow (1); otherwise, with
    NO_COLOR set, or with --no-color, in the ASCII shades " .:-=+*#%@". It shows
    the last layer, averaged over the heads, unless --layer or --head choose
    (both count from 1).

    --svg writes one SVG file (atomically; an existing file only with --force)
    instead: a panel per layer and head, titled "layer i, head j", with the
    pieces on both axes and a colour scale; --layer and --head limit it to one
    layer or one head. On a terminal the heatmap's cells narrow to fit its
    width.

    USAGE: transformer-cli attention [--kind <kind>] [--layer <n>] [--head <n>]
      [--svg <file>] [--force] [--no-color] [--checkpoint <dir>] [--beam <size>]
      [--alpha <a>] [--max-len <count>] [--quiet] [--threads <count>] <text>

    ARGUMENTS:
      <text>                  The sentence to translate.

    OPTIONS:
      --kind <kind>           Which attention: cross, self-encoder or self-decoder
                              (default: cross).
      --layer <n>             The layer, from 1 (default: the last).
      --head <n>              The head, from 1 (default: the mean of all heads).
      --svg <file>            Write every layer and head as an SVG grid here.
      --force                 Replace the --svg file if it exists.
      --no-color              Draw the terminal map in ASCII shades, without colour.
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
}

extension TransformerCLI {
  /// Runs `arguments` in process, capturing both streams.
  static func runCapturing(_ arguments: [String]) -> (status: Int32, output: String, errors: String)
  {
    var output = ""
    var errors = ""
    let status = run(arguments, output: &output, errors: &errors)
    return (status, output, errors)
  }
}
