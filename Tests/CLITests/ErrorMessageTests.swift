import Foundation
import XCTest

@testable import CLI

/// Every mistake a user can make exits 64, and a failing run exits 1, each with exactly one line
/// on stderr and nothing on stdout.
final class ErrorMessageTests: XCTestCase {
  private func assertUsageError(
    _ run: CLIRun, _ message: String, file: StaticString = #filePath, line: UInt = #line
  ) {
    XCTAssertEqual(run.status, 64, file: file, line: line)
    XCTAssertEqual(run.errors, message + "\n", file: file, line: line)
    XCTAssertEqual(run.output, "", file: file, line: line)
  }

  func testUnknownCommandSuggestsTheClosest() {
    assertUsageError(
      CLIRun("bnech"),
      "Error: unknown command 'bnech'. Did you mean 'bench'? (see 'transformer-cli --help')")
    assertUsageError(
      CLIRun("bench", "matmull"),
      "Error: unknown command 'matmull' for 'bench'. Did you mean 'matmul'? "
        + "(see 'transformer-cli bench --help')")
    assertUsageError(
      CLIRun("frobnicate"), "Error: unknown command 'frobnicate'. (see 'transformer-cli --help')")
    assertUsageError(
      CLIRun("help", "bench", "matmu"),
      "Error: unknown command 'matmu' for 'bench'. Did you mean 'matmul'? "
        + "(see 'transformer-cli bench --help')")
  }

  func testUnknownOptionSuggestsTheClosest() {
    assertUsageError(
      CLIRun("bench", "matmul", "--thread", "2"),
      "Error: unknown option '--thread' for 'bench matmul'. Did you mean '--threads'? "
        + "(see 'transformer-cli bench matmul --help')")
    assertUsageError(
      CLIRun("bench", "matmul", "--jsno"),
      "Error: unknown option '--jsno' for 'bench matmul'. Did you mean '--json'? "
        + "(see 'transformer-cli bench matmul --help')")
    assertUsageError(
      CLIRun("--verison"),
      "Error: unknown option '--verison'. Did you mean '--version'? (see 'transformer-cli --help')")
    assertUsageError(
      CLIRun("bench", "--json"),
      "Error: unknown option '--json' for 'bench'. (see 'transformer-cli bench --help')")
  }

  func testGlobalOptionBeforeTheCommandSaysWhereItGoes() {
    assertUsageError(
      CLIRun("--threads", "2", "bench", "matmul"),
      "Error: option '--threads' goes after the command's name, as in "
        + "'transformer-cli <subcommand> --threads …'. (see 'transformer-cli --help')")
  }

  func testBadValues() {
    assertUsageError(
      CLIRun("bench", "matmul", "--threads", "0"),
      "Error: invalid value '0' for '--threads': expected a positive integer up to 1024. "
        + "(see 'transformer-cli bench matmul --help')")
    assertUsageError(
      CLIRun("bench", "matmul", "--threads=two"),
      "Error: invalid value 'two' for '--threads': expected a positive integer up to 1024. "
        + "(see 'transformer-cli bench matmul --help')")
    assertUsageError(
      CLIRun("bench", "matmul", "--repeats", "-3"),
      "Error: invalid value '-3' for '--repeats': expected a positive integer up to 1000000. "
        + "(see 'transformer-cli bench matmul --help')")
    assertUsageError(
      CLIRun("bench", "matmul", "--repeats", "99999999999999999999"),
      "Error: invalid value '99999999999999999999' for '--repeats': expected a positive integer "
        + "up to 1000000. (see 'transformer-cli bench matmul --help')")
    assertUsageError(
      CLIRun("bench", "matmul", "--shape", "4096x256"),
      "Error: invalid value '4096x256' for '--shape': expected "
        + "MxKxN[xBATCH][:ta|:tb|:ta,tb], e.g. 4096x256x768 or 24x32x24x512:tb. "
        + "(see 'transformer-cli bench matmul --help')")
  }

  func testMissingValue() {
    assertUsageError(
      CLIRun("bench", "matmul", "--repeats"),
      "Error: missing value for '--repeats <count>'. (see 'transformer-cli bench matmul --help')")
    assertUsageError(
      CLIRun("bench", "matmul", "--shape", "--json"),
      "Error: missing value for '--shape <spec>'. (see 'transformer-cli bench matmul --help')")
  }

