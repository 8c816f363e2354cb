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
    XCTAssertNil(try parsed.number("scale"))
  }

  func testTerminatorAndNegativeNumbersAreValues() throws {
    let parsed = try parse(
      ["--scale", "-0.5", "-", "--", "--json", "-r"],
      arguments: [ArgumentDescription("files", help: "", repeating: true)])
    XCTAssertEqual(try parsed.number("scale"), -0.5)
    XCTAssertFalse(parsed.contains("json"))
    XCTAssertEqual(parsed.positionals, ["-", "--json", "-r"])
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
    XCTAssertThrowsError(try parse(["--scale", "nan"]).number("scale")) { error in
      XCTAssertEqual(
        error as? UsageError, UsageError("invalid value 'nan' for '--scale': expected a number"))
    }
  }

  func testOptionalArgumentMayBeOmitted() throws {
    let parsed = try parse([], arguments: [ArgumentDescription("file", help: "", optional: true)])
    XCTAssertEqual(parsed.positionals, [])
  }
}
