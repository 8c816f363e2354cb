import Tensors

/// The options every command accepts: `--threads N`.
///
/// The runner adds them to each command without subcommands, parses and validates them before
/// the command's own, and applies them before `run`.
struct GlobalOptions: OptionGroup {
  static var options: [OptionDescription] {
    [
      .option(
        "threads", value: "count",
        help: "Threads the kernels use (default: $TRANSFORMER_THREADS, else one per processor).")
    ]
  }

  /// The `--threads` value, nil when not given.
  var threads: Int?

  init(_ arguments: Arguments) throws {
    threads = try arguments.positiveInteger("threads", maximum: CountLimit.threads)
  }

  /// A malformed `TRANSFORMER_THREADS` is a usage error when it would be used, rather than a
  /// silent fallback to the processor count that would skew every timing.
  func validate() throws {
    if threads == nil, let problem = Parallel.environmentProblem() {
      throw UsageError("\(problem); unset it or pass '--threads <count>'")
    }
  }

  /// Sets the kernels' thread count when `--threads` was given.
  func apply() {
    if let threads { Parallel.threadCount = threads }
  }
}
