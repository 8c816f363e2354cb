import Foundation
import XCTest

@testable import Checkpoints
@testable import Training

/// Setting up a run: the lock on `output.dir`, the per-process staging directory, nothing
/// written when a corpus or the directory is wrong, and resuming on other validation files.
final class TrainingRunSetupTests: XCTestCase {
  private var tiny: TinyRun!

  override func setUpWithError() throws {
    tiny = try TinyRun()
  }

  override func tearDown() {
    tiny.remove()
  }

  /// The error `body` throws, or nil.
  private func failure(_ body: () throws -> Void) -> TrainingError? {
    do {
      try body()
      return nil
    } catch {
      return error as? TrainingError
    }
  }

  func testSecondRunOnALockedDirectoryIsRefusedUntilTheFirstEnds() throws {
    let config = try tiny.config(["max_steps": "6", "valid_bleu": "false"])
    let first = try TrainingRun(config: config, resume: false)
    first.pointerDirectory = nil
    let locked = TrainingError.runLocked(
      directory: tiny.runDirectory, holder: "process \(getpid())")
    XCTAssertEqual(failure { _ = try TrainingRun(config: config, resume: false) }, locked)
    XCTAssertEqual(
      locked.description,
      "'\(tiny.runDirectory)' is in use by another training run (process \(getpid())); wait for "
        + "it to end, or choose another directory with --set output.dir=PATH")
    _ = try first.run()
    let longer = try tiny.config(["max_steps": "8", "valid_bleu": "false"])
    XCTAssertEqual(failure { _ = try TrainingRun(config: longer, resume: true) }, locked)
    first.releaseLock()
    let resumed = try TrainingRun(config: longer, resume: true)
    resumed.pointerDirectory = nil
    XCTAssertEqual(try resumed.run().steps, 8)
  }

