import Foundation

/// Applies learned merges to words, with a cache of the words already seen.
///
/// Natural text repeats a small set of words, so after the first few thousand sentences almost
/// every word is a cache hit and encoding costs a dictionary lookup per word. The cache is shared
/// by all copies of a model and guarded by a lock, so one model can encode from several threads.
final class BPEEncoder: @unchecked Sendable {
  /// The rank (position in the learned order) and result of each merge, keyed by the pair.
  private let merges: [UInt64: (rank: Int32, result: Int32)]
  /// The alphabet: characters that have a piece of their own.
  private let characterIDs: [Unicode.Scalar: Int32]
  private var cache: [[Unicode.Scalar]: [Int32]] = [:]
  private let lock = NSLock()
  /// Beyond this many distinct words the cache starts over, bounding memory on unbounded input.
  private let cacheLimit = 1 << 20

  /// An encoder for `merges` over `vocabulary`. The alphabet is every single-character piece
  /// that is not reserved.
  init(vocabulary: Vocabulary, merges: [BPEMerge]) {
    var ranks: [UInt64: (rank: Int32, result: Int32)] = [:]
    for (rank, merge) in merges.enumerated() {
      let key = BPEPairEntry.key(merge.left, merge.right)
      // Should a pair appear twice, the earlier merge wins, as it did while learning.
      if ranks[key] == nil { ranks[key] = (Int32(rank), merge.result) }
    }
    self.merges = ranks
    var characters: [Unicode.Scalar: Int32] = [:]
    for id in Vocabulary.reservedCount..<vocabulary.count {
      let scalars = vocabulary.pieces[id].unicodeScalars
      if scalars.count == 1, let scalar = scalars.first, scalar != Vocabulary.wordBoundary {
        characters[scalar] = Int32(id)
      }
    }
    characterIDs = characters
  }

  /// The piece ids of one word (a run of non-space characters), word-boundary mark included.
  func encode(word: ArraySlice<Unicode.Scalar>) -> [Int32] {
    let key = Array(word)
    lock.lock()
    let cached = cache[key]
    lock.unlock()
    if let cached { return cached }
    let ids = encodeUncached(key)
    lock.lock()
    if cache.count >= cacheLimit { cache.removeAll(keepingCapacity: true) }
    cache[key] = ids
    lock.unlock()
    return ids
  }

  /// Splits the word at characters outside the alphabet (and at a literal `▁`), which become
  /// byte pieces, and merges each run in between.
  private func encodeUncached(_ word: [Unicode.Scalar]) -> [Int32] {
    var ids: [Int32] = []
    ids.reserveCapacity(word.count + 1)
    var segment: [Int32] = [Int32(Vocabulary.wordBoundaryID)]
    for scalar in word {
      if let id = characterIDs[scalar] {
        segment.append(id)
        continue
      }
      ids.append(contentsOf: merge(segment))
      segment.removeAll(keepingCapacity: true)
      for byte in String(scalar).utf8 { ids.append(Int32(Vocabulary.id(forByte: byte))) }
    }
    ids.append(contentsOf: merge(segment))
    return ids
  }

  /// Applies merges to a run of symbols, lowest rank first (leftmost first among equal ranks),
  /// until none applies.
  ///
  /// The symbols form a linked list and the candidate pairs a min-heap keyed by (rank,
  /// position), so a word of n characters costs O(n log n) rather than the O(n²) of rescanning
  /// after every merge; that matters only for long runs without spaces (URLs, base64, code),
  /// which must not stall encoding. Heap entries go stale as neighbours merge and are checked
  /// when popped.
  private func merge(_ segment: [Int32]) -> [Int32] {
    guard segment.count > 1 else { return segment }
    var ids = segment
    var next = Array(1...segment.count)  // segment.count marks the end
    var previous = Array(-1..<(segment.count - 1))
    var heap = MinHeap()
    func rank(at position: Int) -> (rank: Int32, result: Int32)? {
      let right = next[position]
      guard right < ids.count else { return nil }
      return merges[BPEPairEntry.key(ids[position], ids[right])]
    }
    func pushCandidate(at position: Int) {
      if let found = rank(at: position) { heap.push(UInt64(found.rank) << 32 | UInt64(position)) }
    }
    for position in 0..<(ids.count - 1) { pushCandidate(at: position) }
    while let top = heap.pop() {
      let position = Int(top & 0xFFFF_FFFF)
      // Valid only if the pair now at `position` still has this rank (position may have been
      // merged away, marked by a negative id, or its neighbours may have changed).
      guard ids[position] >= 0, let found = rank(at: position), UInt64(found.rank) == top >> 32
      else { continue }
      let right = next[position]
      ids[position] = found.result
      ids[right] = -1
      next[position] = next[right]
      if next[right] < ids.count { previous[next[right]] = position }
      if previous[position] >= 0 { pushCandidate(at: previous[position]) }
      pushCandidate(at: position)
    }
    return ids.filter { $0 >= 0 }
  }
}

/// A binary min-heap of packed (rank, position) keys.
private struct MinHeap {
  private var keys: [UInt64] = []

  mutating func push(_ key: UInt64) {
    keys.append(key)
    var child = keys.count - 1
    while child > 0 {
      let parent = (child - 1) / 2
      guard keys[child] < keys[parent] else { break }
      keys.swapAt(child, parent)
      child = parent
    }
  }

  mutating func pop() -> UInt64? {
    guard let top = keys.first else { return nil }
    let last = keys.removeLast()
    guard !keys.isEmpty else { return top }
    keys[0] = last
    var parent = 0
    while true {
      let left = 2 * parent + 1
      guard left < keys.count else { break }
      let right = left + 1
      let smaller = right < keys.count && keys[right] < keys[left] ? right : left
      guard keys[smaller] < keys[parent] else { break }
      keys.swapAt(smaller, parent)
      parent = smaller
    }
    return top
  }
}
