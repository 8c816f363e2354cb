import XCTest

@testable import Training

final class TrainingStopReasonTests: XCTestCase {
  func testPatienceCountsInTheSingularAndPlural() {
    XCTAssertEqual(
      TrainingStopReason.patience(1).description,
      "1 validation in a row without improvement (training.patience)")
    XCTAssertEqual(
      TrainingStopReason.patience(3).description,
      "3 validations in a row without improvement (training.patience)")
  }
}
