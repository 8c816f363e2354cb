import Dispatch
import Foundation

/// How many threads the kernels use, and a `parallelFor` that splits work among them.
///
/// The count comes from `--threads N` (set by the CLI), else the environment variable
/// `TRANSFORMER_THREADS`, else the number of active processors.
public enum Parallel {
  nonisolated(unsafe) private static var configuredThreadCount: Int? = nil

  /// The number of threads every parallel kernel splits its work over (at least 1).
  public static var threadCount: Int {
    get { configuredThreadCount ?? defaultThreadCount }
    set {
      kernelPrecondition(newValue > 0, "Parallel.threadCount must be positive, got \(newValue)")
      configuredThreadCount = newValue
    }
  }

  /// `TRANSFORMER_THREADS` if valid, else the active processor count. Read once: looking up the
  /// environment costs ~100 µs, more than a small kernel.
  private static let defaultThreadCount: Int = {
    if let value = ProcessInfo.processInfo.environment["TRANSFORMER_THREADS"],
      let parsed = Int(value), (1...maximumThreadCount).contains(parsed)
    {
      return parsed
    }
    return max(1, ProcessInfo.processInfo.activeProcessorCount)
  }()

  /// The fewest rows of `width` elements worth a thread in a row-wise kernel (softmax,
  /// log-softmax, cross-entropy, arg-max): rows that together hold 8,192 elements.
  static func minimumRows(width: Int) -> Int { Swift.max(1, 8192 / Swift.max(1, width)) }

  /// The active processors, read once.
  static let processorCount = max(1, ProcessInfo.processInfo.activeProcessorCount)

  /// The most threads a count may ask for (`--threads`, `TRANSFORMER_THREADS`): far more than
  /// any machine's cores, few enough that per-thread buffers and ranges cannot overflow.
  public static let maximumThreadCount = 1024

  /// Reads `TRANSFORMER_THREADS` and reports a malformed value (nil when unset or valid).
  public static func environmentProblem() -> String? {
    guard let value = ProcessInfo.processInfo.environment["TRANSFORMER_THREADS"] else { return nil }
    if let parsed = Int(value), (1...maximumThreadCount).contains(parsed) { return nil }
    return "TRANSFORMER_THREADS: expected a positive integer up to \(maximumThreadCount), got "
      + "\"\(value)\""
  }
}

/// Runs `body(i)` for every `i` in `0..<count`, over at most `threads` threads.
///
/// Iterations are split into contiguous ranges, one per thread, so a body that writes only the
/// outputs that iteration `i` owns needs no locks and gives the same result on every run.
public func parallelFor(
  _ count: Int, threads: Int = Parallel.threadCount, minimumPerThread: Int = 1, _ body: (Int) -> Void
) {
  parallelForRanges(count, threads: threads, minimumPerThread: minimumPerThread) { range in
    for i in range { body(i) }
  }
}

/// Splits `0..<count` into at most `threads` contiguous ranges and runs `body` on each range
/// concurrently. Ranges smaller than `minimumPerThread` are merged to save the dispatch cost on
/// small work.
///
/// The ranges run on the calling thread and the spinning workers of `WorkerPool` (a hand-off of
/// about a microsecond); a nested or concurrent call, or more threads than processors, takes
/// `DispatchQueue.concurrentPerform` instead. Either way the ranges are the same.
public func parallelForRanges(
  _ count: Int, threads requestedThreads: Int = Parallel.threadCount, minimumPerThread: Int = 1,
  _ body: (Range<Int>) -> Void
) {
  guard count > 0 else { return }
  let threads = min(requestedThreads, max(1, count / max(1, minimumPerThread)))
  if threads == 1 {
    body(0..<count)
    return
  }
  // Spinning workers on more threads than processors would spin while the thread they wait
  // for is not running.
  if threads <= Parallel.processorCount
    && WorkerPool.shared.run(parts: threads, count: count, body)
  {
    return
  }
  DispatchQueue.concurrentPerform(iterations: threads) { t in
    let start = count * t / threads
    let end = count * (t + 1) / threads
    if start < end { body(start..<end) }
  }
}
