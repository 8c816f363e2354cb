/// The reference documentation of the config format, generated from the field lists so that it
/// always matches what the parser accepts.
extension RunConfig {
  /// Markdown: one table per section with each key's type, default and meaning.
  public static func referenceMarkdown() -> String {
    var lines = [
      "Every field has a default, so a config file names only what it changes; `--set PATH=VALUE`",
      "(repeatable) overrides one field after the file is read, as in `--set training.max_steps=100`",
      "or `--set output.dir=runs/try`. Paths in `data` are relative to the current directory.",
    ]
    appendTable(DataConfig.self, to: &lines)
    appendTable(ModelConfig.self, to: &lines)
    appendTable(TrainingConfig.self, to: &lines)
    appendTable(OutputConfig.self, to: &lines)
    return lines.joined(separator: "\n") + "\n"
  }

  private static func appendTable<Section: ConfigSection>(
    _ section: Section.Type, to lines: inout [String]
  ) {
    let defaults = Section()
    lines += ["", "### `\(Section.name)`", "", Section.summary, ""]
    lines += ["| key | type | default | meaning |", "|---|---|---|---|"]
    for field in Section.fields {
      let value = field.value(defaults)
      let shown: String
      if case .string(let text) = value, text.isEmpty {
        shown = "`\"\"` (none)"
      } else {
        shown = "`\(value.quoted)`"
      }
      lines.append("| `\(field.key)` | \(field.type) | \(shown) | \(field.summary) |")
    }
  }
}
