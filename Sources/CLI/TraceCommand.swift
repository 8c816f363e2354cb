import Foundation

/// `transformer-cli trace`: runs one forward pass of a checkpoint's model on a sentence and
/// prints every step with its shape and a summary of its values, in the paper's notation.
struct TraceCommand: Command {
  static var configuration: CommandConfiguration {
    CommandConfiguration(
      name: "trace",
      abstract: "Print each step of a forward pass with its shape.",
      discussion: """
        Runs the model once on <text>, teacher-forced on --target (or, without it, on
        the model's own translation, searched as 'translate' searches), and prints
        each step the model computes, indented by module (encoder › layer i ›
        self-attention …), in the notation of Vaswani et al. 2017 with its section:
        embedding E[ids] (§3.4), × √D, + PE (§3.5), Q/K/V projections, split heads,
        scores Q·Kᵀ/√K with the mask (§3.2.1), softmax, × V, merge heads, W_O (§3.2.2),
        residual and LayerNorm (§3.1), the feed-forward x·W₁ + b₁, ReLU, ·W₂ + b₂
        (§3.3), logits and loss. Each line gives the shape in the legend's letters,
        the actual sizes and the mean, std, min and max of the values (masked
        scores, −∞, are counted apart).

        Legend: B batch (1 here), S source pieces + </s>, T <s> + target pieces,
        D model width, H heads, K = D/H head width, F feed-forward width,
        V vocabulary. With --target the last line is the target's per-token
        cross-entropy and perplexity.

        The values are the model's own: its layers record them as they compute.
        """,
      options: [
        .option(
          "target", value: "text",
          help: "Teacher-force on this reference translation and print its loss.")
      ] + TranslateOptions.options,
      arguments: [ArgumentDescription("text", help: "The source sentence.")])
  }

  /// The source sentence.
  var text = ""
  /// `--target`, nil for the model's own translation.
  var target: String?
  /// Checkpoint and search options.
  var search = TranslateOptions()

  mutating func parse(_ arguments: Arguments) throws {
    text = arguments.positionals.first ?? ""
    target = arguments.value(of: "target")
    search = try TranslateOptions(arguments)
  }

  func validate() throws {
    if target != nil {
      try search.refuseSearchOptions(
        because: "with '--target' the pass is teacher-forced on that text and nothing is searched")
    }
    if text.allSatisfy(\.isWhitespace) {
      throw UsageError("give a sentence to trace: transformer-cli trace \"<text>\"")
    }
  }

  mutating func run(_ console: inout Console) throws {
    let pass = try TracedPass(text: text, reference: target, options: search) {
      console.writeErrorLine($0)
    }
    // On a terminal the table is fitted to its width; piped, it is written whole.
    let isTerminal = console.output is FileStream && isatty(STDOUT_FILENO) != 0
    console.output.write(
      TraceReport(pass: pass).render(
        columns: isTerminal ? TerminalSize.columns(of: STDOUT_FILENO) : nil))
  }
}
