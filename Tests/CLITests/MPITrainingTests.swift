import Foundation
import XCTest

/// Data-parallel training through `mpirun` with the built executable: two processes with
/// `accumulate` 1 must train as one process with `accumulate` 2 (the same batches), and a run
/// stopped and resumed must end with the same checkpoint as one that was not.
///
/// Runs only in a build with the `MPI` trait and with `mpirun` on the PATH; otherwise skipped.
/// Dropout is off: with several processes each draws its masks from (seed, step, rank), not
/// from the one stream a single process uses, so only the dropout-free runs can agree.
final class MPITrainingTests: XCTestCase {
  private var directory: TemporaryDirectory!

  override func setUpWithError() throws {
    directory = try TemporaryDirectory()
  }

  override func tearDownWithError() throws {
    try? FileManager.default.removeItem(at: directory.url)
  }

  func testTwoProcessesTrainAsOneAccumulatingTwo() throws {
    #if MPI
      let (executable, mpirun) = try tools()
      let two = directory.path("two")
      let one = directory.path("one")
      try launch(mpirun, twoRanks(executable) + training(two, steps: 30, accumulate: 1))
      try launch(executable, training(one, steps: 30, accumulate: 2))
      let twoLosses = try losses(two)
      let oneLosses = try losses(one)
      XCTAssertEqual(twoLosses.count, 30 + 2)
      XCTAssertEqual(twoLosses.count, oneLosses.count)
      for (index, (a, b)) in zip(twoLosses, oneLosses).enumerated() {
        XCTAssertEqual(a, b, accuracy: 1e-4 * max(1, abs(b)), "metrics line \(index + 1)")
      }
      let largest = zip(twoLosses, oneLosses).map { abs($0 - $1) }.max() ?? 0
      print("2 ranks against 1 rank with accumulate 2: largest loss difference \(largest)")

      // Stopped at step 15 (a validation), resumed to 30: the same weights and Adam moments
      // (the trainer file's metadata holds the clock, which differs).
      let resumed = directory.path("resumed")
      try launch(mpirun, twoRanks(executable) + training(resumed, steps: 15, accumulate: 1))
      try launch(
        mpirun,
        twoRanks(executable) + training(resumed, steps: 30, accumulate: 1) + ["--resume"])
      XCTAssertEqual(try losses(resumed), twoLosses)
      for file in ["model.safetensors", "trainer.safetensors"] {
        let a = try tensorBytes("\(two)/last/\(file)")
        let b = try tensorBytes("\(resumed)/last/\(file)")
        XCTAssertFalse(a.isEmpty)
        XCTAssertTrue(a == b, "the tensors in \(file) of the resumed run differ")
      }
    #else
      throw XCTSkip("built without the MPI trait ('swift build --traits MPI')")
    #endif
  }

  /// The tensor data of a safetensors file: what follows the 8-byte header length and the
  /// JSON header.
  private func tensorBytes(_ path: String) throws -> Data {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    guard data.count >= 8 else { return Data() }
    let headerLength = data.prefix(8).enumerated().reduce(0) {
      $0 | Int($1.element) << (8 * $1.offset)
    }
    return data.dropFirst(8 + headerLength)
  }

  /// The loss of each `metrics.jsonl` line: training and validation.
  private func losses(_ run: String) throws -> [Double] {
    let text = try String(contentsOfFile: "\(run)/metrics.jsonl", encoding: .utf8)
    return try text.split(separator: "\n").map { line in
      let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
      return (object?["loss"] ?? object?["valid_loss"]) as? Double ?? .nan
    }
  }

  /// The arguments of a short toy run into `output`: no dropout, no BLEU, no time limit,
  /// a log line every step, a validation at step 15 and at the end.
  private func training(_ output: String, steps: Int, accumulate: Int) -> [String] {
    let sets = [
      "output.dir=\(output)", "training.max_steps=\(steps)", "training.accumulate=\(accumulate)",
      "training.log_every=1", "training.valid_every=15", "training.valid_bleu=false",
      "training.max_time_minutes=0", "model.dropout=0", "data.test_source=",
      "data.test_target=",
    ]
    return ["train", "--threads", "1", "--config", "configs/toy.json"]
      + sets.flatMap { ["--set", $0] }
  }

  /// `mpirun` arguments for two ranks of `executable`.
  private func twoRanks(_ executable: URL) -> [String] {
    ["--oversubscribe", "--allow-run-as-root", "-np", "2", executable.path]
  }

  private func tools() throws -> (URL, URL) {
    guard let executable = BPECommandTests.builtExecutable() else {
      throw XCTSkip("the transformer-cli executable is not built beside the tests")
    }
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for folder in path.split(separator: ":") {
      let mpirun = URL(fileURLWithPath: String(folder)).appendingPathComponent("mpirun")
      if FileManager.default.isExecutableFile(atPath: mpirun.path) { return (executable, mpirun) }
    }
    throw XCTSkip("mpirun is not on the PATH (apt-get install openmpi-bin)")
  }

  /// Runs `program` to its end (at most 10 minutes), failing with its stderr unless it exits 0.
  private func launch(_ program: URL, _ arguments: [String]) throws {
    let process = Process()
    process.executableURL = program
    process.arguments = arguments
    // The config's data paths are relative to the repository.
    process.currentDirectoryURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent()
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let watchdog = DispatchWorkItem { process.interrupt() }
    DispatchQueue.global().asyncAfter(deadline: .now() + 600, execute: watchdog)
    let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    watchdog.cancel()
    guard process.terminationStatus == 0 else {
      throw RuntimeFailure(
        message: "\(program.lastPathComponent) exited \(process.terminationStatus): \(text)")
    }
  }
}

/// A launched program that did not exit 0, with its stderr.
private struct RuntimeFailure: Error, CustomStringConvertible {
  var message: String
  var description: String { message }
}
