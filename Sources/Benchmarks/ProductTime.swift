import Support
import Tensors

/// The matrix products of one shape and kernel in a benchmark's timed work, per unit of that
/// work (a training step, a decoded batch): what `--products` lists.
public struct ProductTime {
  /// The product's sizes; for the blocked GEMM (`kernel` `.gemm`) exactly what
  /// `bench matmul --shape` takes, to time the product alone.
  public var shape: MatmulShape
  /// The kernel that computed it.
  public var kernel: MatmulTally.ProductKernel
  /// Products of this shape per unit.
  public var calls: Double
  /// Their time per unit, in seconds.
  public var seconds: Double

  /// Their floating-point operations per second, in 10⁹.
  public var gflops: Double { seconds > 0 ? shape.operationCount * calls / seconds / 1e9 : 0 }

  /// The table's label: the shape, then the kernel unless it is the GEMM `bench matmul` times
  /// (`1x256x8000 row_panels`).
  public var label: String {
    kernel == .gemm ? shape.description : "\(shape.description) \(kernel.rawValue)"
  }

  /// A profile's shapes (`MatmulTally.profile`) over `units` units of work, slowest first
  /// (ties by label).
  public static func list(
    _ profile: [MatmulTally.ProductShape: MatmulTally.ProductTotals], units: Int
  ) -> [ProductTime] {
    profile.map { shape, totals in
      ProductTime(
        shape: MatmulShape(shape), kernel: shape.kernel,
        calls: Double(totals.calls) / Double(max(1, units)),
        seconds: totals.seconds / Double(max(1, units)))
    }
    .sorted { ($0.seconds, $1.label) > ($1.seconds, $0.label) }
  }

  /// `{"shape":"256x1536x256:ta","kernel":"gemm","calls":36,"ms":46.812,"gflops":154.8,`
  /// `"peak_fraction":0.655}`; `calls` is an integer when whole (every unit runs the same
  /// products).
  public func json(peakGFLOPS: Double) -> JSONValue {
    .object([
      ("shape", .string(shape.description)), ("kernel", .string(kernel.rawValue)),
      ("calls", calls == calls.rounded() ? .integer(Int(calls)) : .fixed(calls, digits: 2)),
      ("ms", .fixed(seconds * 1000, digits: 3)), ("gflops", .fixed(gflops, digits: 1)),
      ("peak_fraction", .fixed(peakGFLOPS > 0 ? gflops / peakGFLOPS : 0, digits: 3)),
    ])
  }

  /// The `"products"` member of a benchmark's JSON line when it profiled them, else nothing.
  public static func jsonMembers(_ products: [ProductTime]?, peakGFLOPS: Double) -> [(
    key: String, value: JSONValue
  )] {
    guard let products else { return [] }
    return [("products", .array(products.map { $0.json(peakGFLOPS: peakGFLOPS) }))]
  }
}

extension MatmulShape {
  /// The sizes of a profiled product.
  public init(_ shape: MatmulTally.ProductShape) {
    self.init(
      m: shape.m, k: shape.k, n: shape.n, batch: shape.batch, transposeA: shape.transposeA,
      transposeB: shape.transposeB)
  }
}
