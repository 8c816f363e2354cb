import Support
import Tensors

/// The matrix products of one shape in a benchmark's timed work, per unit of that work (a
/// training step, a decoded batch): what `--products` lists.
public struct ProductTime {
  /// As `bench matmul --shape` takes it, to time the product alone.
  public var shape: MatmulShape
  /// Products of this shape per unit.
  public var calls: Double
  /// Their time per unit, in seconds.
  public var seconds: Double

  /// Their floating-point operations per second, in 10⁹.
  public var gflops: Double { seconds > 0 ? shape.operationCount * calls / seconds / 1e9 : 0 }

  /// A profile's shapes (`MatmulTally.profile`) over `units` units of work, slowest first
  /// (ties by shape).
  public static func list(
    _ profile: [MatmulTally.ProductShape: MatmulTally.ProductTime], units: Int
  )
    -> [ProductTime]
  {
    profile.map { shape, time in
      ProductTime(
        shape: MatmulShape(
          m: shape.m, k: shape.k, n: shape.n, batch: shape.batch, transposeA: shape.transposeA,
          transposeB: shape.transposeB),
        calls: Double(time.calls) / Double(max(1, units)),
        seconds: time.seconds / Double(max(1, units)))
    }
    .sorted { ($0.seconds, $1.shape.description) > ($1.seconds, $0.shape.description) }
  }

  /// `{"shape":"256x1536x256:ta","calls":36,"ms":46.81,"gflops":154.8,"peak_fraction":0.655}`;
  /// `calls` is an integer when whole (every unit runs the same products).
  public func json(peakGFLOPS: Double) -> JSONValue {
    .object([
      ("shape", .string(shape.description)),
      ("calls", calls == calls.rounded() ? .integer(Int(calls)) : .fixed(calls, digits: 2)),
      ("ms", .fixed(seconds * 1000, digits: 2)), ("gflops", .fixed(gflops, digits: 1)),
      ("peak_fraction", .fixed(peakGFLOPS > 0 ? gflops / peakGFLOPS : 0, digits: 3)),
    ])
  }
}
