import Foundation
import XCTest

@testable import Training

/// `runs/.last-run`: a run inside `runs/` is recorded by name, any other by absolute path, and
/// both are found again.
final class TrainingRunPointerTests: XCTestCase {
  private var directory: URL!

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("transformer-cli-pointer-\(UUID().uuidString)")
    for run in ["runs/toy", "exp/a"] {
      try FileManager.default.createDirectory(
        at: directory.appendingPathComponent(run), withIntermediateDirectories: true)
    }
  }

  override func tearDownWithError() throws {
    try? FileManager.default.removeItem(at: directory)
  }

  func testRunsInsideAndOutsideTheRunsDirectory() throws {
    let runs = directory.appendingPathComponent("runs").path
    let pointer = runs + "/" + TrainingRunPointer.fileName
    try TrainingRunPointer.record(runDirectory: runs + "/toy", in: runs)
    XCTAssertEqual(try String(contentsOfFile: pointer, encoding: .utf8), "toy\n")
    XCTAssertEqual(TrainingRunPointer.runDirectory(in: runs), runs + "/toy")

    let elsewhere = directory.appendingPathComponent("exp/a").path
    try TrainingRunPointer.record(runDirectory: elsewhere, in: runs)
    XCTAssertEqual(try String(contentsOfFile: pointer, encoding: .utf8), "../exp/a\n")
    XCTAssertEqual(TrainingRunPointer.runDirectory(in: runs), elsewhere)

    try FileManager.default.removeItem(atPath: elsewhere)
    XCTAssertNil(TrainingRunPointer.runDirectory(in: runs), "the run it names is gone")
    XCTAssertEqual(TrainingRunPointer.recordedRun(in: runs), elsewhere, "named all the same")
  }

  func testTheRunsDirectoryIsCreatedWhenMissing() throws {
    let runs = directory.appendingPathComponent("fresh/runs").path
    let run = directory.appendingPathComponent("exp/a").path
    try TrainingRunPointer.record(runDirectory: run, in: runs)
    XCTAssertEqual(TrainingRunPointer.runDirectory(in: runs), run)
  }

  func testRelativePathsAndNormalisation() {
    XCTAssertEqual(TrainingRunPointer.relativePath(of: "/p/runs/toy", from: "/p/runs"), "toy")
    XCTAssertEqual(
      TrainingRunPointer.relativePath(of: "/p/q/exp/a", from: "/p/q/runs"), "../exp/a")
    XCTAssertEqual(TrainingRunPointer.relativePath(of: "/q/a", from: "/p/runs"), "/q/a")
    XCTAssertEqual(TrainingRunPointer.normalized("runs/../exp/./a"), "exp/a")
    XCTAssertEqual(TrainingRunPointer.normalized("/p/runs/../../x"), "/x")
    XCTAssertEqual(TrainingRunPointer.normalized("../up"), "../up")
  }
}
