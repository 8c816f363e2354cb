// The threads behind `parallelForRanges`: persistent kernel threads that wait for work by
// spinning for a while before they sleep, as an OpenMP runtime's threads do.
//
//   WorkerPool.shared.run(parts:, count:, body)   splits 0..<count into `parts` ranges, runs range
//                                                 0 on the caller, the others on workers (or
//                                                 the caller, if it gets there first);
//                                                 false (nothing run) when the pool is busy
//
// Why: `DispatchQueue.concurrentPerform` wakes a sleeping pool thread for every call. On a KVM
// guest that wake-up is an inter-processor interrupt and tens of microseconds, more than a
// product of one decoding step takes (a [1, 256]·[256, 256] row product reads 256 KB of weights
// in ~10 µs), so a step of 25 such products spent its time waking threads, or ran them on one
// thread. A worker that spins sees a new job within a cache-line transfer (~0.1–1 µs).
//
// Each worker has a mailbox (the id of the last job posted to it) and a semaphore: it spins on
// its mailbox for `spinNanoseconds` after its last job (yielding the processor every few hundred
// checks), then announces that it sleeps and waits on the semaphore; a caller that finds it
// asleep signals it. The announcement and the caller's post are sequentially consistent
// (Dekker's pattern), so no post is missed: either the worker sees it before sleeping, or the
// caller sees it asleep and wakes it. Parts are claimed from an atomic counter, not assigned:
// the caller runs part 0 and then any part no worker has started, so a worker that is slow to
// wake (a loaded machine) never holds the caller up; the caller waits only for parts in progress.
//
// Whether small work is worth the hand-off depends on whether a second core is free; the pool
// keeps score (`WorkerResponsiveness`), and the row products ask it.
//
// One caller at a time owns the pool. A `parallelForRanges` inside a job (nested), or from a
// second thread while the pool is busy, takes the old path, `concurrentPerform`, so any use that
// was correct before stays correct. Ranges are cut as before (`count·t/parts`), so every kernel's
// results are the same whichever path runs it.

import Dispatch
import Foundation
import Synchronization

/// Persistent kernel threads that spin before they sleep (see the file header).
final class WorkerPool: @unchecked Sendable {
  /// The pool every `parallelForRanges` uses; workers are added as thread counts ask for them.
  static let shared = WorkerPool()

  /// How long an idle worker spins before it sleeps: longer than the gap between two kernels
  /// of a decoding step, short enough not to hold a core through a pause.
  static let spinNanoseconds: UInt64 = 200_000

  /// How long a worker spins now: `spinNanoseconds` while small work splits; while it does
  /// not (a busy machine, see `WorkerResponsiveness`) only the large jobs come, for which a
  /// wake-up is cheap, and a spinning worker would take a core from the threads that have work.
  private var spinNanoseconds: UInt64 {
    responsiveness.isSplitting ? Self.spinNanoseconds : 2_000
  }

  /// One persistent thread and its mailbox.
  private final class Worker: @unchecked Sendable {
    /// The id of the last job posted to this worker.
    let posted = Atomic<Int>(0)
    /// True while the worker waits (or is about to wait) on `wake`.
    let sleeping = Atomic<Bool>(false)
    /// Signalled by a caller that finds the worker asleep.
    let wake = DispatchSemaphore(value: 0)
  }

  /// Whether the workers have recently joined jobs in time, which decides whether small
  /// products split (`rowProductMinimumWork`).
  let responsiveness = WorkerResponsiveness()

  /// Whether a caller owns the pool.
  private let owned = Atomic<Bool>(false)
  /// The current job's id (bits 16…), its part count (bits 8–15) and its next unclaimed part
  /// (bits 0–7). Parts are claimed, not assigned: a worker that is slow to wake (a loaded
  /// machine) finds its part already run by the caller, instead of the caller waiting for it.
  private let state = Atomic<Int>(0)
  /// Claimed parts of the current job not yet finished, part 0 aside.
  private let pending = Atomic<Int>(0)
  /// The workers; only the owner reads or grows it.
  private var workers: [Worker] = []
  /// The last job's id; only the owner reads or writes it.
  private var lastJob = 0
  /// The current job: runs part `index` (the caller is part 0). Written by the owner before it
  /// posts, read by whoever claimed a part, cleared after every claimed part finished.
  private var job: ((Int) -> Void)?

