import Benchmarks
import Distributed
import Foundation

/// `transformer-cli bench allreduce`: the time of summing a preset model's gradient over the
/// processes of `mpirun`, the communication a data-parallel step adds.
struct BenchAllReduceCommand: Command {
  static var configuration: CommandConfiguration {
    CommandConfiguration(
      name: "allreduce",
      abstract: "Time the allreduce of data-parallel training (MPI).",
      discussion: """
        Run under mpirun with a build made with --traits MPI:
          mpirun -np 2 transformer-cli bench allreduce --preset small
        Sums one float per parameter of the preset model (see 'bench train') over
        all processes with one MPI_Allreduce, as a training step does after
        backward, and reports on rank 0 the median milliseconds and the bus
        bandwidth, 2(N-1)/N × gradient bytes / time (what each process sends in
        a ring allreduce).

        With --json the result is one line {"preset","processes","parameters",
        "bytes","ms","bus_gb_per_s"}.
        """,
      options: BenchModelOptions.options(
        defaultPreset: .small,
        counts: [
          .option(
            "repeats", value: "count", help: "Timed allreduces (default: 20, at most 1000000).")
        ]))
  }

  /// The model whose gradient is summed, and `--json`.
  var model = BenchModelOptions(preset: .small)
  /// Timed allreduces.
  var repeats = 20

  mutating func parse(_ arguments: Arguments) throws {
    try model.parse(arguments)
    repeats = try arguments.positiveInteger("repeats", maximum: CountLimit.repeats) ?? repeats
  }

  mutating func run(_ console: inout Console) throws {
    let launched = ProcessGroup.launcherSize ?? 1
    guard ProcessGroup.isMPICompiled, launched > 1 else {
      throw RuntimeError(
        "bench allreduce needs several processes: build with 'swift build -c release "
          + "--traits MPI' and run 'mpirun -np 2 transformer-cli bench allreduce'")
    }
    let group = ProcessGroup.world()
    let preset = model.preset
    let benchmark = AllReduceBenchmark(preset: preset, repeats: repeats)
    let measurement = benchmark.measure(group: group)
    group.finish()
    guard group.isPrimary else { return }
    let milliseconds = measurement.medianSeconds * 1000
    let busGB = measurement.busBytesPerSecond / 1e9
    if model.json {
      console.writeLine(benchmark.jsonLine(measurement))
      return
    }
    console.writeLine(
      "bench allreduce: preset \(preset.rawValue), \(measurement.processes) processes, "
        + "median of \(repeats)")
    console.writeLine(
      "gradient      \(String(format: "%10.2f", Double(measurement.bytes) / 1e6)) MB "
        + "(\(measurement.parameterCount) floats)")
    console.writeLine("ms/allreduce  \(String(format: "%10.2f", milliseconds))")
    console.writeLine("bus GB/s      \(String(format: "%10.2f", busGB))")
  }
}
