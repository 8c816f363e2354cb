import Benchmarks

/// The options every benchmark of a preset model shares (`bench train`, `bench decode`,
/// `bench allreduce`): `--preset`, the command's own counts, and `--json`.
struct BenchModelOptions {
  /// `--preset` with the command's default, then the command's own options, then `--json`, in
  /// the order the help lists them.
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

  /// The `--products` table of `bench train` and `bench decode`: a header, one line per shape
  /// (slowest first, as listed) with its calls and milliseconds per `unit`, GFLOPS and
  /// fraction of the FMA peak, then all products together and the rest of the `unitSeconds`
  /// (never below 0 unless products overlapped, which `MatmulTally` rules out: printed as it
  /// is).
  static func productTable(
    _ products: [ProductTime], unit: String, unitSeconds: Double, peakGFLOPS: Double
  ) -> [String] {
    func pad(_ text: String, _ width: Int) -> String {
      String(repeating: " ", count: max(0, width - text.count)) + text
    }
    func line(_ label: String, calls: String, seconds: Double, gflops: Double?) -> String {
      let rate = gflops.map {
        String(format: " %9.1f %7.1f%%", $0, peakGFLOPS > 0 ? 100 * $0 / peakGFLOPS : 0)
      }
      return label.padding(toLength: max(label.count, 24), withPad: " ", startingAt: 0)
        + pad(calls, 7) + String(format: "%10.2f", seconds * 1000) + (rate ?? "")
    }
    let header =
      "product (MxKxN)".padding(toLength: 24, withPad: " ", startingAt: 0) + pad("calls", 7)
      + pad("ms/\(unit)", 10) + pad("GFLOPS", 10) + pad("of peak", 9)
    let operations = products.reduce(0) { $0 + $1.shape.operationCount * $1.calls }
    let seconds = products.reduce(0) { $0 + $1.seconds }
    let calls = products.reduce(0) { $0 + $1.calls }
    return [header]
      + products.map { product in
        line(
          product.label, calls: String(format: "%g", product.calls),
          seconds: product.seconds, gflops: product.gflops)
      }
      + [
        line(
          "all products", calls: String(format: "%g", calls), seconds: seconds,
          gflops: seconds > 0 ? operations / seconds / 1e9 : 0),
        line(
          "rest of the \(unit)", calls: "", seconds: unitSeconds - seconds, gflops: nil),
      ]
  }
}
