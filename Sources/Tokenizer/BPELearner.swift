/// One learned merge: the ids of the two pieces it joins and of the piece it makes.
struct BPEMerge: Equatable, Sendable {
  var left: Int32
  var right: Int32
  var result: Int32
}

/// Learns byte-pair-encoding merges from word frequencies (Sennrich et al., 2016, §3.2).
///
/// Speed comes from never rescanning the corpus: words are counted once, and each merge touches
/// only the words that contain the merged pair (an index from pair to words) and adjusts the
/// pair counts by the difference between each word's old and new pairs. The next pair comes from
/// a lazily updated max-heap. Ties between equally frequent pairs go to the pair whose left piece,
/// then right piece, is smaller byte by byte, so the merges do not depend on hashing or input
/// order and every run learns the same model.
final class BPELearner {
  private var vocabulary = Vocabulary()
  private var merges: [BPEMerge] = []
  private var learnedPairs: Set<UInt64> = []
  /// Distinct segments: runs of alphabet characters that merges may join, each with its count.
  private var words: [[Int32]] = []
  private var wordCounts: [Int] = []
  private var pairCounts: [UInt64: Int] = [:]
  /// For each pair, the words that contained it when it appeared; entries can go stale and are
  /// checked when used.
  private var pairWords: [UInt64: [Int32]] = [:]
  private var queue = BPEPairQueue()
  /// Learned pieces may not spell a special or byte piece, or the model file and the pieces on
  /// `bpe encode`'s output would become ambiguous.
  private let reservedPieces: Set<[UInt8]>

  private init() {
    let reserved = Vocabulary()
    reservedPieces = Set(reserved.pieceBytes[0..<Vocabulary.byteIDs.upperBound])
  }

  /// Learns a vocabulary of at most `vocabularySize` pieces from words and their counts.
  ///
  /// The alphabet is every character of the words except `▁`, most frequent first, cut short
  /// if it alone would overflow the vocabulary (dropped characters fall back to bytes). Merging
  /// stops at the requested size or when no pair occurs `minimumPairCount` times.
  static func learn(
    wordCounts: [[Unicode.Scalar]: Int], vocabularySize: Int, minimumPairCount: Int
  ) -> (vocabulary: Vocabulary, merges: [BPEMerge]) {
    let learner = BPELearner()
    let characterIDs = learner.addAlphabet(of: wordCounts, vocabularySize: vocabularySize)
    learner.addSegments(of: wordCounts, characterIDs: characterIDs)
    learner.countPairs()
    learner.mergeUntil(vocabularySize: vocabularySize, minimumPairCount: minimumPairCount)
    return (learner.vocabulary, learner.merges)
  }

  /// Adds the alphabet to the vocabulary and returns each character's id.
  private func addAlphabet(
    of wordCounts: [[Unicode.Scalar]: Int], vocabularySize: Int
  ) -> [Unicode.Scalar: Int32] {
    var characterCounts: [Unicode.Scalar: Int] = [:]
    for (word, count) in wordCounts {
      for scalar in word where scalar != Vocabulary.wordBoundary {
        characterCounts[scalar, default: 0] += count
      }
    }
    let ordered = characterCounts.sorted {
      $0.value != $1.value ? $0.value > $1.value : $0.key.value < $1.key.value
    }
    var ids: [Unicode.Scalar: Int32] = [:]
    for (scalar, _) in ordered.prefix(max(0, vocabularySize - vocabulary.count)) {
      ids[scalar] = Int32(vocabulary.append(Array(String(scalar).utf8)))
    }
    return ids
  }

  /// Splits every word into segments that merges may work on. A `▁` in the text or a character
  /// outside the alphabet becomes byte pieces at encoding time and is never merged, so it ends a
  /// segment here.
  private func addSegments(
    of wordCounts: [[Unicode.Scalar]: Int], characterIDs: [Unicode.Scalar: Int32]
  ) {
    var segmentCounts: [[Int32]: Int] = [:]
    for (word, count) in wordCounts {
      var segment: [Int32] = [Int32(Vocabulary.wordBoundaryID)]
      for scalar in word {
        if let id = characterIDs[scalar] {
          segment.append(id)
        } else {
          if segment.count > 1 { segmentCounts[segment, default: 0] += count }
          segment.removeAll(keepingCapacity: true)
        }
      }
      if segment.count > 1 { segmentCounts[segment, default: 0] += count }
    }
    words.reserveCapacity(segmentCounts.count)
    self.wordCounts.reserveCapacity(segmentCounts.count)
    for (segment, count) in segmentCounts {
      words.append(segment)
      self.wordCounts.append(count)
    }
  }

