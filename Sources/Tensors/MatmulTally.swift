import Synchronization

/// Counts the multiply–adds of the matrix products (`gemm`, `gemmBatched`, the row products)
/// while a `count` is running: what `bench train` divides by the step time to say how close a
/// step comes to the machine's FMA peak.
///
/// A product adds `M·N·K·batch` when it starts. The one-query attention of cached decoding
/// (`singleQueryAttention`) is dot products, not a matrix product, and is not counted. Off (the usual state) a product pays one relaxed
/// load of a flag. Counting is process-wide: products on any thread count, so time one thing at a
/// time.
public enum MatmulTally {
  private static let isCounting = Atomic<Bool>(false)
  private static let multiplyAdds = Atomic<Int>(0)

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

  /// Adds a product's `m·n·k` multiply–adds while counting.
  @inline(__always)
  static func add(m: Int, n: Int, k: Int, batch: Int = 1) {
    guard isCounting.load(ordering: .relaxed) else { return }
    multiplyAdds.add(m * n * k * batch, ordering: .relaxed)
  }
}
