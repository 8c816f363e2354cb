import Autograd
import Drawing
import Foundation
import NN
import Support
import Tensors

/// The text `transformer-cli trace` prints: the pass's sizes, then every recorded step indented
/// by module, with its shape in the legend's letters, its actual sizes, and the mean, standard
/// deviation, minimum and maximum of its values (over the finite ones; masked scores of −∞ are
/// counted apart).
///
///     encoder
///       layer 1
///         self-attention
///           scores Q·Kᵀ/√K + mask …   [B, H, S, S]   [1, 4, 8, 8]   0.1052 …
struct TraceReport {
  /// The traced pass.
  let pass: TracedPass

  /// The report, each line ending in a newline; with `columns` (a terminal's width) the table
  /// leaves out columns to fit it (``TraceTable``).
  func render(columns: Int? = nil) -> String {
    let c = pass.configuration
    let what = pass.isReference ? "the given target" : "the model's own translation"
    var lines = [
      "\(pass.sourceText) → \(pass.targetText)",
      "one forward pass, teacher-forced on \(what)",
      "source pieces, S = \(pass.sourcePieces.count): " + pass.sourcePieces.joined(separator: " "),
      "decoder input, T = \(pass.targetInputPieces.count): "
        + pass.targetInputPieces.joined(separator: " "),
      "B = 1, S = \(pass.sourcePieces.count), T = \(pass.targetInputPieces.count), "
        + "D = \(c.modelWidth), H = \(c.headCount), K = D/H = \(c.modelWidth / c.headCount), "
        + (c.keyValueHeadCount == c.headCount
          ? "" : "G = \(counted(c.keyValueHeadCount, "kv head")), ")
        + "F = \(c.feedForwardWidth), V = \(c.vocabularySize); "
        + (c.isDecoderOnly
          ? "decoder-only: \(counted(c.decoderLayerCount, "causal layer")) over S+T = source ++ decoder "
            + "input, loss on the T target positions, "
          : "\(counted(c.encoderLayerCount, "encoder layer")) and "
            + "\(counted(c.decoderLayerCount, "decoder layer")), ")
        + "\(c.norm)-norm, "
        + "\(c.positions.rawValue) positions",
      "",
    ]
    var rows: [TraceTable.Row] = []
    var previous: [String] = []
    for step in pass.trace.steps {
      let common = zip(previous, step.modules).prefix { $0 == $1 }.count
      for depth in common..<step.modules.count {
        rows.append(TraceTable.Row(label: Self.indent(depth) + step.modules[depth]))
      }
      previous = step.modules
      let (statistics, note) = Self.summary(step.value)
      rows.append(
        TraceTable.Row(
          label: Self.indent(step.modules.count) + step.name, shape: step.shape,
          sizes: "[" + step.value.shape.map(String.init).joined(separator: ", ") + "]",
          statistics: statistics, note: note))
    }
    lines += TraceTable(rows: rows).render(columns: columns)
    if pass.isReference {
      lines.append("")
      lines.append(
        "loss = \(String(format: "%.4f", pass.loss)) per token, perplexity = "
          + "\(String(format: "%.3f", exp(pass.loss))) (cross-entropy of the target, no smoothing)")
    }
    return lines.map { $0 + "\n" }.joined()
  }

  private static func indent(_ depth: Int) -> String { String(repeating: "  ", count: depth) }

  /// Mean, standard deviation, minimum and maximum of the finite values, and how many are −∞.
  private static func summary(_ tensor: Tensor) -> (statistics: [String], note: String) {
    var (count, sum, sumOfSquares) = (0, 0.0, 0.0)
    var (low, high) = (Float.infinity, -Float.infinity)
    var masked = 0
    for value in tensor.scalars {
      guard value.isFinite else {
        masked += 1
        continue
      }
      count += 1
      sum += Double(value)
      sumOfSquares += Double(value) * Double(value)
      low = min(low, value)
      high = max(high, value)
    }
    guard count > 0 else { return ([], "all \(masked) masked (−∞)") }
    let mean = sum / Double(count)
    let deviation = max(0, sumOfSquares / Double(count) - mean * mean).squareRoot()
    let statistics = [mean, deviation, Double(low), Double(high)].map {
      String(format: "%.4f", $0)
    }
    return (statistics, masked > 0 ? "(\(masked) masked: −∞)" : "")
  }
}
