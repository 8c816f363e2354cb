import Data
import Support
import Training

/// Which pairs `eval --loss` scores: the loss is measured on the pairs a checkpoint's training
/// would have kept (both sides non-empty, neither longer than its `data.max_length`), while
/// `--bleu` and `--chrf` translate every line, so the user is told what the loss left out.
enum LossCoverage {
  /// How many left-out line numbers a warning lists.
  static let listedLines = 5

  /// `warning: the loss leaves out 2 of 3 pairs …`, nil when every pair was scored.
  ///
  /// - Parameters:
  ///   - corpus: the pairs kept, with the counts of those skipped.
  ///   - sourcePath: the source file, as the user named it.
  ///   - maxLength: the checkpoint's `data.max_length`.
  static func warning(corpus: ParallelCorpus, sourcePath: String, maxLength: Int) -> String? {
    let statistics = corpus.statistics
    let leftOut = statistics.lineCount - statistics.pairCount
    guard leftOut > 0 else { return nil }
    let kept = Set(corpus.pairs.map(\.line))
    let lines = (1...statistics.lineCount).lazy.filter { !kept.contains($0) }
      .prefix(listedLines).map(String.init)
    let more = leftOut > listedLines ? ", …" : ""
    return "warning: the loss leaves out \(leftOut) of \(counted(statistics.lineCount, "pair")) "
      + "of '\(sourcePath)' (\(leftOut == 1 ? "line" : "lines") \(lines.joined(separator: ", "))"
      + "\(more)): "
      + reasons(
        empty: statistics.emptyPairs, tooLong: statistics.tooLongPairs, maxLength: maxLength)
      + "; --bleu and --chrf translate every line"
  }

  /// The error to report for `error`, the failure to load the pairs: when no pair is left to
  /// score, a message of its own in place of the corpus's, whose advice (raise
  /// data.max_length) is for training, while a checkpoint's maximum is the one it was trained
  /// with; any other error as it is.
  static func loadError(_ error: TrainingError, sourcePath: String, targetPath: String) -> Error {
    guard case .corpus(.noPairs(_, _, let empty, let tooLong, let maxLength)) = error else {
      return error
    }
    // Neither kind of pair left out: the files have no lines (the corpus checks that both sides
    // have as many), which `--bleu` reports as it does here.
    guard empty + tooLong > 0 else {
      let files =
        sourcePath == targetPath ? "'\(sourcePath)' is" : "'\(sourcePath)' and '\(targetPath)' are"
      return RuntimeError("eval --loss: \(files) empty: there are no pairs to score")
    }
    return RuntimeError(
      "eval --loss: no pair of '\(sourcePath)' and '\(targetPath)' can be scored: "
        + reasons(empty: empty, tooLong: tooLong, maxLength: maxLength))
  }

  /// `1 with an empty side, 2 with a side longer than the checkpoint's data.max_length (40
  /// pieces)`; at least one of the counts must be positive.
  private static func reasons(empty: Int, tooLong: Int, maxLength: Int) -> String {
    var parts: [String] = []
    if empty > 0 { parts.append("\(empty) with an empty side") }
    if tooLong > 0 {
      parts.append(
        "\(tooLong) with a side longer than the checkpoint's data.max_length "
          + "(\(counted(maxLength, "piece")))")
    }
    return parts.joined(separator: ", ")
  }
}
