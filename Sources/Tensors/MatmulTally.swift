import Dispatch
import Synchronization

/// Counts the multiply–adds of the matrix products (`gemm`, `gemmBatched`, the row products)
/// while a `count` is running: what `bench train` divides by the step time to say how close a
/// step comes to the machine's FMA peak; and, while a `profile` is running, times them by shape:
/// which products a step spends its time in, and how close each comes to the peak.
///
/// A product adds `M·N·K·batch` when it starts. The one-query attention of cached decoding
/// (`singleQueryAttention`) is dot products, not a matrix product, and is not counted. Off (the
/// usual state) a product pays two relaxed loads of flags. Counting and profiling are
/// process-wide: products on any thread count, so time one thing at a time. A product's time is
/// its wall time on the thread that called it; the kernels call products only from the thread
/// that runs the model (never inside a `parallelForRanges` job), so the times of a profile
/// never overlap and add up to at most the time profiled.
public enum MatmulTally {
  private static let isCounting = Atomic<Bool>(false)
  private static let multiplyAdds = Atomic<Int>(0)
  private static let isProfiling = Atomic<Bool>(false)
  private static let shapes = Mutex<[ProductShape: ProductTotals]>([:])

  /// The sizes of a product `C = op(A)·op(B)` repeated `batch` times: op(A) is M×K, op(B) K×N;
  /// `transposeA` means A is stored K×M, `transposeB` that B is stored N×K; and the kernel that
  /// computed it.
  public struct ProductShape: Hashable, Sendable {
    public var m: Int, k: Int, n: Int, batch: Int
    public var transposeA: Bool, transposeB: Bool
    public var kernel: ProductKernel
  }

  /// Which kernel computed a product.
  public enum ProductKernel: String, Sendable {
    /// The blocked GEMM, packing B as it goes (`gemm`, `gemmBatched`): what `bench matmul` times.
    case gemm
    /// The blocked GEMM on B packed beforehand (a `PackedMatrix`: a decoding step's weights).
    case packedGEMM = "gemm_packed"
    /// `rowProduct` or `rowProductTransposed`: a few rows against a weight read in place.
    case rowProduct = "row_product"
    /// `rowPanelProduct`: a few rows against a weight laid out in row panels.
    case rowPanels = "row_panels"
  }

  /// The products of one shape during a `profile`.
  public struct ProductTotals: Sendable {
    /// How many ran.
    public var calls = 0
    /// Their wall time on the threads that called them, together.
    public var seconds = 0.0
  }

  /// Runs `body` with counting on and returns its result and the multiply–adds of the products
  /// it ran.
  public static func count<Result>(_ body: () throws -> Result) rethrows -> (
    result: Result, multiplyAdds: Int
  ) {
    multiplyAdds.store(0, ordering: .relaxed)
    isCounting.store(true, ordering: .sequentiallyConsistent)
    defer { isCounting.store(false, ordering: .sequentiallyConsistent) }
    let result = try body()
    return (result, multiplyAdds.load(ordering: .sequentiallyConsistent))
  }

  /// Runs `body` with profiling on and returns its result and, for each shape of product it
  /// ran, their count and time: from a product's start to its return, every thread's share
  /// included.
  public static func profile<Result>(_ body: () throws -> Result) rethrows -> (
    result: Result, products: [ProductShape: ProductTotals]
  ) {
    isProfiling.store(true, ordering: .sequentiallyConsistent)
    let result: Result
    do {
      defer { isProfiling.store(false, ordering: .sequentiallyConsistent) }
      result = try body()
    }
    // Taken and cleared at the end, not the start: a product recorded outside a profile would
    // show in the next one.
    return (result, shapes.withLock { totals in Swift.exchange(&totals, with: [:]) })
  }

  /// Adds a product's `m·n·k·batch` multiply–adds while counting. Returns the clock at its
  /// start while profiling (0 otherwise), for `finish`.
  @inline(__always)
  static func add(m: Int, n: Int, k: Int, batch: Int = 1) -> UInt64 {
    if isCounting.load(ordering: .relaxed) {
      multiplyAdds.add(m * n * k * batch, ordering: .relaxed)
    }
    guard isProfiling.load(ordering: .relaxed) else { return 0 }
    return DispatchTime.now().uptimeNanoseconds
  }

  /// Records a product that began at `started` (`add`'s result); nothing when that was 0.
  @inline(__always)
  static func finish(
    _ started: UInt64, m: Int, n: Int, k: Int, batch: Int = 1, transposeA: Bool = false,
    transposeB: Bool = false, kernel: ProductKernel
  ) {
    guard started != 0 else { return }
    record(
      ProductShape(
        m: m, k: k, n: n, batch: batch, transposeA: transposeA, transposeB: transposeB,
        kernel: kernel),
      seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
  }

  @inline(never)
  private static func record(_ shape: ProductShape, seconds: Double) {
    shapes.withLock { totals in
      totals[shape, default: ProductTotals()].calls += 1
      totals[shape, default: ProductTotals()].seconds += seconds
    }
  }
}
