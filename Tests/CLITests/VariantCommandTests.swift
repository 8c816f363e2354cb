import Checkpoints
import Foundation
import NN
import XCTest

@testable import CLI

/// `translate`, `eval`, `average`, `attention` and `trace` on models with learned, rotary and
/// ALiBi positions and with grouped (2 of 4) or shared (1) key/value heads.
final class VariantCommandTests: XCTestCase {
  static let variants: [(TransformerHyperparameters.Positions, Int)] = [
    (.learned, 1), (.rope, 2), (.alibi, 2), (.alibi, 1), (.sinusoidal, 2),
  ]

  func testTranslateAndEvalWorkForEveryVariant() throws {
    for (positions, kv) in Self.variants {
      let fixture = try InspectionFixture(heads: 4, positions: positions, keyValueHeads: kv)
      defer { fixture.directory.remove() }
      let tag = "\(positions) kv \(kv)"
      let translate = CLIRun("translate", "--checkpoint", fixture.checkpoint, "the cat sat")
      XCTAssertEqual(translate.status, 0, "\(tag): \(translate.errors)")
      XCTAssertEqual(translate.output.split(separator: "\n").count, 1, tag)
      let source = try fixture.directory.write("test.src", "the cat sat\na dog ran home\n")
      let reference = try fixture.directory.write("test.ref", "le chat\nun chien\n")
      let eval = CLIRun(
        "eval", "--bleu", "--loss", "--checkpoint", fixture.checkpoint, "--source", source,
        "--reference", reference, "--quiet")
      XCTAssertEqual(eval.status, 0, "\(tag): \(eval.errors)")
      XCTAssertTrue(eval.output.hasPrefix("loss = "), "\(tag): \(eval.output)")
      XCTAssertTrue(eval.output.contains("BLEU = "), "\(tag): \(eval.output)")
    }
  }

