// When a small product is worth a second thread: only while the pool's workers answer at once.
//
// On an idle machine a spinning worker claims its part of a job within a microsecond, so
// splitting even a [1, 256]·[256, 256] product (~10 µs) pays. On a machine with more runnable
// threads than cores the worker is often not running when the job is posted; the caller then
// runs the part itself (no harm), or the worker claims it and is preempted half-way (the caller
// waits a time slice for it). Measured with decoding at batch 1 beside other jobs (load average
// 8–13 on 2 cores): 12–14 sentences/s with every small product split, 19–23 with the old rule
// of one thread below 262,144 multiply–adds per thread.
//
// So the pool records, for every job, whether it went as on an idle machine
// (``record(prompt:)``): a worker had claimed a part by the time the caller finished part 0,
// and the caller, done with its share, then waited for the workers no longer than that share
// took. Small products split while most recent jobs went so (``splitsSmallWork``); once more
// than half of them did not, small products run on the calling thread, the workers stop
// spinning, and only larger work (the vocabulary projection, the GEMM) uses the pool, its jobs
// still recording, so that the pool is trusted again when the machine quietens. Without larger
// work every 32nd small product is split anyway, as a probe.

import Synchronization

/// A running score of how often the pool's workers joined a job in time (see the file header).
struct WorkerResponsiveness: ~Copyable {
  /// The score's scale: 1 is `unit`.
  static let unit = 1 << 16
  /// The weight of the newest job in the mean: 1/16, so about the last 16 jobs count.
  static let shift = 4
  /// Above this mean of misses small products stop splitting...
  static let contendedAbove = unit / 2
  /// ...and below this one they split again (the gap keeps a score near one line from
  /// switching every job).
  static let promptBelow = unit / 4
  /// While small products do not split, every `probeInterval`-th one splits anyway.
  static let probeInterval = 32

  /// The exponential mean of misses (1 per job that no worker joined in time), times `unit`.
  private let missScore = Atomic<Int>(0)
  /// Whether small products split.
  private let splitting = Atomic<Bool>(true)
  /// Small products kept on the caller since the last probe.
  private let skipped = Atomic<Int>(0)

  init() {}

  /// Records one job: `prompt` when it went as on an idle machine (see the file header). Called
  /// by the pool's owner only, so a plain load and store suffice.
  func record(prompt: Bool) {
    let score = missScore.load(ordering: .relaxed)
    let target = prompt ? 0 : Self.unit
    let next = score + (target - score) >> Self.shift
    missScore.store(next, ordering: .relaxed)
    if splitting.load(ordering: .relaxed) {
      if next > Self.contendedAbove { splitting.store(false, ordering: .relaxed) }
    } else if next < Self.promptBelow {
      splitting.store(true, ordering: .relaxed)
    }
  }

  /// Whether a small piece of work should be split now: while workers answer promptly, and
  /// as every `probeInterval`-th otherwise.
  func splitsSmallWork() -> Bool {
    if splitting.load(ordering: .relaxed) { return true }
    let count = skipped.wrappingAdd(1, ordering: .relaxed).newValue
    return count % Self.probeInterval == 0
  }

  /// The mean of misses as a fraction, for tests.
  var missFraction: Double { Double(missScore.load(ordering: .relaxed)) / Double(Self.unit) }
  /// Whether small products split (no probe counted).
  var isSplitting: Bool { splitting.load(ordering: .relaxed) }
}
