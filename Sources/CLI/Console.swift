import Foundation
import Support

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
    Console(
      output: FileStream(descriptor: STDOUT_FILENO), errors: FileStream(descriptor: STDERR_FILENO))
  }

  /// Why writing to `output` failed (`No space left on device`), or nil if every write so far
  /// succeeded or `output` is not a file.
  public var outputFailure: String? {
    (output as? FileStream)?.failure.message
  }

  /// Writes `line` and a newline to `output`.
  public mutating func writeLine(_ line: String) {
    output.write(line + "\n")
  }

  /// Writes `line` and a newline to `errors`, its control characters escaped (`\u001B`): a
  /// warning or error quotes what the user gave (a path, a line of input), which must neither
  /// drive the terminal nor break the line.
  public mutating func writeErrorLine(_ line: String) {
    errors.write(escapingControlCharacters(line) + "\n")
  }
}

/// A `TextOutputStream` writing straight to a file descriptor, remembering the first error.
///
/// A closed pipe (`| head`) raises SIGPIPE before `write` returns, ending the process as a Unix
/// filter should. Any other error (a full disk, a closed descriptor) cannot be reported where it
/// happens, as `TextOutputStream.write` does not throw; it is kept in `failure` for `main` to
/// report once the command is done, and later writes are skipped since they would fail too.
struct FileStream: TextOutputStream {
  let descriptor: Int32
  /// Shared by the copies a `Console` makes of its streams.
  let failure = WriteFailure()

  init(descriptor: Int32) {
    self.descriptor = descriptor
    // With stdout closed (`>&-`) the next file opened would take its descriptor and receive the
    // results; /dev/null holds the descriptor instead, and the closing is reported as a failure.
    if fcntl(descriptor, F_GETFD) == -1, errno == EBADF {
      failure.code = EBADF
      let placeholder = open("/dev/null", O_WRONLY)
      if placeholder != descriptor, placeholder >= 0 { close(placeholder) }
    }
  }

  mutating func write(_ string: String) {
    guard failure.code == nil else { return }
    var bytes = Array(string.utf8)[...]
    while !bytes.isEmpty {
      let written = bytes.withUnsafeBytes { systemWrite(descriptor, $0.baseAddress, $0.count) }
      if written > 0 {
        bytes = bytes.dropFirst(written)
      } else if written == 0 {
        // Nothing written for a non-empty buffer: retrying would spin for ever.
        failure.code = EIO
        return
      } else if errno != EINTR {
        failure.code = errno
        return
      }
    }
  }
}

/// write(2), which `FileStream.write` hides by its name.
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer?, _ count: Int) -> Int {
  write(descriptor, bytes, count)
}

/// The first error a `FileStream` met.
final class WriteFailure {
  /// The `errno` of the failed write.
  var code: Int32?

  /// The system's text for `code` (`No space left on device`).
  var message: String? {
    code.map { String(cString: strerror($0)) }
  }
}
