import XCTest
@testable import Data
import Support


/// Token-budget batching, padding, seeded shuffling and resuming.
final class BatchTests: XCTestCase {
  /// 500 pairs of varied, seeded lengths; ids are arbitrary non-special values.
  static let pairs: [SentencePair] = {
    var random = SplitMix64(seed: 7)
    return (0..<500).map { index in
      let sourceLength = 1 + random.next(below: 40)
      let targetLength = max(1, sourceLength + random.next(below: 11) - 5)
      return SentencePair(
        source: (0..<sourceLength).map { 300 + $0 }, target: (0..<targetLength).map { 400 + $0 },
        line: index + 1)
    }
  }()

  func testEveryPairOnceAndTheBudgetHolds() throws {
    let planner = try BatchPlanner(pairs: BatchTests.pairs, maxTokens: 256, seed: 1, chunkSize: 120)
    for epoch in 0..<3 {
      let plan = planner.plan(epoch: epoch)
      XCTAssertEqual(plan.flatMap { $0 }.sorted(), Array(0..<500), "epoch \(epoch)")
      for indices in plan {
        let batch = planner.batch(indices, position: BatchPosition(epoch: epoch))
        XCTAssertLessThanOrEqual(batch.size * max(batch.sourceLength, batch.targetLength), 256)
      }
    }
  }

  /// A decoder-only model's planner counts a row as `source </s> <s> target`: every batch's
  /// rows × longest joined row stays within the budget, batches hold fewer pairs than the
  /// encoder–decoder planner's, and its fingerprint differs (a resumed run notices).
  func testJoinedRowsCountSourcePlusTarget() throws {
    let pair = SentencePair(source: [300, 301, 302], target: [400, 401], line: 1)
    XCTAssertEqual(BatchPlanner.rowLength(of: pair, joined: false), 4)
    XCTAssertEqual(BatchPlanner.rowLength(of: pair, joined: true), 7)
    let joined = try BatchPlanner(
      pairs: BatchTests.pairs, maxTokens: 256, seed: 1, joinsSourceAndTarget: true)
    let separate = try BatchPlanner(pairs: BatchTests.pairs, maxTokens: 256, seed: 1)
    let plan = joined.plan(epoch: 0)
    XCTAssertEqual(plan.flatMap { $0 }.sorted(), Array(0..<500))
    for indices in plan {
      let batch = joined.batch(indices, position: BatchPosition())
      let longest = zip(batch.sourceLengths, batch.targetLengths).map { $0 + $1 }.max()!
      XCTAssertLessThanOrEqual(batch.size * longest, 256)
    }
    XCTAssertGreaterThan(plan.count, separate.plan(epoch: 0).count)
    XCTAssertNotEqual(joined.fingerprint, separate.fingerprint)
  }

  func testBatchesAreFullAndSortedByLength() throws {
    let planner = try BatchPlanner(pairs: BatchTests.pairs, maxTokens: 512, seed: 3)
    let plan = planner.plan(epoch: 0)
    let used = plan.map { indices in
      indices.count * indices.map { BatchPlanner.rowLength(of: BatchTests.pairs[$0]) }.max()!
    }
    // One chunk sorted by length: batches close only when the next row does not fit, so they
    // come within about two row lengths (rows are at most 41 long) of the budget, except the
    // last one cut from the chunk.
    XCTAssertLessThanOrEqual(used.filter { $0 < 512 - 2 * 41 }.count, 1, "\(used)")
    // Sorting keeps padding small: under 10% more than the rows' own lengths.
    let rowTotal = BatchTests.pairs.map(BatchPlanner.rowLength(of:)).reduce(0, +)
    XCTAssertLessThan(Double(used.reduce(0, +)), 1.1 * Double(rowTotal))
  }

