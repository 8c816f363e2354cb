import Support

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
    let product = MemoryEstimate.product
    let keyPanels = (keys + tileKeys - 1) / tileKeys * tileKeys
    // Each thread's tiles, as the forward sizes them; the keys in panels grow with S.
    let forward = MemoryEstimate.sum(
      product(2 * tileRows, padded), product(keyPanels, padded), product(tileKeys, padded),
      product(tileRows, tileKeys), product(2, tileRows))
    guard let forward else { return nil }
    guard backward else { return product(forward, threads, 4) }
    // The fused backward's, whose dQ rows of a key/value head's query heads grow with T; and
    // δ, one float per query row, once.
    let group = heads / Swift.max(1, keyValueHeads)
    let fused = MemoryEstimate.sum(
      product(3 * tileKeys, padded), product(2 * tileRows, padded),
      product(2 * tileRows, tileKeys), product(2 * tileKeys, padded),
      MemoryEstimate.sum(product(queries, group), product(3, group)).flatMap {
        product($0, padded)
      })
    guard let fused else { return nil }
    let floats = MemoryEstimate.sum(
      product(Swift.max(forward, fused), threads), product(batch, heads, queries))
    return floats.flatMap { product($0, 4) }
  }
}
