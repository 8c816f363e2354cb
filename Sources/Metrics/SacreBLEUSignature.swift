/// The reproducibility signatures printed beside ``BLEU`` and ``CHRF`` scores.
///
/// A sacreBLEU signature lists the settings that change a score, then the sacreBLEU version,
/// e.g. `nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0`.
public enum SacreBLEUSignature {
  /// The sacreBLEU release whose metric definitions this module reproduces.
  ///
  /// This is not sacreBLEU. The version field of our signatures names the release we port and
  /// whose numbers the committed test vectors (`Tests/MetricsTests/Fixtures/bleu`, made
  /// by `scripts/make-bleu-vectors.py`) were produced with, so a score signed with it should
  /// equal, to ±0.01, what that sacreBLEU prints for the same files and settings.
  public static let version = "2.6.0"

  /// Joins `fields` as sacreBLEU does, with the version last.
  static func format(_ fields: KeyValuePairs<String, String>) -> String {
    (fields.map { "\($0.key):\($0.value)" } + ["version:\(version)"]).joined(separator: "|")
  }
}