  func testPaddingAndSpecialTokens() throws {
    let pairs = [
      SentencePair(source: [300, 301, 302], target: [400], line: 1),
      SentencePair(source: [310], target: [410, 411, 412], line: 2),
    ]
    let planner = try BatchPlanner(pairs: pairs, maxTokens: 100, seed: 0)
    let batch = planner.batch([0, 1], position: BatchPosition())
    XCTAssertEqual(batch.size, 2)
    XCTAssertEqual(batch.sourceLength, 4)
    XCTAssertEqual(batch.targetLength, 4)
    XCTAssertEqual(batch.sourceIDs, [300, 301, 302, 2, 310, 2, 0, 0])
    XCTAssertEqual(batch.targetInputIDs, [1, 400, 0, 0, 1, 410, 411, 412])
    XCTAssertEqual(batch.targetOutputIDs, [400, 2, 0, 0, 410, 411, 412, 2])
    XCTAssertEqual(batch.sourceLengths, [4, 2])
    XCTAssertEqual(batch.targetLengths, [2, 4])
    XCTAssertEqual(batch.targetTokenCount, 6)
  }

  func testSeedFixesTheOrderAndEpochsDiffer() throws {
    let first = try BatchPlanner(pairs: BatchTests.pairs, maxTokens: 300, seed: 42)
    let second = try BatchPlanner(pairs: BatchTests.pairs, maxTokens: 300, seed: 42)
    let other = try BatchPlanner(pairs: BatchTests.pairs, maxTokens: 300, seed: 43)
    XCTAssertEqual(first.plan(epoch: 2), second.plan(epoch: 2))
    XCTAssertNotEqual(first.plan(epoch: 0), first.plan(epoch: 1))
    XCTAssertNotEqual(first.plan(epoch: 0), other.plan(epoch: 0))
    XCTAssertEqual(first.fingerprint, second.fingerprint)
    let fewer = try BatchPlanner(
      pairs: Array(BatchTests.pairs.dropLast()), maxTokens: 300, seed: 42)
    XCTAssertNotEqual(first.fingerprint, fewer.fingerprint)
  }

  /// The generator's first outputs for seed 0, from the reference SplitMix64 (Vigna's
  /// splitmix64.c), so shuffles stay the same across Swift versions and machines.
  func testGeneratorMatchesTheReference() {
    var random = SplitMix64(seed: 0)
    XCTAssertEqual(random.next(), 0xE220_A839_7B1D_CDAF)
    XCTAssertEqual(random.next(), 0x6E78_9E6A_A1B9_65F4)
    var counts = [0, 0, 0]
    for _ in 0..<3000 { counts[random.next(below: 3)] += 1 }
    XCTAssertTrue(counts.allSatisfy { $0 > 900 }, "\(counts)")
  }

  func testResumingContinuesWithTheSameBatches() throws {
    let planner = try BatchPlanner(pairs: BatchTests.pairs, maxTokens: 400, seed: 9)
    var straight = BatchIterator(planner: planner)
    let epochZeroCount = straight.batchesInEpoch()
    var seen: [Batch] = []
    for _ in 0..<(epochZeroCount + 5) { seen.append(straight.next()!) }
    XCTAssertEqual(seen[epochZeroCount].position, BatchPosition(epoch: 1, batchIndex: 0))

    // Stop after 3 batches of epoch 0, save the position, start again from it.
    var first = BatchIterator(planner: planner)
    for _ in 0..<3 { _ = first.next() }
    XCTAssertEqual(first.position, BatchPosition(epoch: 0, batchIndex: 3))
    var resumed = BatchIterator(planner: planner, position: first.position)
    for offset in 3..<(epochZeroCount + 5) {
      XCTAssertEqual(resumed.next(), seen[offset], "batch \(offset)")
    }
    // A position past the end of its epoch starts the next epoch.
    let late = BatchIterator(
      planner: planner, position: BatchPosition(epoch: 0, batchIndex: 10_000))
    XCTAssertEqual(late.position, BatchPosition(epoch: 1, batchIndex: 0))
  }

  func testInvalidSettingsAreErrors() {
    XCTAssertThrowsError(try BatchPlanner(pairs: [], maxTokens: 10, seed: 0)) {
      XCTAssertEqual($0 as? BatchError, .noPairs)
    }
    XCTAssertThrowsError(try BatchPlanner(pairs: BatchTests.pairs, maxTokens: 0, seed: 0)) {
      XCTAssertEqual($0 as? BatchError, .invalidMaxTokens(0))
    }
    // A pair longer than the budget still gets a batch of its own.
    let long = [SentencePair(source: Array(repeating: 300, count: 20), target: [400], line: 1)]
    let planner = try? BatchPlanner(pairs: long, maxTokens: 8, seed: 0)
    XCTAssertEqual(planner?.plan(epoch: 0), [[0]])
  }
}
