/// The process exit statuses of `transformer-cli`.
public enum ExitCode: Int32 {
  /// The command did what was asked (also for `--help` and `--version`).
  case success = 0
  /// The request was well formed but failed while running: a missing file, a bad checkpoint.
  case failure = 1
  /// The command line was malformed (`EX_USAGE` from BSD `sysexits.h`, as swift-argument-parser
  /// uses for validation errors).
  case usageError = 64
  /// The results could not be written to stdout (`EX_IOERR`): a full disk, a closed stdout.
  case outputError = 74
}

/// A command that ends with a status of its own, having already said what it had to: a training
/// run stopped by a signal saves `last/` and exits 128 + the signal (130 for SIGINT), as a shell
/// reports a killed job. The runner returns `status` and writes nothing more.
struct ExitStatus: Error {
  /// The process's exit status.
  var status: Int32
}

/// A malformed command line: unknown command or option, missing or unparsable value, values that
/// contradict each other. Exits 64 with one line on stderr:
///
///     Error: unknown option '--thread' for 'bench matmul'. Did you mean '--threads'? (see 'transformer-cli bench matmul --help')
///
/// The runner appends the `(see '… --help')` pointer for the command being parsed.
public struct UsageError: Error, Equatable, CustomStringConvertible {
  /// What is wrong, without a trailing period (`invalid value 'x' for '--repeats': …`).
  public var message: String
  /// The closest valid spelling of what the user typed, shown as `Did you mean '…'?`.
  public var suggestion: String?

  /// A usage error with an optional did-you-mean suggestion.
  public init(_ message: String, suggestion: String? = nil) {
    self.message = message
    self.suggestion = suggestion
  }

  /// The message and suggestion as one sentence or two.
  public var description: String {
    var text = message
    if !text.hasSuffix(".") { text += "." }
    if let suggestion { text += " Did you mean '\(suggestion)'?" }
    return text
  }
}

/// A failure while running a well-formed command: exits 1 with `Error: <message>` on stderr.
///
/// Say what failed and what to do, in one line (`cannot read 'data/train.de': no such file; check
/// the path or run 'transformer-cli bpe' first`). Any other error a command throws is reported
/// the same way, through its `description`.
public struct RuntimeError: Error, Equatable, CustomStringConvertible {
  /// What failed, and what to do about it.
  public var message: String

  /// A runtime error with this message.
  public init(_ message: String) {
    self.message = message
  }

  /// The message.
  public var description: String { message }
}
