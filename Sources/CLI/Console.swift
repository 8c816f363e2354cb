import Foundation

/// The two text streams a command writes to: results on `output`, diagnostics on `errors`.
///
/// Keeping results alone on `output` is what lets `bench matmul --json | python3 …` work; progress,
/// warnings and errors go to `errors`. `main` uses `Console.standard`; tests pass `String`s.
public struct Console {
  /// Where results go (stdout).
  public var output: any TextOutputStream
  /// Where diagnostics go (stderr).
  public var errors: any TextOutputStream

  /// A console over any two streams.
  public init(output: any TextOutputStream, errors: any TextOutputStream) {
    self.output = output
    self.errors = errors
  }

  /// The process's stdout and stderr, unbuffered so that each line appears when it is written.
  public static var standard: Console {
    Console(output: FileStream(handle: .standardOutput), errors: FileStream(handle: .standardError))
  }

  /// Writes `line` and a newline to `output`.
  public mutating func writeLine(_ line: String) {
    output.write(line + "\n")
  }

  /// Writes `line` and a newline to `errors`.
  public mutating func writeErrorLine(_ line: String) {
    errors.write(line + "\n")
  }
}

/// A `TextOutputStream` writing straight to a file handle.
struct FileStream: TextOutputStream {
  let handle: FileHandle

  mutating func write(_ string: String) {
    // A closed pipe (`| head`) raises SIGPIPE before this returns, ending the process as a Unix
    // filter should; any other write error has nowhere better to be reported.
    try? handle.write(contentsOf: Data(string.utf8))
  }
}
