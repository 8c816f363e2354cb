/// Splits a text file's contents into lines the way the `sacrebleu` command reads its files,
/// so that hypotheses and references line up with sacreBLEU's.
///
/// Lines end at U+000A only. A final newline does not start an extra line, and an empty file
/// has no lines. Any `\r` before a newline stays in its line: the metrics ignore trailing
/// whitespace just as sacreBLEU does.
///
/// Swift's `split(separator: "\n")` would be wrong twice over: it drops empty lines, which
/// sacreBLEU keeps as empty sentences, and it does not split `"\r\n"`, a single `Character`.
public enum MetricLines {
  /// The lines of `contents`.
  public static func split(_ contents: String) -> [String] {
    var lines = contents.unicodeScalars
      .split(separator: "\n", omittingEmptySubsequences: false)
      .map { String(String.UnicodeScalarView($0)) }
    if lines.last == "" { lines.removeLast() }
    return lines
  }
}
