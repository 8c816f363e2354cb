import Support
/// Groups sentence pairs into batches by token count, reshuffled every epoch.
///
/// Each epoch (fairseq's and Marian's recipe, deterministic from the seed):
/// 1. shuffle the pairs;
/// 2. cut the shuffled list into chunks of ``chunkSize`` pairs and sort each chunk by length,
///    so that sentences of similar length share a batch and little is spent on padding;
/// 3. walk each sorted chunk, closing a batch before `rows × longest row` would exceed
///    ``maxTokens`` (the row length is the longer of the padded source and target rows, or for
///    a decoder-only model, ``joinsSourceAndTarget``, their sum: its one row holds both);
/// 4. shuffle the order of the batches, so that lengths do not rise and fall with the chunks.
///
/// Every pair is in exactly one batch per epoch. A pair that alone exceeds the budget gets a
/// batch of its own rather than being dropped (filter long pairs with the corpus's
/// `maxLength`).
public struct BatchPlanner: Sendable {
  /// The pairs being batched.
  public let pairs: [SentencePair]
  /// The most padded tokens (rows × longest row) a batch may hold.
  public let maxTokens: Int
  /// The seed that fixes every epoch's order.
  public let seed: UInt64
  /// How many shuffled pairs are sorted together.
  public let chunkSize: Int
  /// Whether the model reads source and target as one row (`source </s> <s> target`, a
  /// decoder-only model), so that a row's length is their sum.
  public let joinsSourceAndTarget: Bool

  /// A planner for `pairs`.
  /// - Parameters:
  ///   - maxTokens: the token budget per batch, padding included.
  ///   - seed: fixes the order of every epoch.
  ///   - chunkSize: the pairs sorted by length together; larger wastes less padding, smaller
  ///     mixes lengths more. The default sorts about a hundred batches of 4,096 tokens at once.
  ///   - joinsSourceAndTarget: count a row as source + target (a decoder-only model).
  public init(
    pairs: [SentencePair], maxTokens: Int, seed: UInt64, chunkSize: Int = 10_000,
    joinsSourceAndTarget: Bool = false
  ) throws(BatchError) {
    guard !pairs.isEmpty else { throw .noPairs }
    guard maxTokens > 0 else { throw .invalidMaxTokens(maxTokens) }
    guard chunkSize > 0 else { throw .invalidChunkSize(chunkSize) }
    self.pairs = pairs
    self.maxTokens = maxTokens
    self.seed = seed
    self.chunkSize = chunkSize
    self.joinsSourceAndTarget = joinsSourceAndTarget
  }

  /// The padded row length a pair needs: the longer of source + `</s>` and target + `<s>`.
  public static func rowLength(of pair: SentencePair) -> Int {
    max(pair.source.count, pair.target.count) + 1
  }

  /// The row length a pair needs: the longer of source + `</s>` and target + `<s>`, or with
  /// `joined` (decoder-only) both in one row, `source </s> <s> target`.
  public static func rowLength(of pair: SentencePair, joined: Bool) -> Int {
    joined ? pair.source.count + pair.target.count + 2 : rowLength(of: pair)
  }

  /// The row length of `pair` in this planner's batches.
  private func rowLength(of pair: SentencePair) -> Int {
    Self.rowLength(of: pair, joined: joinsSourceAndTarget)
  }

  /// The batches of `epoch`, in training order, as lists of pair indices.
  public func plan(epoch: Int) -> [[Int]] {
    var random = SplitMix64(seed: seed, stream: UInt64(truncatingIfNeeded: epoch))
    var order = Array(pairs.indices)
    random.shuffle(&order)
    var batches: [[Int]] = []
    var chunkStart = 0
    while chunkStart < order.count {
      let chunkEnd = min(chunkStart + chunkSize, order.count)
      // Sort keys: row length, then total length, then index, so the order is total and no
      // sort stability is assumed.
      let chunk = order[chunkStart..<chunkEnd].sorted { a, b in
        let lengthA = rowLength(of: pairs[a])
        let lengthB = rowLength(of: pairs[b])
        if lengthA != lengthB { return lengthA < lengthB }
        let totalA = pairs[a].source.count + pairs[a].target.count
        let totalB = pairs[b].source.count + pairs[b].target.count
        if totalA != totalB { return totalA < totalB }
        return a < b
      }
      cut(chunk, into: &batches)
      chunkStart = chunkEnd
    }
    random.shuffle(&batches)
    return batches
  }

  /// Pads the pairs of one planned batch.
  public func batch(_ indices: [Int], position: BatchPosition) -> Batch {
    Batch(pairs: pairs, indices: indices, position: position)
  }

  /// Splits a length-sorted chunk into batches within the token budget.
  private func cut(_ chunk: [Int], into batches: inout [[Int]]) {
    var current: [Int] = []
    var longest = 0
    for index in chunk {
      let length = rowLength(of: pairs[index])
      let widened = max(longest, length)
      if !current.isEmpty, (current.count + 1) * widened > maxTokens {
        batches.append(current)
        current.removeAll(keepingCapacity: true)
        longest = 0
      }
      current.append(index)
      longest = max(longest, length)
    }
    if !current.isEmpty { batches.append(current) }
  }

  /// A 64-bit fingerprint of the pairs and settings (FNV-1a). A run that resumes should find
  /// the same value; a different one means the corpus or settings changed and the saved
  /// position no longer points at the same batches.
  public var fingerprint: UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    func mix(_ value: Int) {
      hash = (hash ^ UInt64(truncatingIfNeeded: value)) &* 0x0000_0100_0000_01B3
    }
    mix(maxTokens)
    mix(chunkSize)
    mix(Int(truncatingIfNeeded: seed))
    // Only a joined planner mixes its layout in, so the fingerprints of existing runs stay.
    if joinsSourceAndTarget { mix(-1) }
    for pair in pairs {
      mix(pair.source.count)
      for id in pair.source { mix(id) }
      mix(pair.target.count)
      for id in pair.target { mix(id) }
    }
    return hash
  }
}
