/// What the memory-efficient kernel allocates beside its inputs and outputs, so that
/// `bench attention` can refuse a length that cannot fit (as `StandardAttentionMemory` does
/// for the standard kernel's matrices). No `[T, S]` matrix, but two buffers grow with the
/// length, one per thread: the forward's keys of a head transposed into padded panels
/// (S·K′ floats, K′ = K rounded up to 16: sixteen times K at K = 2), and the fused backward's
/// query-gradient accumulators of a key/value head's query heads (group·(T + 3)·K′ floats);
/// the backward also keeps δ = rowsum(dO ⊙ O), one float per query row.
extension AttentionShape {
  /// The peak bytes of the kernel's own buffers with `threads` threads (each thread's tiles,
  /// sized as the kernels size them), the forward's or, with `backward`, the larger of the
  /// forward's and the backward's; nil when that overflows `Int`.
  public func scratchBytes(threads: Int, backward: Bool) -> Int? {
    let padded = AttentionTile.roundUp(headSize, 16)
    let (tileKeys, tileRows) = (AttentionTile.keys, AttentionTile.queries)
    func floats(_ terms: [(Int, Int)]) -> Int? {
      var total = 0
      for (a, b) in terms {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        guard !overflow else { return nil }
        let (sum, carry) = total.addingReportingOverflow(product)
        guard !carry else { return nil }
        total = sum
      }
      return total
    }
    let keyPanels = (keys + tileKeys - 1) / tileKeys * tileKeys
    let forward = floats([
      (2 * tileRows, padded), (keyPanels, padded), (tileKeys, padded), (tileRows, tileKeys),
      (2, tileRows),
    ])
    var perThread = forward
    var shared = 0
    if backward {
      let group = heads / Swift.max(1, keyValueHeads)
      let (queryRows, overflow) = (queries + 3).multipliedReportingOverflow(by: group)
      let fused =
        overflow
        ? nil
        : floats([
          (3 * tileKeys, padded), (2 * tileRows, padded), (2 * tileRows, tileKeys),
          (2 * tileKeys, padded), (queryRows, padded),
        ])
      guard let fused, let current = perThread else { return nil }
      perThread = Swift.max(current, fused)
      guard let heads = floats([(batch, heads)]), let rows = floats([(heads, queries)])
      else { return nil }
      shared = rows
    }
    guard let perThread, let all = floats([(perThread, threads), (shared, 1)]) else { return nil }
    let (bytes, overflow) = all.multipliedReportingOverflow(by: 4)
    return overflow ? nil : bytes
  }
}
