import Tensors

/// The largest counts the commands accept, checked when the command line is parsed
/// (`Arguments.positiveInteger(_:maximum:)`).
///
/// Each is far beyond any useful run, yet small enough that the arrays, loops and sums it sizes
/// neither overflow nor exhaust memory.
enum CountLimit {
  /// Timed runs or steps of a benchmark: a million runs of even a microsecond kernel take a
  /// second, and `bench train` steps take milliseconds each.
  static let repeats = 1_000_000
  /// Sentences `bench decode` times.
  static let sentences = 10_000_000
  /// Hypotheses of a beam search (`--beam`, `--nbest`): past a few dozen the translations stop
  /// improving, and each hypothesis holds a key-value cache.
  static let beam = 1000
  /// `--threads`: each is a worker the kernels start and wake, and 9223372036854775807 of
  /// them trapped, 100000 hung; no machine this runs on has more than a few hundred cores.
  static let threads = Parallel.maximumThreadCount
}
