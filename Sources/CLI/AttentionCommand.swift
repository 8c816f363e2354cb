import Drawing
import Foundation
import NN
import Support

/// `transformer-cli attention`: translates a sentence and shows the model's attention weights
/// as a heatmap on the terminal, or as a grid of heatmaps (layers × heads) in an SVG file.
struct AttentionCommand: Command {
  static var configuration: CommandConfiguration {
    CommandConfiguration(
      name: "attention",
      abstract: "Show a model's attention weights as heatmaps.",
      discussion: """
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
        """,
      options: [
        .option(
          "kind", value: "kind",
          help: "Which attention: cross, self-encoder or self-decoder (default: cross)."),
        .option("layer", value: "n", help: "The layer, from 1 (default: the last)."),
        .option("head", value: "n", help: "The head, from 1 (default: the mean of all heads)."),
        .option("svg", value: "file", help: "Write every layer and head as an SVG grid here."),
        .flag("force", help: "Replace the --svg file if it exists."),
        .flag("no-color", help: "Draw the terminal map in ASCII shades, without colour."),
      ] + TranslateOptions.options,
      arguments: [ArgumentDescription("text", help: "The sentence to translate.")])
  }

  /// The sentence.
  var text = ""
  /// `--kind`; nil when not given (cross, or self-decoder for a decoder-only model).
  var chosenKind: AttentionKind?
  /// `--layer`, from 1.
  var layer: Int?
  /// `--head`, from 1.
  var head: Int?
  /// `--svg`.
  var svgPath: String?
  /// `--no-color`.
  var noColor = false
  /// `--force`: replace an existing `--svg` file.
  var force = false
  /// Checkpoint and search options.
  var search = TranslateOptions()

  mutating func parse(_ arguments: Arguments) throws {
    text = arguments.positionals.first ?? ""
    chosenKind = try arguments.value(of: "kind").map { name throws(UsageError) in
      try AttentionKind(parsing: name)
    }
    layer = try arguments.positiveInteger("layer")
    head = try arguments.positiveInteger("head")
    svgPath = arguments.value(of: "svg")
    noColor = arguments.contains("no-color")
    force = arguments.contains("force")
    search = try TranslateOptions(arguments)
  }

  func validate() throws {
    try OutputPolicy.checkOption(svgPath, option: "--svg", force: force)
    if text.allSatisfy(\.isWhitespace) {
      throw UsageError("give a sentence to translate: transformer-cli attention \"<text>\"")
    }
  }

  mutating func run(_ console: inout Console) throws {
    if let svgPath {
      var inputs = CommandInputs()
      try inputs.addCheckpoint(of: search)
      try inputs.check(svgPath, option: "--svg")
      try OutputPolicy.check(svgPath, force: force, option: "--svg")
      // Before the model runs: a directory (or a link) there would fail only after the map.
      if let problem = AtomicFile.replacementProblem(svgPath) {
        throw RuntimeError("cannot write '\(svgPath)': \(problem)")
      }
    }
    let pass = try TracedPass(text: text, reference: nil, options: search) {
      console.writeErrorLine($0)
    }
    let isDecoderOnly = pass.configuration.isDecoderOnly
    let kind = chosenKind ?? (isDecoderOnly ? .selfDecoder : .cross)
    if isDecoderOnly && kind != .selfDecoder {
      throw UsageError(
        "--kind \(kind.rawValue): the model is decoder-only, with no encoder and no "
          + "encoder-decoder attention; use --kind self-decoder (its self-attention over source "
          + "and target)")
    }
    let map = try AttentionMap(pass: pass, kind: kind)
    let layers = try Self.choose(
      layer, "--layer", count: map.layerCount, what: "\(kind.stackName) layer")
    let heads = try Self.choose(head, "--head", count: map.headCount, what: "head")
    console.writeLine("\(pass.sourceText) → \(pass.targetText)")
    if let svgPath {
      let panels = (layers ?? Array(0..<map.layerCount)).map { layer in
        (heads ?? Array(0..<map.headCount)).map { head in
          AttentionGridSVG.Panel(
            title: "layer \(layer + 1), head \(head + 1)",
            weights: map.matrix(layer: layer, head: head))
        }
      }
      let svg = AttentionGridSVG(
        rowLabels: map.rowLabels, columnLabels: map.columnLabels, panels: panels,
        heading: "\(kind.title)\(kind.variantNote(pass.configuration, head: nil)): "
          + "\(pass.sourceText) → \(pass.targetText)", caption: kind.axes)
      do {
        try AtomicFile.write(Data(svg.render().utf8), to: svgPath)
      } catch {
        throw RuntimeError("cannot write '\(svgPath)': \(error.reason)")
      }
      console.writeErrorLine("wrote \(svgPath)")
      return
    }
    let chosenLayer = layers?[0] ?? map.layerCount - 1
    let heatmap = AttentionHeatmap(
      title: "\(kind.title), layer \(chosenLayer + 1) of \(map.layerCount), "
        + (heads.map { "head \($0[0] + 1) of \(map.headCount)" }
          ?? "mean of \(counted(map.headCount, "head"))")
        + kind.variantNote(pass.configuration, head: heads?[0]),
      rowLabels: map.rowLabels, columnLabels: map.columnLabels,
      weights: map.matrix(layer: chosenLayer, head: heads?[0]))
    let isTerminal = console.output is FileStream && isatty(STDOUT_FILENO) != 0
    console.output.write(
      heatmap.render(
        style: colorStyle(console),
        lineWidth: isTerminal ? TerminalSize.columns(of: STDOUT_FILENO) : 80))
  }

  /// `[n − 1]` for a chosen `--layer`/`--head` n, nil when none was chosen; `what` is the
  /// singular noun counted (`decoder layer`).
  ///
  /// - Throws: `UsageError` naming the valid range when n exceeds `count`.
  private static func choose(_ number: Int?, _ option: String, count: Int, what: String)
    throws(UsageError) -> [Int]?
  {
    guard let number else { return nil }
    guard number <= count else {
      throw UsageError(
        "'\(option) \(number)' is out of range: the model has \(counted(count, what)); give "
          + "1…\(count)")
    }
    return [number - 1]
  }

  /// ASCII unless stdout is a terminal and neither `--no-color` nor `NO_COLOR` is set.
  private func colorStyle(_ console: Console) -> AttentionHeatmap.Style {
    let environment = ProcessInfo.processInfo.environment
    guard !noColor, (environment["NO_COLOR"] ?? "").isEmpty,
      console.output is FileStream, isatty(STDOUT_FILENO) != 0
    else { return .ascii }
    let colorTerm = (environment["COLORTERM"] ?? "").lowercased()
    return colorTerm == "truecolor" || colorTerm == "24bit" ? .trueColor : .xterm256
  }
}
