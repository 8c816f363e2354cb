import Distributed
import Foundation
import NN
import Support

/// Times the allreduce a data-parallel training step makes: the sum over the processes of one
/// float per parameter of a preset model, as one fused buffer (what ``ProcessGroup/sum(_:)``
/// does after backward). Every rank must run it; the times are rank 0's.
public struct AllReduceBenchmark {
  /// The model whose gradient is summed.
  public let preset: BenchTrainPreset
  /// Timed allreduces after the warm-up.
  public let repeats: Int
  /// Untimed allreduces first (connection set-up, page faults of the buffer).
  public let warmUps = 3

  /// A benchmark of `repeats` timed allreduces.
  public init(preset: BenchTrainPreset, repeats: Int) {
    self.preset = preset
    self.repeats = repeats
  }

  /// What was measured.
  public struct Measurement {
    /// Floats per allreduce: the model's parameter count.
    public var parameterCount: Int
    /// The processes taking part.
    public var processes: Int
    /// The median seconds of one allreduce.
    public var medianSeconds: Double
    /// The gradient's bytes.
    public var bytes: Int { parameterCount * MemoryLayout<Float>.size }
    /// Bytes each process sends in a ring allreduce, 2(N − 1)/N × the gradient, per second:
    /// the "bus bandwidth" that compares with the link's speed.
    public var busBytesPerSecond: Double {
      let factor = 2 * Double(processes - 1) / Double(processes)
      return factor * Double(bytes) / medianSeconds
    }
  }

  /// Runs the allreduces on `group`.
  public func measure(group: ProcessGroup) -> Measurement {
    // The parameter count without the model's weights: a model of that shape, once.
    let count = Transformer(configuration: preset.configuration, seed: 1).parameterCount
    var buffer = [Float](repeating: 1, count: count)
    var seconds: [Double] = []
    let clock = ContinuousClock()
    for index in 0..<(warmUps + repeats) {
      // Start together, so that the time is the collective's and not a late rank's.
      group.barrier()
      let start = clock.now
      buffer.withUnsafeMutableBufferPointer { group.sum($0) }
      let parts = start.duration(to: clock.now).components
      if index >= warmUps {
        seconds.append(Double(parts.seconds) + Double(parts.attoseconds) * 1e-18)
      }
      // Keep the values finite across repeats.
      buffer.withUnsafeMutableBufferPointer { $0.update(repeating: 1) }
    }
    seconds.sort()
    return Measurement(
      parameterCount: count, processes: group.size, medianSeconds: seconds[seconds.count / 2])
  }

  /// One JSON object: `{"preset":"small","processes":2,"parameters":…,"bytes":…,"ms":1.234,`
  /// `"bus_gb_per_s":5.678}`.
  public func jsonLine(_ measurement: Measurement) -> String {
    JSONValue.object([
      ("preset", .string(preset.rawValue)), ("processes", .integer(measurement.processes)),
      ("parameters", .integer(measurement.parameterCount)), ("bytes", .integer(measurement.bytes)),
      ("ms", .fixed(measurement.medianSeconds * 1000, digits: 3)),
      ("bus_gb_per_s", .fixed(measurement.busBytesPerSecond / 1e9, digits: 3)),
    ]).compactText()
  }
}