  func testStagingIsPerProcessAndRecoveryRemovesStaleOnes() throws {
    let store = CheckpointStore(directory: tiny.path("store"))
    let staging = try store.makeStaging()
    XCTAssertEqual((staging as NSString).lastPathComponent, ".staging-\(getpid())")
    for stale in [".staging", ".staging-999999999"] {
      try FileManager.default.createDirectory(
        atPath: store.path(stale), withIntermediateDirectories: true)
    }
    try store.recover()
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: store.directory), [])
  }

  /// `data.test_target=<output.dir>/test-best-greedy.txt` once had the test references
  /// replaced by the test translations; a data file in last/ would be replaced on resume.
  func testDataFilesThatTheRunWritesAreRefusedBeforeAnythingIsWritten() throws {
    let manager = FileManager.default
    try manager.createDirectory(
      atPath: tiny.runDirectory + "/last", withIntermediateDirectories: true)
    let references = try String(contentsOfFile: tiny.path("valid.tgt"), encoding: .utf8)
    for name in ["test-best-greedy.txt", "metrics.jsonl", "last/valid.tgt"] {
      try references.write(
        toFile: tiny.runDirectory + "/" + name, atomically: false, encoding: .utf8)
    }
    // Other spellings of the files: a `.` component, and a symbolic link outside the run.
    let respelled = tiny.runDirectory + "/./test-best-greedy.txt"
    try manager.createSymbolicLink(
      atPath: tiny.path("link.tgt"), withDestinationPath: tiny.runDirectory + "/metrics.jsonl")
    let cases: [(String, String, String)] = [
      ("data.test_target", respelled, "test-best-greedy.txt"),
      ("data.valid_target", tiny.path("link.tgt"), "metrics.jsonl"),
      ("data.train_target", tiny.runDirectory + "/last/valid.tgt", "last/"),
    ]
    for (key, path, name) in cases {
      var overrides = ["\(key)=\(path)"]
      if key == "data.test_target" {
        overrides.append("data.test_source=\(tiny.path("valid.src"))")
      }
      let error = failure { try tiny.train(try tiny.config(overrides: overrides)) }
      XCTAssertEqual(
        error,
        .dataIsOutput(key: key, path: path, directory: tiny.runDirectory, name: name))
      XCTAssertEqual(
        try manager.contentsOfDirectory(atPath: tiny.runDirectory).sorted(),
        ["last", "metrics.jsonl", "test-best-greedy.txt"])
    }
    XCTAssertEqual(
      try String(contentsOfFile: respelled, encoding: .utf8), references)
    XCTAssertEqual(
      TrainingError.dataIsOutput(
        key: "data.test_target", path: "o/t.txt", directory: "o", name: "t.txt"
      ).description,
      "data.test_target 'o/t.txt' is the t.txt that the run writes in output.dir 'o'; training "
        + "would replace its own input, so move the file out or choose another output.dir")
    // A data file in output.dir that the run does not write is fine.
    try references.write(
      toFile: tiny.runDirectory + "/test.tgt", atomically: false, encoding: .utf8)
    var data = try tiny.config().data
    data.testSource = tiny.path("valid.src")
    data.testTarget = tiny.runDirectory + "/test.tgt"
    XCTAssertNoThrow(
      try TrainingRunSplits.checkNotOutputs(data, outputDirectory: tiny.runDirectory))
  }

  func testLineCountMismatchesAreFoundBeforeAnythingIsWritten() throws {
    try Data("one\ntwo\n".utf8).write(to: URL(fileURLWithPath: tiny.path("short.tgt")))
    for split in ["train", "valid", "test"] {
      var overrides = ["data.\(split)_target=\(tiny.path("short.tgt"))"]
      if split == "test" { overrides.append("data.test_source=\(tiny.path("valid.src"))") }
      let error = failure { try tiny.train(try tiny.config(overrides: overrides)) }
      guard case .corpus(.lineCountMismatch(_, _, _, 2)) = error else {
        return XCTFail("\(split): \(String(describing: error))")
      }
      XCTAssertFalse(FileManager.default.fileExists(atPath: tiny.path("runs")), split)
    }
    // Nor into a directory that exists.
    try FileManager.default.createDirectory(
      atPath: tiny.runDirectory, withIntermediateDirectories: true)
    XCTAssertNotNil(
      failure {
        try tiny.train(try tiny.config(overrides: ["data.train_target=\(tiny.path("short.tgt"))"]))
      })
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tiny.runDirectory), [])
  }

  func testDirectoryThatCannotBeMadeLeavesNothing() throws {
    let deep = tiny.path("deep") + String(repeating: "/d", count: 3000)
    let error = failure { try tiny.train(try tiny.config(overrides: ["output.dir=\(deep)"])) }
    guard case .cannotWrite(_, let reason) = error else {
      return XCTFail("\(String(describing: error))")
    }
    XCTAssertEqual(reason, "the path is \(deep.utf8.count) bytes long; the system allows 4095")
    // A component too long for the file system, found after its parents were made.
    let long = tiny.path("deep") + "/a/b/" + String(repeating: "x", count: 300) + "/c"
    XCTAssertEqual(
      failure { try tiny.train(try tiny.config(overrides: ["output.dir=\(long)"])) }?
        .description.hasSuffix(
          "a component of the path is longer than the system allows (255 bytes)"), true)
    XCTAssertFalse(FileManager.default.fileExists(atPath: tiny.path("deep")))
  }

  func testDirectoryOnAFileSystemThatMakesNoneIsNamed() throws {
    #if os(Linux)
      XCTAssertEqual(
        failure { try tiny.train(try tiny.config(overrides: ["output.dir=/proc/nope"])) }?
          .description,
        "cannot write '/proc/nope': '/proc' does not allow new directories")
    #endif
  }

  func testRunFailingAfterMakingTheDirectoryRemovesIt() throws {
    // Every validation pair is longer than data.max_length: found after the vocabulary.
    let long = Array(repeating: "red blue green cat dog runs sees big", count: 4)
      .joined(separator: " ")
    try Data("\(long)\n".utf8).write(to: URL(fileURLWithPath: tiny.path("long.src")))
    let error = failure {
      try tiny.train(
        try tiny.config(overrides: [
          "data.valid_source=\(tiny.path("long.src"))",
          "data.valid_target=\(tiny.path("long.src"))",
        ]))
    }
    guard case .corpus(.noPairs) = error else { return XCTFail("\(String(describing: error))") }
    XCTAssertFalse(FileManager.default.fileExists(atPath: tiny.path("runs")))

    // In a directory that existed, the user's files stay and the lock file goes.
    try FileManager.default.createDirectory(
      atPath: tiny.runDirectory, withIntermediateDirectories: true)
    try "mine\n".write(toFile: tiny.runDirectory + "/notes.txt", atomically: false, encoding: .utf8)
    let again = failure {
      try tiny.train(
        try tiny.config(overrides: [
          "data.valid_source=\(tiny.path("long.src"))",
          "data.valid_target=\(tiny.path("long.src"))",
        ]))
    }
    guard case .corpus(.noPairs) = again else { return XCTFail("\(String(describing: again))") }
    XCTAssertEqual(
      try FileManager.default.contentsOfDirectory(atPath: tiny.runDirectory), ["notes.txt"])
    // And a run there afterwards takes a new lock and trains.
    XCTAssertEqual(
      try tiny.train(try tiny.config(["max_steps": "2", "valid_bleu": "false"])).summary.steps, 2)
  }

  /// A `.lock` that is a symbolic link is refused, not written through: the holder's line would
  /// replace the file it names.
  func testALockThatIsASymbolicLinkIsRefused() throws {
    let config = try tiny.config(["max_steps": "2", "valid_bleu": "false"])
    try FileManager.default.createDirectory(
      atPath: tiny.runDirectory, withIntermediateDirectories: true)
    let victim = tiny.path("victim.txt")
    try "precious\n".write(toFile: victim, atomically: false, encoding: .utf8)
    let lock = tiny.runDirectory + "/" + TrainingRunLock.fileName
    try FileManager.default.createSymbolicLink(atPath: lock, withDestinationPath: victim)
    let error = failure { _ = try TrainingRun(config: config, resume: false) }
    guard case .cannotWrite(let path, let reason) = error else {
      return XCTFail("\(String(describing: error))")
    }
    XCTAssertEqual(path, lock)
    XCTAssertTrue(reason.hasPrefix("it is a symbolic link"), reason)
    XCTAssertEqual(try String(contentsOfFile: victim, encoding: .utf8), "precious\n")
  }

  /// The same validation files by another spelling are not a change.
  func testResumeOnTheSameValidationFilesByAnotherPath() throws {
    try tiny.train(try tiny.config(["max_steps": "4", "valid_bleu": "false"]))
    let respelled = [
      "data.valid_source=\(tiny.path("."))/valid.src",
      "data.valid_target=\(tiny.path("runs"))/../valid.tgt",
    ]
    let config = try tiny.config(["max_steps": "6", "valid_bleu": "false"], overrides: respelled)
    XCTAssertEqual(try tiny.train(config, resume: true).summary.steps, 6)
  }

  /// The longest pair kept decides which validation pairs count, as the files do.
  func testResumeWithAnotherValidationMeasureNeedsResetBest() throws {
    try tiny.train(try tiny.config(["max_steps": "4", "valid_bleu": "false"]))
    for (training, overrides, change) in [
      (["valid_bleu": "false"], ["data.max_length=5"], "data.max_length")
    ] {
      var fields = training
      fields["max_steps"] = "6"
      let config = try tiny.config(fields, overrides: overrides)
      let error = failure { try tiny.train(config, resume: true) }
      guard case .validationChanged(_, let changes, _) = error else {
        return XCTFail("\(change): \(String(describing: error))")
      }
      XCTAssertEqual(changes.count, 1, "\(changes)")
      XCTAssertTrue(changes[0].hasPrefix(change), "\(changes)")
    }
  }

  /// Validation files rewritten in place keep their names: their lines are compared too.
  func testResumeOnValidationFilesRewrittenInPlaceNeedsResetBest() throws {
    try tiny.train(try tiny.config(["max_steps": "6", "valid_bleu": "false"]))
    let config = try tiny.config(["max_steps": "8", "valid_bleu": "false"])
    let source = tiny.path("valid.src")
    let lines = try String(contentsOfFile: source, encoding: .utf8)
    let reordered = lines.split(separator: "\n").reversed().joined(separator: "\n") + "\n"
    try reordered.write(toFile: source, atomically: true, encoding: .utf8)
    let configPath = "\(tiny.runDirectory)/config.json"
    let savedConfig = try Data(contentsOf: URL(fileURLWithPath: configPath))
    let error = failure { try tiny.train(config, resume: true) }
    // Refused before the run's files are written again (config.json would say max_steps 8).
    XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: configPath)), savedConfig)
    guard case .validationChanged(_, let changes, let best) = error else {
      return XCTFail("\(String(describing: error))")
    }
    XCTAssertEqual(
      changes, ["the lines of data.valid_source or data.valid_target changed since it was saved"])
    XCTAssertTrue(best.hasPrefix("step 6, valid loss "), best)
    // With --reset-best the run goes on, and measures on the new lines from then on.
    let run = try TrainingRun(config: config, resume: true, resetBest: true) { _ in }
    run.pointerDirectory = nil
    XCTAssertEqual(try run.run().best?.step, 8)
    run.releaseLock()
    let later = try tiny.config(["max_steps": "10", "valid_bleu": "false"])
    XCTAssertEqual(try tiny.train(later, resume: true).summary.steps, 10)
    // Put back as they were, the lines are not those best/ was measured on now.
    try lines.write(toFile: source, atomically: true, encoding: .utf8)
    let reverted = try tiny.config(["max_steps": "12", "valid_bleu": "false"])
    XCTAssertNotNil(failure { try tiny.train(reverted, resume: true) })
  }

  func testResumeOnOtherValidationFilesNeedsResetBest() throws {
    try tiny.train(try tiny.config(["max_steps": "6", "valid_bleu": "false"]))
    let other = [
      "data.valid_source=\(tiny.path("train.src"))", "data.valid_target=\(tiny.path("train.tgt"))",
    ]
    let config = try tiny.config(["max_steps": "8", "valid_bleu": "false"], overrides: other)
    let error = failure { try tiny.train(config, resume: true) }
    guard case .validationChanged(let checkpoint, let changes, let best) = error else {
      return XCTFail("\(String(describing: error))")
    }
    XCTAssertEqual(checkpoint, "\(tiny.runDirectory)/last")
    XCTAssertEqual(
      changes,
      [
        "data.valid_source \"\(tiny.path("valid.src"))\" → \"\(tiny.path("train.src"))\"",
        "data.valid_target \"\(tiny.path("valid.tgt"))\" → \"\(tiny.path("train.tgt"))\"",
      ])
    XCTAssertTrue(best.hasPrefix("step 6, valid loss "), best)
    XCTAssertTrue(error?.description.contains("pass --reset-best") ?? false)

    var events: [TrainingEvent] = []
    let run = try TrainingRun(config: config, resume: true, resetBest: true) { events.append($0) }
    run.pointerDirectory = nil
    let summary = try run.run()
    XCTAssertEqual(summary.best?.step, 8)
    XCTAssertTrue(
      events.contains {
        if case .warning(let text) = $0 {
          text.hasPrefix("--reset-best: the best score so far (step 6")
        } else {
          false
        }
      })
  }

  /// A step checkpoint of a later step than last/ (left after last/ was replaced by an older
  /// checkpoint) is neither counted nor removed by keep_last_checkpoints, and never makes it
  /// remove the one just written; the resumed run warns about it once.
  func testStepCheckpointsAfterTheResumedStepAreLeftOutOfKeepLast() throws {
    try tiny.train(try tiny.config(["max_steps": "6", "valid_bleu": "false"]))
    let store = CheckpointStore(directory: tiny.runDirectory)
    try FileManager.default.copyItem(atPath: store.stepPath(6), toPath: store.stepPath(500))
    let config = try tiny.config([
      "max_steps": "12", "valid_bleu": "false", "keep_last_checkpoints": "1",
    ])
    let (_, events) = try tiny.train(config, resume: true)
    XCTAssertEqual(
      try FileManager.default.contentsOfDirectory(atPath: store.stepsPath).sorted(),
      ["step-000012", "step-000500"])
    let warnings = events.compactMap { event -> String? in
      if case .warning(let text) = event { text } else { nil }
    }
    XCTAssertEqual(
      warnings,
      [
        "'\(store.stepPath(500))' is of a later step than last/ (step 6), left from a later "
          + "state of the run: training.keep_last_checkpoints does not count it, 'average "
          + "--last' leaves it out, and the run replaces it when it reaches that step; remove "
          + "it if not wanted"
      ])
    XCTAssertEqual(store.steps(after: 12), [store.stepPath(500)])
    XCTAssertEqual(
      CheckpointStore.listed(["a", "b", "c", "d"]), "'a', 'b' and 2 more")
    XCTAssertEqual(CheckpointStore.listed(["a", "b", "c"]), "'a', 'b' and 'c'")
  }

  /// A resumed run whose best/ is gone is refused before it trains (it would fail only when
  /// translating the test set with best/ at the end); --reset-best resumes it, and its next
  /// validation writes best/ again.
  func testResumeWithoutBestIsRefusedBeforeTrainingUnlessResetBest() throws {
    try tiny.train(try tiny.config(["max_steps": "6", "valid_bleu": "false"]))
    let store = CheckpointStore(directory: tiny.runDirectory)
    let metrics = try String(contentsOfFile: tiny.path("runs/tiny/metrics.jsonl"), encoding: .utf8)
    try FileManager.default.removeItem(atPath: store.bestPath)
    let config = try tiny.config(["max_steps": "12", "valid_bleu": "false"])
    let error = failure { try tiny.train(config, resume: true) }
    guard case .bestUnusable(let path, let reason, let best) = error else {
      return XCTFail("\(String(describing: error))")
    }
    XCTAssertEqual(path, store.bestPath)
    XCTAssertEqual(reason, "the directory is missing")
    XCTAssertTrue(best.hasPrefix("step 6, valid loss "), best)
    XCTAssertTrue(error?.description.contains("pass --reset-best") ?? false)
    XCTAssertEqual(
      try String(contentsOfFile: tiny.path("runs/tiny/metrics.jsonl"), encoding: .utf8), metrics)

    // A damaged one too, naming the file.
    try FileManager.default.copyItem(atPath: store.lastPath, toPath: store.bestPath)
    let model = CheckpointStore.join(store.bestPath, Checkpoint.modelFileName)
    try Data([1, 2, 3]).write(to: URL(fileURLWithPath: model))
    let damaged = failure { try tiny.train(config, resume: true) }
    guard case .bestUnusable(model, _, _) = damaged else {
      return XCTFail("\(String(describing: damaged))")
    }

    try FileManager.default.removeItem(atPath: store.bestPath)
    let run = try TrainingRun(config: config, resume: true, resetBest: true) { _ in }
    run.pointerDirectory = nil
    XCTAssertEqual(try run.run().best?.step, 12)
    run.releaseLock()
    XCTAssertTrue(
      FileManager.default.fileExists(
        atPath: CheckpointStore.join(store.bestPath, Checkpoint.modelFileName)))
  }

  /// A file the run writes (metrics.jsonl, or summary.json that the caller names) that is a
  /// directory is refused while setting up, fresh or resumed, not after training.
  func testOutputFileThatIsADirectoryIsRefusedBeforeTraining() throws {
    try FileManager.default.createDirectory(
      atPath: tiny.path("runs/tiny/summary.json"), withIntermediateDirectories: true)
    let config = try tiny.config(["max_steps": "6", "valid_bleu": "false"])
    let fresh = failure {
      _ = try TrainingRun(config: config, resume: false, alsoWriting: ["summary.json"])
    }
    XCTAssertEqual(
      fresh,
      .cannotWrite(
        path: tiny.path("runs/tiny/summary.json"),
        reason: "it is a directory, not a file; the run writes this file, so remove or rename it"))
    XCTAssertEqual(
      try FileManager.default.contentsOfDirectory(atPath: tiny.runDirectory), ["summary.json"])
    try FileManager.default.removeItem(atPath: tiny.path("runs/tiny/summary.json"))

    try tiny.train(config)
    let metrics = tiny.path("runs/tiny/metrics.jsonl")
    try FileManager.default.removeItem(atPath: metrics)
    try FileManager.default.createDirectory(atPath: metrics, withIntermediateDirectories: true)
    let longer = try tiny.config(["max_steps": "12", "valid_bleu": "false"])
    let resumed = failure { _ = try TrainingRun(config: longer, resume: true) }
    guard case .cannotWrite(metrics, _) = resumed else {
      return XCTFail("\(String(describing: resumed))")
    }
  }
}
