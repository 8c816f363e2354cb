import XCTest

@testable import CLI

final class ArgumentsTests: XCTestCase {
  private let options: [OptionDescription] = [
    .flag("json", help: ""),
    .option("repeats", short: "r", value: "count", help: ""),
    .option("shape", value: "spec", help: "", repeatable: true),
    .option("scale", value: "number", help: ""),
  ]

  private func parse(_ tokens: [String], arguments: [ArgumentDescription] = []) throws -> Arguments
  {
    try Arguments(parsing: tokens, options: options, arguments: arguments, commandPath: ["test"])
  }

  func testOptionForms() throws {
    let parsed = try parse(
      [
        "--json", "--repeats", "3", "--shape=1x2x3", "--shape", "4x5x6", "input.txt", "-r=7",
      ], arguments: [ArgumentDescription("file", help: "")])
    XCTAssertTrue(parsed.contains("json"))
    XCTAssertEqual(
      try parsed.positiveInteger("repeats"), 7, "the last value of a single option wins")
    XCTAssertEqual(parsed.values(of: "shape"), ["1x2x3", "4x5x6"])
    XCTAssertEqual(parsed.positionals, ["input.txt"])
    XCTAssertFalse(parsed.contains("scale"))
    XCTAssertNil(try parsed.number("scale", in: -1...1))
  }

  func testTerminatorAndNegativeNumbersAreValues() throws {
    let parsed = try parse(
      ["--scale", "-0.5", "-", "--", "--json", "-r"],
      arguments: [ArgumentDescription("files", help: "", repeating: true)])
    XCTAssertEqual(try parsed.number("scale", in: -1...1), -0.5)
    XCTAssertFalse(parsed.contains("json"))
    XCTAssertEqual(parsed.positionals, ["-", "--json", "-r"])
  }

  /// After an option that needs a value, a single-dash word that is not one of the command's
  /// short options is that value, to be judged by the option (`--alpha -inf` is out of range,
  /// not missing); the command's own short options and double-dash words are not.
  func testASingleDashWordIsTheValueItFollows() throws {
    XCTAssertEqual(try parse(["--shape", "-inf"]).values(of: "shape"), ["-inf"])
    XCTAssertThrowsError(try parse(["--scale", "-inf"]).number("scale", in: 0...10)) { error in
      XCTAssertEqual(
        error as? UsageError,
        UsageError("invalid value '-inf' for '--scale': expected a decimal number from 0 to 10"))
    }
    XCTAssertThrowsError(try parse(["--shape", "-r", "2"])) { error in
      XCTAssertEqual(error as? UsageError, UsageError("missing value for '--shape <spec>'"))
    }
    XCTAssertThrowsError(try parse(["--shape", "--jsno"])) { error in
      XCTAssertEqual(error as? UsageError, UsageError("missing value for '--shape <spec>'"))
    }
  }

  func testErrors() {
    XCTAssertThrowsError(try parse(["--repeat", "2"])) { error in
      XCTAssertEqual(
        error as? UsageError,
        UsageError("unknown option '--repeat' for 'test'", suggestion: "--repeats"))
    }
    XCTAssertThrowsError(try parse(["-x"])) { error in
      XCTAssertEqual(error as? UsageError, UsageError("unknown option '-x' for 'test'"))
    }
    XCTAssertThrowsError(try parse(["--repeats", "--json"])) { error in
      XCTAssertEqual(error as? UsageError, UsageError("missing value for '--repeats <count>'"))
    }
    XCTAssertThrowsError(try parse([], arguments: [ArgumentDescription("file", help: "")])) {
      error in
      XCTAssertEqual(error as? UsageError, UsageError("missing argument '<file>' for 'test'"))
    }
    XCTAssertThrowsError(try parse(["--scale", "nan"]).number("scale", in: 0...10)) { error in
      XCTAssertEqual(
        error as? UsageError,
        UsageError("invalid value 'nan' for '--scale': expected a decimal number from 0 to 10"))
    }
  }

  /// Numbers are decimal only, as integers are: `Double` alone would take hexadecimal and
  /// words.
  func testNumbersAreDecimalAndInRange() throws {
    for text in ["0x10", "inf", "infinity", "nan", "1e", ".", "+", "1.5.2", " 1", "1_0", "11"] {
      XCTAssertThrowsError(try parse(["--scale", text]).number("scale", in: 0...10), text)
    }
    for (text, value) in [
      ("0", 0.0), ("10", 10), ("1e1", 10), ("+2", 2), (".5", 0.5), ("5.", 5), ("2.5E-1", 0.25),
    ] {
      XCTAssertEqual(try parse(["--scale", text]).number("scale", in: 0...10), value, text)
    }
  }

  func testOptionalArgumentMayBeOmitted() throws {
    let parsed = try parse([], arguments: [ArgumentDescription("file", help: "", optional: true)])
    XCTAssertEqual(parsed.positionals, [])
  }
}
