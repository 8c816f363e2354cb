import Foundation
import XCTest
@testable import Training
import Config


/// `configs/multi30k-en-de.json`, the recipe `scripts/bench-multi30k.sh` trains: it parses, it
/// fits the bench's 40-minute budget, and its data paths resolve to Multi30K where the data is.
final class Multi30KRecipeTests: XCTestCase {
  private static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
  private static let recipePath = root.appendingPathComponent("configs/multi30k-en-de.json").path

  func testRecipeParses() throws {
    let recipe = try RunConfig(contentsOf: Self.recipePath, checkingFiles: false)
    XCTAssertEqual(recipe.data.trainSource, "data/multi30k/train.en")
    XCTAssertEqual(recipe.data.trainTarget, "data/multi30k/train.de")
    XCTAssertEqual(recipe.data.testSource, "data/multi30k/test_2016_flickr.en")
    XCTAssertTrue(recipe.data.jointVocabulary)
    XCTAssertTrue(recipe.model.tieEmbeddings)
    // The bench stops on the clock; best/ must be picked by validation BLEU, and the average of
    // the bench's default 5 newest checkpoints needs 5 kept on disk.
    XCTAssertEqual(recipe.training.maxTimeMinutes, 40)
    // The steps are planned to fit the budget, so the linear decay ends on any machine.
    XCTAssertEqual(recipe.training.maxSteps, .auto)
    XCTAssertEqual(recipe.training.schedule, .linear)
    XCTAssertTrue(recipe.training.validationBLEU)
    XCTAssertGreaterThanOrEqual(recipe.training.keptCheckpointCount, 5)
    XCTAssertEqual(recipe.training.patience, 0, "patience would end a timed run early")
  }

  /// Where the data lives: `data/multi30k` (the download script) or `../shared/data/multi30k`.
  private func dataDirectory() throws -> String {
    let candidates = [
      Self.root.appendingPathComponent("data/multi30k").path,
      Self.root.appendingPathComponent("../shared/data/multi30k").standardizedFileURL.path,
    ]
    for directory in candidates
    where FileManager.default.fileExists(atPath: directory + "/train.en") {
      return directory
    }
    throw XCTSkip("Multi30K is in neither \(candidates.joined(separator: " nor "))")
  }

  func testDataPathsResolve() throws {
    let directory = try dataDirectory()
    let recipe = try RunConfig(contentsOf: Self.recipePath, checkingFiles: false)
    let prefix = "data/multi30k/"
    let paths = [
      ("train_source", recipe.data.trainSource), ("train_target", recipe.data.trainTarget),
      ("valid_source", recipe.data.validSource), ("valid_target", recipe.data.validTarget),
      ("test_source", recipe.data.testSource), ("test_target", recipe.data.testTarget),
    ]
    var overrides: [String] = []
    for (key, path) in paths {
      XCTAssertTrue(path.hasPrefix(prefix), "data.\(key) is \(path), outside \(prefix)")
      overrides.append("data.\(key)=\(directory)/\(path.dropFirst(prefix.count))")
    }
    // With the files checked: each exists, is a file and is readable.
    let resolved = try RunConfig(contentsOf: Self.recipePath, overrides: overrides)
    XCTAssertTrue(resolved.data.testTarget.hasSuffix("test_2016_flickr.de"))
    let lines = try String(contentsOfFile: resolved.data.trainSource, encoding: .utf8)
      .split(separator: "\n", omittingEmptySubsequences: false)
    XCTAssertGreaterThanOrEqual(lines.count, 29_000)
  }
}
