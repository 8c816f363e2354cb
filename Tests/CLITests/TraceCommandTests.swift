import Decoding
import Foundation
import NN
import Tokenizer
import XCTest

@testable import CLI

final class TraceCommandTests: XCTestCase {
  var fixture: InspectionFixture!

  override func setUpWithError() throws { fixture = try InspectionFixture(layers: 2, heads: 4) }
  override func tearDownWithError() throws { fixture.directory.remove() }

  func testPrintsEveryStepIndentedByModule() throws {
    let run = CLIRun("trace", "--checkpoint", fixture.checkpoint, "the cat sat")
    XCTAssertEqual(run.status, 0, run.errors)
    let pass = try fixture.pass("the cat sat")
    let (s, t) = (pass.sourcePieces.count, pass.targetInputPieces.count)
    let lines = run.output.split(separator: "\n").map(String.init)
    XCTAssertTrue(
      lines.contains(
        "B = 1, S = \(s), T = \(t), D = 16, H = 4, K = D/H = 4, F = 32, "
          + "V = \(pass.configuration.vocabularySize); 2 encoder layers and 2 decoder layers, post-norm, "
          + "sinusoidal positions"),
      run.output)
    func line(_ prefix: String) -> [String] {
      lines.filter { $0.hasPrefix(prefix) }.map {
        $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init).joined(
          separator: " ")
      }
    }
    XCTAssertEqual(line("encoder").count, 1)
    XCTAssertEqual(line("  layer 2").count, 2)
    XCTAssertEqual(line("    encoder-decoder attention").count, 2)
    let scores = line("      scores Q·Kᵀ/√K")
    XCTAssertEqual(scores.count, 6)
    XCTAssertTrue(scores[0].contains("[B, H, S, S] [1, 4, \(s), \(s)]"), scores[0])
    XCTAssertTrue(scores[2].contains("[B, H, T, T] [1, 4, \(t), \(t)]"), scores[2])
    XCTAssertTrue(scores[3].contains("[B, H, T, S] [1, 4, \(t), \(s)]"), scores[3])
    let futureMask = line("      mask: future")
    XCTAssertEqual(futureMask.count, 2)
    XCTAssertTrue(
      futureMask[0].hasSuffix("(\(4 * t * (t - 1) / 2) masked: −∞)"), futureMask[0])
    XCTAssertTrue(
      line("logits")[0].contains(
        "[B, T, D] → [B, T, V] [1, \(t), \(pass.configuration.vocabularySize)]"))
    XCTAssertFalse(run.output.contains("perplexity"))
  }

  func testWithATargetPrintsItsLoss() throws {
    let run = CLIRun(
      "trace", "--checkpoint", fixture.checkpoint, "--target", "le chat", "the cat")
    XCTAssertEqual(run.status, 0, run.errors)
    let translator = try Translator(checkpoint: fixture.checkpoint)
    let source = translator.vocabulary.source.encodeIDs("the cat") + [Vocabulary.endID]
    let target = translator.vocabulary.target.encodeIDs("le chat")
    let (loss, _) = translator.model.loss(
      sourceIDs: source, targetInputIDs: [Vocabulary.startID] + target,
      targetOutputIDs: target + [Vocabulary.endID], sourceLengths: [source.count],
      targetLengths: [target.count + 1], labelSmoothing: 0)
    let value = loss.value.scalars[0]
    XCTAssertTrue(
      run.output.hasSuffix(
        "loss = \(String(format: "%.4f", value)) per token, perplexity = "
          + "\(String(format: "%.3f", exp(value))) (cross-entropy of the target, no smoothing)\n"),
      run.output)
    XCTAssertTrue(run.output.contains("teacher-forced on the given target"))
  }

  /// The text and target are echoed by the rule translations follow: an escape sequence in an
  /// argument shows as U+FFFD and cannot act on the terminal.
  func testUserTextIsEchoedWithoutControlCharacters() {
    let run = CLIRun(
      "trace", "--checkpoint", fixture.checkpoint, "--quiet", "--target", "x\u{1B}[2Jy",
      "a\u{1B}[31mRED\u{1B}]0;title\u{07}")
    XCTAssertEqual(run.status, 0, run.errors)
    XCTAssertTrue(
      run.output.hasPrefix("a\u{FFFD}[31mRED\u{FFFD}]0;title\u{FFFD} → x\u{FFFD}[2Jy\n"),
      run.output)
    XCTAssertFalse(
      run.output.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, run.output)
  }

  /// A decoder-only model reads half its positions of a source, as `translate` does, and a
  /// source and target together fill one sequence less </s> and <s>: the messages say which.
  func testDecoderOnlyLimitsAreTheModelsOwn() throws {
    let decoderOnly = try InspectionFixture(architecture: .decoderOnly, maxPositions: 20)
    defer { decoderOnly.directory.remove() }
    let text = String(repeating: "the cat sat on the mat ", count: 4)
    let translator = try Translator(checkpoint: decoderOnly.checkpoint)
    let pieces = translator.sourcePieceCount(text)
    XCTAssertGreaterThan(pieces, 18)
    let alone = CLIRun("trace", "--checkpoint", decoderOnly.checkpoint, "--quiet", text)
    XCTAssertEqual(alone.status, 64, alone.errors)
    XCTAssertTrue(
      alone.errors.hasPrefix(
        "Error: the text is \(pieces) pieces, but a decoder-only model translates at most 9 "
          + "(model.max_positions 20, half for the source, one for </s>); give a shorter "
          + "sentence, or trace it on a --target (at most 18 pieces for the two)"), alone.errors)
    let target = translator.vocabulary.target.encodeIDs("le chat").count
    let paired = CLIRun(
      "trace", "--checkpoint", decoderOnly.checkpoint, "--quiet", "--target", "le chat", text)
    XCTAssertEqual(paired.status, 64, paired.errors)
    XCTAssertTrue(
      paired.errors.hasPrefix(
        "Error: the text and its target are \(pieces) + \(target) pieces, but a decoder-only "
          + "model holds at most 18 in one sequence (model.max_positions 20, less </s> and "
          + "<s>)"), paired.errors)
    let fits = CLIRun("trace", "--checkpoint", decoderOnly.checkpoint, "--quiet", "the cat sat")
    XCTAssertEqual(fits.status, 0, fits.errors)
  }

  func testBadInputs() {
    let blank = CLIRun("trace", "--checkpoint", fixture.checkpoint, " ")
    XCTAssertEqual(blank.status, 64)
    let blankTarget = CLIRun("trace", "--checkpoint", fixture.checkpoint, "--target", "", "x")
    XCTAssertEqual(blankTarget.status, 64)
    XCTAssertTrue(blankTarget.errors.contains("has no pieces"), blankTarget.errors)
    let long = CLIRun(
      "trace", "--checkpoint", fixture.checkpoint,
      String(repeating: "the cat sat on the mat ", count: 40))
    XCTAssertEqual(long.status, 64, long.errors)
    XCTAssertTrue(long.errors.contains("max_positions 64"), long.errors)
    let missing = CLIRun("trace", "--checkpoint", fixture.directory.path("none"), "x")
    XCTAssertEqual(missing.status, 1)
    XCTAssertEqual(missing.errors.filter { $0 == "\n" }.count, 1, missing.errors)
  }

  func testHelp() {
    let run = CLIRun("trace", "--help")
    XCTAssertEqual(run.status, 0)
    XCTAssertEqual(run.output, Self.help)
  }

  static let help = """
    OVERVIEW: Print each step of a forward pass with its shape.

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

    USAGE: transformer-cli trace [--target <text>] [--checkpoint <dir>]
      [--beam <size>] [--alpha <a>] [--max-len <count>] [--quiet]
      [--threads <count>] <text>

    ARGUMENTS:
      <text>                  The source sentence.

    OPTIONS:
      --target <text>         Teacher-force on this reference translation and print
                              its loss.
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