  /// Splits `0..<count` into `parts` contiguous ranges `count·t/parts ..< count·(t+1)/parts` and
  /// runs `body` on each, range 0 on the calling thread and the others on whichever thread
  /// claims them first (a worker, or the caller once its own range is done), returning when all
  /// are done.
  ///
  /// - Returns: false, having run nothing, when another call owns the pool (a nested call from
  ///   inside a job, or a concurrent one from another thread).
  func run(parts: Int, count: Int, _ body: (Range<Int>) -> Void) -> Bool {
    guard parts < 256,
      owned.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
    else { return false }
    defer { owned.store(false, ordering: .releasing) }
    let helpers = parts - 1
    while workers.count < helpers { start(Worker()) }
    lastJob += 1
    let id = lastJob
    withoutActuallyEscaping(body) { body in
      job = { part in
        let start = count * part / parts
        let end = count * (part + 1) / parts
        if start < end { body(start..<end) }
      }
      pending.store(helpers, ordering: .relaxed)
      state.store(id << 16 | parts << 8 | 1, ordering: .sequentiallyConsistent)
      for worker in workers.prefix(helpers) {
        worker.posted.store(id, ordering: .sequentiallyConsistent)
        if worker.sleeping.exchange(false, ordering: .sequentiallyConsistent) {
          worker.wake.signal()
        }
      }
      let began = DispatchTime.now().uptimeNanoseconds
      job!(0)
      let joined = state.load(ordering: .acquiring) & 0xFF > 1
      runClaimedParts(of: id)
      let ownEnd = DispatchTime.now().uptimeNanoseconds
      var spins = 0
      while pending.load(ordering: .acquiring) > 0 {
        // A part runs on a worker; on a loaded machine that thread may wait for a processor.
        spins &+= 1
        if spins > 1000 { sched_yield() }
      }
      // In time: a worker joined while part 0 ran and did not then keep the caller waiting
      // longer than its own share took (a worker preempted mid-part does).
      let waited = spins == 0 ? 0 : DispatchTime.now().uptimeNanoseconds - ownEnd
      responsiveness.record(prompt: joined && waited <= ownEnd - began)
      job = nil
    }
    return true
  }

  /// Claims and runs parts of job `id` until none is left.
  private func runClaimedParts(of id: Int) {
    while let part = claim(id) {
      runPart(part)
      pending.wrappingSubtract(1, ordering: .releasing)
    }
  }

  /// The next unclaimed part of job `id`, now claimed; nil when job `id` has none left (or is
  /// over).
  private func claim(_ id: Int) -> Int? {
    var current = state.load(ordering: .acquiring)
    while true {
      let (next, parts) = (current & 0xFF, current >> 8 & 0xFF)
      guard current >> 16 == id, next < parts else { return nil }
      let (exchanged, original) = state.compareExchange(
        expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
      if exchanged { return next }
      current = original
    }
  }

  /// Starts `worker`'s thread; its mailbox is still at 0, so it waits for the next post.
  private func start(_ worker: Worker) {
    workers.append(worker)
    let thread = Thread { [self] in self.serve(worker) }
    thread.name = "kernel worker \(workers.count)"
    thread.start()
  }

  /// A worker's loop: wait for a post, run the parts it can claim.
  private func serve(_ worker: Worker) {
    var seen = 0
    while true {
      seen = waitForPost(worker, after: seen)
      runClaimedParts(of: seen)
    }
  }

  /// Runs part `part` of the job. Not inlined, so that the worker's reference to the job is
  /// released before it reports the part done: `run` then finds the job's closure unshared, as
  /// `withoutActuallyEscaping` checks.
  @inline(never)
  private func runPart(_ part: Int) {
    job!(part)
  }

  /// Spins until `worker`'s mailbox changes from `seen`, sleeping once it has spun
  /// `spinNanoseconds` without a post; returns the posted job's id. The spin yields the
  /// processor now and then, so that on a loaded machine it does not hold it from others.
  private func waitForPost(_ worker: Worker, after seen: Int) -> Int {
    var deadline = DispatchTime.now().uptimeNanoseconds + spinNanoseconds
    var spins = 0
    while true {
      let posted = worker.posted.load(ordering: .acquiring)
      if posted != seen { return posted }
      spins &+= 1
      guard spins & 255 == 0 else { continue }
      sched_yield()
      guard DispatchTime.now().uptimeNanoseconds > deadline else { continue }
      worker.sleeping.store(true, ordering: .sequentiallyConsistent)
      if worker.posted.load(ordering: .sequentiallyConsistent) != seen,
        worker.sleeping.exchange(false, ordering: .sequentiallyConsistent)
      {
        continue  // posted just now, and the caller did not see it asleep: nothing to wait for
      }
      // Asleep, or the caller saw it asleep and signals: either way one signal is due.
      worker.wake.wait()
      deadline = DispatchTime.now().uptimeNanoseconds + spinNanoseconds
    }
  }
}
