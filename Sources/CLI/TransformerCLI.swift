/// The entry point of `transformer-cli`: runs a command line and returns the exit status.
///
/// `main(_:)` writes to the real stdout and stderr; tests call `run(_:output:errors:)` with
/// `String`s and check the text and the status.
public enum TransformerCLI {
  /// The version `--version` prints.
  public static let version = "0.1.0"

  /// The program's name, as help and messages show it.
  public static let programName = "transformer-cli"

  /// Runs `arguments` (the words after the program name) on the process's stdout and stderr.
  public static func main(_ arguments: [String]) -> Int32 {
    var console = Console.standard
    return main(arguments, console: &console)
  }

  /// Runs `arguments` on `console`, then fails a command that succeeded but whose results did
  /// not all reach `console.output`: a script must not take a truncated file for a whole one.
  static func main(_ arguments: [String], console: inout Console) -> Int32 {
    let status = run(arguments, console: &console)
    guard status == ExitCode.success.rawValue, let failure = console.outputFailure else {
      return status
    }
    console.writeErrorLine("Error: cannot write to standard output: \(failure)")
    return ExitCode.outputError.rawValue
  }

  /// Runs `arguments`, writing results to `output` and error messages to `errors`.
  ///
  /// - Returns: 0 on success (also for `--help`), 1 when a command fails while running, 64 for a
  ///   malformed command line (see `ExitCode`).
  public static func run<Output: TextOutputStream, Errors: TextOutputStream>(
    _ arguments: [String], output: inout Output, errors: inout Errors
  ) -> Int32 {
    var console = Console(output: output, errors: errors)
    let status = run(arguments, console: &console)
    // The console wrapped copies of the two streams; hand their new contents back.
    if let written = console.output as? Output { output = written }
    if let written = console.errors as? Errors { errors = written }
    return status
  }

  /// Runs `arguments` on `console`.
  public static func run(_ arguments: [String], console: inout Console) -> Int32 {
    CommandRunner(programName: programName, root: RootCommand.self).run(
      arguments, console: &console)
  }
}

/// The program itself: the group of every registered command.
struct RootCommand: Command {
  static var configuration: CommandConfiguration {
    CommandConfiguration(
      name: TransformerCLI.programName,
      abstract: "Train, run and measure Transformer translation models on the CPU.",
      options: [.flag("version", help: "Show the version.")],
      subcommands: CommandRegistry.commands)
  }
}
