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

extension BenchModelOptions {
  /// The table line `bench train` and `bench decode` both print about their matrix products:
  /// `matmul  <amount> <unit>, <rate> GFLOPS, <fraction>% of the FMA peak (<peak> GFLOPS)`,
  /// `amount` already formatted to the table's column.
  static func matmulLine(
    amount: String, unit: String, gflops: Double, peakFraction: Double, peakGFLOPS: Double
  ) -> String {
    "matmul        \(amount) \(unit), "
      + String(format: "%.1f GFLOPS, ", gflops)
      + String(format: "%.1f%% of the FMA peak ", 100 * peakFraction)
      + String(format: "(%.1f GFLOPS)", peakGFLOPS)
  }
}
