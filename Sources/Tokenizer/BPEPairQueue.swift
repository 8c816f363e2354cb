/// A candidate merge: an adjacent pair of symbols and how often it occurred when queued.
struct BPEPairEntry {
  /// The pair's weighted count at the time it was pushed; may be stale when popped.
  var count: Int
  /// The left symbol's id.
  var left: Int32
  /// The right symbol's id.
  var right: Int32

  /// The pair packed into one dictionary key: left in the high half, right in the low half.
  var key: UInt64 { BPEPairEntry.key(left, right) }

  /// Packs two symbol ids into a key.
  @inline(__always)
  static func key(_ left: Int32, _ right: Int32) -> UInt64 {
    UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
  }
}

/// A binary max-heap of candidate merges, ordered by a caller-supplied "pops first" relation.
///
/// The learner uses it lazily: counts that fall are not updated in place; an entry is checked
/// against the current count when it reaches the top and re-queued if it is stale. Counts that
/// rise get a fresh entry. So the top valid entry is always the true best pair, and no
/// decrease-key (with its index bookkeeping) is needed.
struct BPEPairQueue {
  private var entries: [BPEPairEntry] = []

  /// The number of queued entries, stale ones included.
  var count: Int { entries.count }

  /// Adds an entry. `popsFirst(a, b)` is true when `a` must leave the queue before `b`.
  mutating func push(
    _ entry: BPEPairEntry, by popsFirst: (BPEPairEntry, BPEPairEntry) -> Bool
  ) {
    entries.append(entry)
    var child = entries.count - 1
    while child > 0 {
      let parent = (child - 1) / 2
      guard popsFirst(entries[child], entries[parent]) else { break }
      entries.swapAt(child, parent)
      child = parent
    }
  }

  /// Removes and returns the entry that pops first, or nil when the queue is empty.
  mutating func pop(by popsFirst: (BPEPairEntry, BPEPairEntry) -> Bool) -> BPEPairEntry? {
    guard let top = entries.first else { return nil }
    let last = entries.removeLast()
    guard !entries.isEmpty else { return top }
    entries[0] = last
    var parent = 0
    while true {
      let left = 2 * parent + 1
      guard left < entries.count else { break }
      var best = left
      let right = left + 1
      if right < entries.count, popsFirst(entries[right], entries[left]) { best = right }
      guard popsFirst(entries[best], entries[parent]) else { break }
      entries.swapAt(best, parent)
      parent = best
    }
    return top
  }
}
