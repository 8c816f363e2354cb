import XCTest

@testable import CLI

/// Counts past `CountLimit` are usage errors at parse time: before the limits, each of these
/// command lines trapped or aborted on an allocation or an overflow.
final class CountLimitTests: XCTestCase {
  func testPositiveIntegerWithMaximum() throws {
    let options: [OptionDescription] = [.option("repeats", value: "count", help: "")]
    func parse(_ value: String) throws -> Int? {
      try Arguments(parsing: ["--repeats", value], options: options, commandPath: ["test"])
        .positiveInteger("repeats", maximum: 1000)
    }
    XCTAssertEqual(try parse("1"), 1)
    XCTAssertEqual(try parse("1000"), 1000)
    for value in ["0", "1001", "9223372036854775807", "99999999999999999999", "-1"] {
      XCTAssertThrowsError(try parse(value), value) { error in
        XCTAssertEqual(
          error as? UsageError,
          UsageError(
            "invalid value '\(value)' for '--repeats': expected a positive integer up to 1000"))
      }
    }
  }

  func testCountsOverTheirLimitAreUsageErrors() {
    let huge = "9223372036854775807"
    let cases: [([String], String, String)] = [
      (
        ["bench", "matmul", "--shape", "8x8x8", "--no-peak", "--repeats", huge], "repeats",
        "1000000"
      ),
      (["bench", "matmul", "--repeats", "1000001"], "repeats", "1000000"),
      (["bench", "train", "--preset", "tiny", "--steps", huge], "steps", "1000000"),
      (["bench", "train", "--steps", "100000000000"], "steps", "1000000"),
      (["bench", "attention", "--length", "64", "--repeats", huge], "repeats", "1000000"),
      (["bench", "allreduce", "--repeats", "100000000000"], "repeats", "1000000"),
      (["bench", "decode", "--sentences", huge], "sentences", "10000000"),
      (["bench", "decode", "--beam", "1001"], "beam", "1000"),
      (["translate", "--beam", huge, "text"], "beam", "1000"),
      (["translate", "--beam", "1000000000", "--nbest", "2", "text"], "beam", "1000"),
      (["translate", "--nbest", "1001", "text"], "nbest", "1000"),
      (["eval", "--beam", "100000"], "beam", "1000"),
      (["attention", "--beam", huge, "text"], "beam", "1000"),
      (["trace", "--beam", huge, "text"], "beam", "1000"),
      (["bench", "matmul", "--threads", huge], "threads", "1024"),
      (["bench", "train", "--threads", "100000"], "threads", "1024"),
    ]
    for (arguments, option, limit) in cases {
      let run = CLIRun(arguments)
      let value = arguments[arguments.lastIndex(of: "--\(option)")! + 1]
      let command = arguments.prefix { !$0.hasPrefix("-") }.joined(separator: " ")
      XCTAssertEqual(run.status, 64, "\(arguments)")
      XCTAssertEqual(
        run.errors,
        "Error: invalid value '\(value)' for '--\(option)': expected a positive integer up to "
          + "\(limit). (see 'transformer-cli \(command) --help')\n", "\(arguments)")
    }
  }
}