  func testFlagWithValueAndSurplusArgument() {
    assertUsageError(
      CLIRun("bench", "matmul", "--json=yes"),
      "Error: option '--json' is a flag and takes no value, got '--json=yes'. "
        + "(see 'transformer-cli bench matmul --help')")
    assertUsageError(
      CLIRun("bench", "matmul", "512"),
      "Error: unexpected argument '512' for 'bench matmul'. "
        + "(see 'transformer-cli bench matmul --help')")
  }

  func testShapeTooLargeIsAUsageErrorNotACrash() {
    assertUsageError(
      CLIRun("bench", "matmul", "--shape", "100000x100000x100000"),
      "Error: shape '100000x100000x100000' needs more than 4 GiB of operands; pick smaller sizes. "
        + "(see 'transformer-cli bench matmul --help')")
    assertUsageError(
      CLIRun("bench", "matmul", "--shape", "9223372036854775807x2x2"),
      "Error: shape '9223372036854775807x2x2' needs more than 4 GiB of operands; "
        + "pick smaller sizes. (see 'transformer-cli bench matmul --help')")
  }

  /// What the user typed is quoted in error lines; its control characters come out escaped, so
  /// an ESC cannot act on the terminal and a line break cannot split the one line.
  func testErrorLinesEscapeControlCharacters() {
    assertUsageError(
      CLIRun("bench", "matmul", "--shape", "2x\u{1B}[2J"),
      "Error: invalid value '2x\\u001B[2J' for '--shape': expected MxKxN[xBATCH][:ta|:tb|:ta,tb], "
        + "e.g. 4096x256x768 or 24x32x24x512:tb. (see 'transformer-cli bench matmul --help')")
    let run = CLIRun("bpe", "encode", "--model", "no\u{7}where.model")
    XCTAssertEqual(run.status, 1)
    XCTAssertEqual(
      run.errors, "Error: cannot read BPE model 'no\\u0007where.model': no such file\n")
  }

  func testMalformedThreadsEnvironmentVariable() {
    defer { unsetenv("TRANSFORMER_THREADS") }
    // Not a number, and a number past the limit (which trapped in the FMA peak loop).
    for value in ["abc", "9223372036854775807", "1025"] {
      setenv("TRANSFORMER_THREADS", value, 1)
      assertUsageError(
        CLIRun("bench", "matmul", "--shape", "2x2x2"),
        "Error: TRANSFORMER_THREADS: expected a positive integer up to 1024, got \"\(value)\"; "
          + "unset it or pass '--threads <count>'. (see 'transformer-cli bench matmul --help')")
    }
    setenv("TRANSFORMER_THREADS", "abc", 1)
    // An explicit --threads makes the variable irrelevant.
    let run = CLIRun(
      "bench", "matmul", "--threads", "1", "--repeats", "1", "--json", "--shape", "2x2x2")
    XCTAssertEqual(run.status, 0, run.errors)
  }

  func testRuntimeErrorExitsOneWithOneLine() {
    struct Failing: Command {
      static var configuration: CommandConfiguration {
        CommandConfiguration(name: "fail", abstract: "Fail.")
      }
      mutating func run(_ console: inout Console) throws {
        throw RuntimeError("cannot read 'x.txt': no such file\nHINT: check the path")
      }
    }
    struct Root: Command {
      static var configuration: CommandConfiguration {
        CommandConfiguration(name: "tool", abstract: "A tool.", subcommands: [Failing.self])
      }
    }
    var console = Console(output: "", errors: "")
    let status = CommandRunner(programName: "tool", root: Root.self).run(
      ["fail"], console: &console)
    XCTAssertEqual(status, 1)
    XCTAssertEqual(
      console.errors as? String, "Error: cannot read 'x.txt': no such file HINT: check the path\n")
    XCTAssertEqual(console.output as? String, "")
  }

  func testOwnExitStatusIsReturnedWithoutAMessage() {
    struct Interrupted: Command {
      static var configuration: CommandConfiguration {
        CommandConfiguration(name: "stop", abstract: "Stop.")
      }
      mutating func run(_ console: inout Console) throws {
        console.writeErrorLine("SIGINT: saved last/")
        throw ExitStatus(status: 130)
      }
    }
    struct Root: Command {
      static var configuration: CommandConfiguration {
        CommandConfiguration(name: "tool", abstract: "A tool.", subcommands: [Interrupted.self])
      }
    }
    var console = Console(output: "", errors: "")
    let status = CommandRunner(programName: "tool", root: Root.self).run(
      ["stop"], console: &console)
    XCTAssertEqual(status, 130)
    XCTAssertEqual(console.errors as? String, "SIGINT: saved last/\n")
    XCTAssertEqual(console.output as? String, "")
  }
}