  /// Counts every adjacent pair, indexes the words holding it, and queues them all.
  private func countPairs() {
    for (index, word) in words.enumerated() {
      let count = wordCounts[index]
      for position in 0..<(word.count - 1) {
        let key = BPEPairEntry.key(word[position], word[position + 1])
        pairCounts[key, default: 0] += count
        if pairWords[key]?.last != Int32(index) { pairWords[key, default: []].append(Int32(index)) }
      }
    }
    for (key, count) in pairCounts {
      queue.push(
        BPEPairEntry(count: count, left: leftID(of: key), right: rightID(of: key)), by: popsFirst)
    }
  }

  /// Performs merges, best pair first, until the vocabulary is full or pairs run out.
  private func mergeUntil(vocabularySize: Int, minimumPairCount: Int) {
    var deltas: [UInt64: Int] = [:]
    while vocabulary.count < vocabularySize, let entry = queue.pop(by: popsFirst) {
      let key = entry.key
      let current = pairCounts[key] ?? 0
      if current != entry.count {
        // Stale: the pair lost occurrences since it was queued. Re-queue its true count.
        if current > 0 {
          queue.push(
            BPEPairEntry(count: current, left: entry.left, right: entry.right), by: popsFirst)
        }
        continue
      }
      // The top valid entry is the most frequent pair, so nothing better remains.
      if current < minimumPairCount { break }
      let joined = vocabulary.pieceBytes[Int(entry.left)] + vocabulary.pieceBytes[Int(entry.right)]
      if reservedPieces.contains(joined) { continue }
      // Two different merges can spell the same piece ("a"+"bc", "ab"+"c"); they share its id.
      let result = Int32(vocabulary.append(joined))
      if learnedPairs.insert(key).inserted {
        merges.append(BPEMerge(left: entry.left, right: entry.right, result: result))
      }
      apply(entry.left, entry.right, as: result, deltas: &deltas)
    }
  }

  /// Replaces every occurrence of the pair in the words that hold it and updates the counts.
  private func apply(_ left: Int32, _ right: Int32, as result: Int32, deltas: inout [UInt64: Int]) {
    let key = BPEPairEntry.key(left, right)
    deltas.removeAll(keepingCapacity: true)
    var merged: [Int32] = []
    for wordIndex in pairWords.removeValue(forKey: key) ?? [] {
      let word = words[Int(wordIndex)]
      merged.removeAll(keepingCapacity: true)
      var position = 0
      while position < word.count {
        if position + 1 < word.count, word[position] == left, word[position + 1] == right {
          merged.append(result)
          position += 2
        } else {
          merged.append(word[position])
          position += 1
        }
      }
      // Entries in the index can be stale; a word without the pair is left alone.
      if merged.count == word.count { continue }
      let count = wordCounts[Int(wordIndex)]
      for position in 0..<(word.count - 1) {
        deltas[BPEPairEntry.key(word[position], word[position + 1]), default: 0] -= count
      }
      for position in 0..<max(0, merged.count - 1) {
        let pair = (merged[position], merged[position + 1])
        let pairKey = BPEPairEntry.key(pair.0, pair.1)
        deltas[pairKey, default: 0] += count
        // Only pairs with the new piece are new to this word; the others are already indexed.
        if pair.0 == result || pair.1 == result, pairWords[pairKey]?.last != wordIndex {
          pairWords[pairKey, default: []].append(wordIndex)
        }
      }
      words[Int(wordIndex)] = merged
    }
    for (pairKey, delta) in deltas where delta != 0 {
      let updated = (pairCounts[pairKey] ?? 0) + delta
      if updated > 0 { pairCounts[pairKey] = updated } else { pairCounts[pairKey] = nil }
      if delta > 0 {
        queue.push(
          BPEPairEntry(count: updated, left: leftID(of: pairKey), right: rightID(of: pairKey)),
          by: popsFirst)
      }
    }
    pairCounts[key] = nil
  }

  /// The queue order: higher count first, then the smaller left piece, then the smaller right
  /// piece, comparing UTF-8 bytes.
  private func popsFirst(_ a: BPEPairEntry, _ b: BPEPairEntry) -> Bool {
    if a.count != b.count { return a.count > b.count }
    if a.left != b.left {
      return vocabulary.pieceBytes[Int(a.left)].lexicographicallyPrecedes(
        vocabulary.pieceBytes[Int(b.left)])
    }
    if a.right != b.right {
      return vocabulary.pieceBytes[Int(a.right)].lexicographicallyPrecedes(
        vocabulary.pieceBytes[Int(b.right)])
    }
    return false
  }

  private func leftID(of key: UInt64) -> Int32 { Int32(bitPattern: UInt32(key >> 32)) }
  private func rightID(of key: UInt64) -> Int32 { Int32(bitPattern: UInt32(key & 0xFFFF_FFFF)) }
}
