import Foundation
import XCTest

@testable import CLI

/// Results that cannot be written to stdout fail the command (exit 74) with one line on stderr,
/// instead of exiting 0 with the results lost.
final class StandardOutputTests: XCTestCase {
  private static let fullDeviceLine =
    "Error: cannot write to standard output: No space left on device\n"

  private func fullDevice() throws -> Int32 {
    let descriptor = open("/dev/full", O_WRONLY)
    guard descriptor >= 0 else { throw XCTSkip("/dev/full is not available") }
    return descriptor
  }

  func testFailedWriteIsRememberedAndLaterWritesSkipped() throws {
    let descriptor = try fullDevice()
    defer { close(descriptor) }
    var stream = FileStream(descriptor: descriptor)
    stream.write("a line\n")
    XCTAssertEqual(stream.failure.code, ENOSPC)
    stream.write("another line\n")
    XCTAssertEqual(stream.failure.message, "No space left on device")
  }

  func testCommandWhoseOutputIsLostExits74() throws {
    let descriptor = try fullDevice()
    defer { close(descriptor) }
    var console = Console(output: FileStream(descriptor: descriptor), errors: "")
    XCTAssertEqual(TransformerCLI.main(["--version"], console: &console), 74)
    XCTAssertEqual(console.errors as? String, Self.fullDeviceLine)
  }

  func testFailingCommandKeepsItsStatusAndItsOneLine() throws {
    let descriptor = try fullDevice()
    defer { close(descriptor) }
    var console = Console(output: FileStream(descriptor: descriptor), errors: "")
    let arguments = ["bench", "matmul", "--repeats", "0"]
    XCTAssertEqual(TransformerCLI.main(arguments, console: &console), 64)
    XCTAssertEqual((console.errors as? String)?.split(separator: "\n").count, 1)
  }

  func testOutputThatIsWrittenSucceeds() throws {
    let descriptor = open("/dev/null", O_WRONLY)
    defer { close(descriptor) }
    var console = Console(output: FileStream(descriptor: descriptor), errors: "")
    XCTAssertEqual(TransformerCLI.main(["--version"], console: &console), 0)
    XCTAssertEqual(console.errors as? String, "")
  }

  /// The built executable with stdout on /dev/full and with stdout closed.
  func testExecutableReportsAFullOrClosedStandardOutput() throws {
    guard let executable = BPECommandTests.builtExecutable() else {
      throw XCTSkip("the transformer-cli executable is not built beside the tests")
    }
    guard let full = FileHandle(forWritingAtPath: "/dev/full") else {
      throw XCTSkip("/dev/full is not available")
    }
    let (fullStatus, fullErrors) = try run(executable, ["--version"], output: full)
    XCTAssertEqual(fullStatus, 74)
    XCTAssertEqual(fullErrors, Self.fullDeviceLine)

    let shell = URL(fileURLWithPath: "/bin/sh")
    let (closedStatus, closedErrors) = try run(
      shell, ["-c", "exec \"$0\" --version >&-", executable.path], output: nil)
    XCTAssertEqual(closedStatus, 74)
    XCTAssertEqual(closedErrors, "Error: cannot write to standard output: Bad file descriptor\n")
  }

  private func run(
    _ program: URL, _ arguments: [String], output: FileHandle?
  ) throws -> (Int32, String) {
    let process = Process()
    process.executableURL = program
    process.arguments = arguments
    if let output { process.standardOutput = output }
    let errors = Pipe()
    process.standardError = errors
    try process.run()
    let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, text)
  }
}
