import XCTest

@testable import CLI
import Support

final class ClosestMatchTests: XCTestCase {
  func testEditDistance() {
    XCTAssertEqual(ClosestMatch.editDistance("", "abc"), 3)
    XCTAssertEqual(ClosestMatch.editDistance("kitten", "sitting"), 3)
    XCTAssertEqual(ClosestMatch.editDistance("bnech", "bench"), 1, "a swap costs one edit")
    XCTAssertEqual(ClosestMatch.editDistance("--thread", "--threads"), 1)
    XCTAssertEqual(ClosestMatch.editDistance("same", "same"), 0)
  }

  func testSuggestion() {
    let commands = ["train", "translate", "eval", "bench"]
    XCTAssertEqual(ClosestMatch.suggestion(for: "tran", among: commands), "train")
    XCTAssertEqual(ClosestMatch.suggestion(for: "transl", among: commands), "translate")
    XCTAssertEqual(ClosestMatch.suggestion(for: "evl", among: commands), "eval")
    XCTAssertNil(ClosestMatch.suggestion(for: "plot", among: commands))
    XCTAssertNil(ClosestMatch.suggestion(for: "", among: commands))
  }
}
