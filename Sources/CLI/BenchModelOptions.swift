import Benchmarks

/// The options every benchmark of a preset model shares (`bench train`, `bench decode`,
/// `bench allreduce`): `--preset`, the command's own counts, and `--json`.
struct BenchModelOptions {
  /// `--preset` with the command's default, then `counts` (each `.option(name, value: "count",
  /// …)`), then `--json`, in the order the help lists them.
  static func options(defaultPreset: BenchTrainPreset, counts: [OptionDescription])
    -> [OptionDescription]
  {
    [
      .option(
        "preset", value: "name", help: "tiny, small or base (default: \(defaultPreset.rawValue)).")
    ] + counts + [.flag("json", help: "Print one JSON object instead of a table.")]
  }

  /// The model size.
  var preset: BenchTrainPreset
  /// Print one JSON line instead of a table.
  var json = false

  /// The command's default, until `parse(_:)` reads the command line.
  init(preset: BenchTrainPreset) {
    self.preset = preset
  }

  /// Reads `--preset` and `--json`; throws `UsageError` for an unknown preset.
  mutating func parse(_ arguments: Arguments) throws {
    preset =
      try arguments.value(of: "preset", expected: "one of \(BenchTrainPreset.names)") {
        BenchTrainPreset(rawValue: $0)
      } ?? preset
    json = arguments.contains("json")
  }
}
