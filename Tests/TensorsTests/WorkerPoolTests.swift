import Dispatch
import Foundation
import Synchronization
import XCTest

@testable import Tensors

/// The spinning workers behind `parallelForRanges`: every index once, the ranges of
/// `concurrentPerform`, a second thread really used, and the fallbacks (nested, concurrent,
/// after the workers fell asleep).
final class WorkerPoolTests: XCTestCase {
  /// How often each index of `0..<count` was visited, and by how many distinct threads.
  private func visits(
    _ count: Int, through run: (Int, (Range<Int>) -> Void) -> Void
  ) -> (counts: [Int], ranges: [Range<Int>], threads: Int) {
    let lock = NSLock()
    var counts = [Int](repeating: 0, count: count)
    var ranges: [Range<Int>] = []
    var threads = Set<ObjectIdentifier>()
    run(count) { range in
      lock.lock()
      defer { lock.unlock() }
      for i in range { counts[i] += 1 }
      ranges.append(range)
      threads.insert(ObjectIdentifier(Thread.current))
    }
    return (counts, ranges.sorted { $0.lowerBound < $1.lowerBound }, threads.count)
  }

  func testEveryIndexOnceInTheRangesOfConcurrentPerform() {
    for (count, parts) in [(1, 2), (2, 2), (7, 2), (1000, 2), (10, 3), (5, 4)] {
      let result = visits(count) { count, body in
        XCTAssertTrue(WorkerPool.shared.run(parts: parts, count: count, body))
      }
      XCTAssertEqual(result.counts, [Int](repeating: 1, count: count), "\(count) in \(parts)")
      let expected = (0..<parts).map { count * $0 / parts..<count * ($0 + 1) / parts }
        .filter { !$0.isEmpty }
      XCTAssertEqual(result.ranges, expected, "\(count) in \(parts)")
    }
  }

  func testASecondThreadRunsAPart() {
    // Each part waits until both have started, so the two must run on different threads.
    let started = Atomic<Int>(0)
    let result = visits(2) { count, body in
      XCTAssertTrue(
        WorkerPool.shared.run(parts: 2, count: count) { range in
          started.wrappingAdd(1, ordering: .sequentiallyConsistent)
          // A broken pool that ran both parts on one thread fails below instead of hanging.
          let deadline = DispatchTime.now().uptimeNanoseconds + 5_000_000_000
          while started.load(ordering: .sequentiallyConsistent) < 2
            && DispatchTime.now().uptimeNanoseconds < deadline
          {}
          body(range)
        })
    }
    XCTAssertEqual(result.threads, 2)
  }

  func testANestedCallFindsThePoolBusyAndFallsBack() {
    var nestedRan = [false, false]
    let outcome = NSLock()
    var refused = 0
    XCTAssertTrue(
      WorkerPool.shared.run(parts: 2, count: 2) { range in
        if !WorkerPool.shared.run(parts: 2, count: 1, { _ in }) {
          outcome.lock()
          refused += 1
          outcome.unlock()
        }
        // The public entry point still runs every index, through `concurrentPerform`.
        parallelForRanges(4, threads: 2) { inner in
          outcome.lock()
          if inner.contains(0) { nestedRan[range.lowerBound] = true }
          outcome.unlock()
        }
      })
    XCTAssertEqual(refused, 2)
    XCTAssertEqual(nestedRan, [true, true])
  }

  func testConcurrentCallersAndSleepingWorkers() {
    // Four threads call at once (one owns the pool, the others fall back), twice, with a pause
    // long enough for the workers to fall asleep in between.
    for round in 0..<2 {
      let lock = NSLock()
      var sums = [Int](repeating: 0, count: 4)
      DispatchQueue.concurrentPerform(iterations: 4) { caller in
        parallelForRanges(1000, threads: 2) { range in
          let part = range.reduce(0, +)
          lock.lock()
          sums[caller] += part
          lock.unlock()
        }
      }
      XCTAssertEqual(sums, [Int](repeating: 499_500, count: 4), "round \(round)")
      Thread.sleep(forTimeInterval: 0.01)  // 10 ms: well past the workers' spin
    }
  }
}