  /// A learned table has no row past `max_positions`, so a longer sentence is refused in one
  /// line naming it and the key, before anything is written; rotary positions translate its
  /// first pieces with a warning, as the paper's sinusoids do.
  func testASentencePastTheLearnedTableIsRefusedAndOtherPositionsWarn() throws {
    let long = Array(repeating: "the cat sat on the mat", count: 20).joined(separator: " ")
    for positions in [TransformerHyperparameters.Positions.learned, .rope] {
      let fixture = try InspectionFixture(heads: 4, positions: positions, keyValueHeads: 2)
      defer { fixture.directory.remove() }
      let input = try fixture.directory.write("long.txt", "a dog ran home\n\(long)\n")
      let reference = try fixture.directory.write("long.ref", "un chien\nle chat\n")
      let output = fixture.directory.path("out.txt")
      let translate = CLIRun(
        "translate", "--checkpoint", fixture.checkpoint, "--quiet", "--input", input,
        "--output", output)
      let eval = CLIRun(
        "eval", "--bleu", "--checkpoint", fixture.checkpoint, "--source", input,
        "--reference", reference, "--quiet")
      let excess = "line 2 of '\(input)' has "
      if positions == .learned {
        for run in [translate, eval] {
          XCTAssertEqual(run.status, 1, run.errors)
          XCTAssertEqual(run.errors.split(separator: "\n").count, 1, run.errors)
          XCTAssertTrue(run.errors.hasPrefix("Error: " + excess), run.errors)
          XCTAssertTrue(
            run.errors.hasSuffix(
              "the 63 the model reads (model.max_positions 64, one for </s>): the learned "
                + "position table (model.positions \"learned\") has only 64 rows, so it cannot "
                + "be read whole; shorten it, or train with a larger model.max_positions\n"),
            run.errors)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: output))
      } else {
        XCTAssertEqual(translate.status, 0, translate.errors)
        XCTAssertTrue(translate.errors.hasPrefix("warning: " + excess), translate.errors)
        XCTAssertEqual(
          try fixture.directory.read("out.txt")
            .split(separator: "\n", omittingEmptySubsequences: false).count, 3)
        XCTAssertEqual(eval.status, 0, eval.errors)
      }
    }
  }

  /// A decoder-only model's learned table has max_positions rows, half of them kept for the
  /// translation: the refusal counts them as they are.
  func testTheLearnedRefusalOfADecoderOnlyModelCountsTheTableRows() {
    XCTAssertEqual(
      SourceLengthCheck.refusal(
        place: "the sentence", pieces: 100, limit: 64, decoderOnlyPositions: 130),
      "the sentence has 100 BPE pieces, more than the 64 the model reads (model.max_positions "
        + "130, half for the source of a decoder-only model, one for </s>): the learned position "
        + "table (model.positions \"learned\") has only 130 rows, half of them kept for the "
        + "translation, so it cannot be read whole; shorten it, or train with a larger "
        + "model.max_positions")
  }

  /// The heatmap's title names the key/value head a query head reads and its ALiBi slope in
  /// self-attention; cross-attention has no bias.
  func testAttentionNamesKeyValueHeadsAndALiBiSlopes() throws {
    let fixture = try InspectionFixture(heads: 4, positions: .alibi, keyValueHeads: 2)
    defer { fixture.directory.remove() }
    let head3 = CLIRun(
      "attention", "--checkpoint", fixture.checkpoint, "--kind", "self-encoder", "--head", "3",
      "the cat sat")
    XCTAssertEqual(head3.status, 0, head3.errors)
    XCTAssertTrue(
      head3.output.contains("head 3 of 4 (kv head 2 of 2, ALiBi slope 0.015625)"), head3.output)
    let mean = CLIRun(
      "attention", "--checkpoint", fixture.checkpoint, "--kind", "self-decoder", "the cat sat")
    XCTAssertEqual(mean.status, 0, mean.errors)
    XCTAssertTrue(
      mean.output.contains("mean of 4 heads (2 kv heads, ALiBi bias −m·|i − j| included)"),
      mean.output)
    let cross = CLIRun(
      "attention", "--checkpoint", fixture.checkpoint, "--kind", "cross", "--head", "1",
      "the cat sat")
    XCTAssertEqual(cross.status, 0, cross.errors)
    XCTAssertTrue(cross.output.contains("head 1 of 4 (kv head 1 of 2)"), cross.output)
    XCTAssertFalse(cross.output.contains("ALiBi"), cross.output)
    // The SVG heading says the same for all heads.
    let svg = fixture.directory.path("a.svg")
    let drawn = CLIRun(
      "attention", "--checkpoint", fixture.checkpoint, "--svg", svg, "the cat sat")
    XCTAssertEqual(drawn.status, 0, drawn.errors)
    XCTAssertTrue(try String(contentsOfFile: svg, encoding: .utf8).contains("2 kv heads"))
  }

  /// The paper-notation listing gains the rotation (RoPE), the biased scores (ALiBi), the
  /// learned table, and the narrower key/value shapes (GQA).
  func testTraceListsTheVariantSteps() throws {
    for (positions, kv, expected) in [
      (
        TransformerHyperparameters.Positions.rope, 2,
        ["RoPE: rotate Q pairs (2i, 2i+1) by position·θ_i", "RoPE: rotate K pairs"]
      ),
      (.alibi, 1, ["scores Q·Kᵀ/√K − m_h·|i − j| (ALiBi)", "G = 1 kv head", "alibi positions"]),
      (.learned, 4, ["learned positions P[0..<S]", "+ P", "learned positions"]),
    ] {
      let fixture = try InspectionFixture(heads: 4, positions: positions, keyValueHeads: kv)
      defer { fixture.directory.remove() }
      let run = CLIRun("trace", "--checkpoint", fixture.checkpoint, "the cat sat")
      XCTAssertEqual(run.status, 0, run.errors)
      for text in expected {
        XCTAssertTrue(run.output.contains(text), "\(positions): \(text) in\n\(run.output)")
      }
      XCTAssertEqual(
        run.output.contains("positional encoding PE"), false, "\(positions) adds no sinusoids")
      if kv < 4 {
        XCTAssertTrue(run.output.contains("[B, S, G·K] → [B, G, S, K]"), run.output)
      }
    }
  }

  /// Averaging checkpoints of a variant keeps its configuration and gives the mean.
  func testAverageKeepsTheVariant() throws {
    let first = try InspectionFixture(heads: 4, positions: .rope, keyValueHeads: 1)
    defer { first.directory.remove() }
    let output = first.directory.path("averaged")
    // A copy: the same directory named twice is refused.
    let copy = first.directory.path("copy")
    try FileManager.default.copyItem(atPath: first.checkpoint, toPath: copy)
    let run = CLIRun("average", "--output", output, copy, first.checkpoint)
    XCTAssertEqual(run.status, 0, run.errors)
    let model = try Transformer(contentsOf: CheckpointStore.join(output, Checkpoint.modelFileName))
    XCTAssertEqual(model.configuration.positions, .rope)
    XCTAssertEqual(model.configuration.keyValueHeadCount, 1)
    let translate = CLIRun("translate", "--checkpoint", output, "the cat sat")
    XCTAssertEqual(translate.status, 0, translate.errors)
    XCTAssertEqual(
      translate.output, CLIRun("translate", "--checkpoint", first.checkpoint, "the cat sat").output)
  }
}
