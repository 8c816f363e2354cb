import XCTest

@testable import CLI

/// Diagnostics quote what the user gave; a control character in it must reach the terminal
/// escaped, in warnings as in errors.
final class ConsoleTests: XCTestCase {
  func testErrorLinesEscapeControlCharacters() {
    var console = Console(output: "", errors: "")
    console.writeErrorLine("warning: line 3 of 'in\u{1B}[2J\n.txt' is long")
    console.writeLine("a\u{1B}b")
    XCTAssertEqual(
      console.errors as? String, "warning: line 3 of 'in\\u001B[2J\\u000A.txt' is long\n")
    // Results are the user's data, written as they are.
    XCTAssertEqual(console.output as? String, "a\u{1B}b\n")
  }

  func testAnEscapedLineIsNotEscapedTwice() {
    var console = Console(output: "", errors: "")
    console.writeErrorLine("Error: 'a\\u001Bb'")
    XCTAssertEqual(console.errors as? String, "Error: 'a\\u001Bb'\n")
  }
}
