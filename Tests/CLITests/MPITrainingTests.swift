import Foundation
import Training
import XCTest

/// Data-parallel training through `mpirun` with the built executable: two processes with
/// `accumulate` 1 must train as one process with `accumulate` 2 (the same batches), and a run
/// stopped and resumed must end with the same checkpoint as one that was not.
///
/// Runs only in a build with the `MPI` trait and with `mpirun` on the PATH; otherwise skipped.
/// Dropout is on (the toy config's 0.1): each batch draws its masks from (seed, step, batch of
/// the step), whichever process computes it.
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
      // Buckets of 0.5 MB: the toy model's 4.2 MB of gradients in 9 sums started during
      // backward.
      try launch(
        mpirun,
        twoRanks(executable) + training(two, steps: 30, accumulate: 1)
          + ["--set", "training.allreduce_bucket_mb=0.5"])
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

      // One fused allreduce after backward: with two processes each sum is the same a + b,
      // so the same weights, bit for bit.
      let fused = directory.path("fused")
      try launch(
        mpirun,
        twoRanks(executable) + training(fused, steps: 30, accumulate: 1)
          + ["--set", "training.allreduce_bucket_mb=0"])
      XCTAssertEqual(try losses(fused), twoLosses)
      XCTAssertTrue(
        try tensorBytes("\(fused)/last/model.safetensors")
          == tensorBytes("\(two)/last/model.safetensors"),
        "the fused allreduce gave other weights than the buckets")

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

  /// Rank 0 alone locks the run directory: two ranks train (the other rank neither locks nor
  /// is refused), and a launch into a directory another process holds stops every rank at
  /// once with rank 0's one line, instead of leaving the other rank waiting.
  func testRankZeroHoldsTheLockAndARefusalStopsEveryRank() throws {
    #if MPI
      let (executable, mpirun) = try tools()
      let run = directory.path("locked")
      try launch(mpirun, twoRanks(executable) + training(run, steps: 2, accumulate: 1))
      let lock = try TrainingRunLock(directory: run)
      defer { lock.release() }
      let started = Date()
      let (status, text) = try outcome(
        mpirun,
        twoRanks(executable) + training(run, steps: 4, accumulate: 1) + ["--resume"])
      XCTAssertNotEqual(status, 0, text)
      XCTAssertEqual(
        text.components(separatedBy: "is in use by another training run").count, 2, text)
      XCTAssertLessThan(Date().timeIntervalSince(started), 60, text)
      XCTAssertEqual(try steps(run), [1, 2])
    #else
      throw XCTSkip("built without the MPI trait ('swift build --traits MPI')")
    #endif
  }

  /// The ranks learn from MPI (`MPI_Comm_split_type`) how many of them share this machine,
  /// with any launcher: the memory check gives each its share and the warning about threads
  /// counts them.
  func testRanksCountThoseOnTheirMachine() throws {
    #if MPI
      let (executable, mpirun) = try tools()
      let threads = ProcessInfo.processInfo.activeProcessorCount
      var arguments = twoRanks(executable)
      arguments += training(directory.path("local"), steps: 1, accumulate: 1)
      arguments[arguments.firstIndex(of: "--threads")! + 1] = String(threads)
      let (status, text) = try outcome(mpirun, arguments)
      XCTAssertEqual(status, 0, text)
      XCTAssertTrue(
        text.contains("2 processes × \(threads) threads = \(2 * threads) threads on "), text)
    #else
      throw XCTSkip("built without the MPI trait ('swift build --traits MPI')")
    #endif
  }

  /// SIGTERM to the launcher script while steps take seconds (3 batches a rank): every rank
  /// stops after the same step, rank 0 saves `last/`, the script exits 143, and the run
  /// resumes from there. Plain `mpirun` would kill the ranks about 2 s after the signal.
  func testSIGTERMToTheLauncherSavesLastAndResumes() throws {
    #if MPI
      let (executable, _) = try tools()
      let run = directory.path("stopped")
      let script = repository.appendingPathComponent("scripts/mpirun-train.sh")
      let arguments =
        [script.path] + twoRanks(executable) + training(run, steps: 500, accumulate: 3)
      let process = Process()
      process.executableURL = URL(fileURLWithPath: "/bin/bash")
      process.arguments = arguments
      process.currentDirectoryURL = repository
      // stderr into a file, so that a full pipe never blocks mpirun.
      let errorPath = directory.path("stopped.stderr")
      _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
      process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
      process.standardOutput = FileHandle.nullDevice
      try process.run()
      let deadline = Date().addingTimeInterval(300)
      while (try? losses(run).count) ?? 0 < 2, Date() < deadline, process.isRunning {
        Thread.sleep(forTimeInterval: 0.2)
      }
      XCTAssertTrue(process.isRunning, "the run ended before the signal")
      kill(process.processIdentifier, SIGTERM)
      process.waitUntilExit()
      let text = try String(contentsOfFile: errorPath, encoding: .utf8)
      XCTAssertEqual(process.terminationStatus, 143, text)
      XCTAssertTrue(text.contains("SIGUSR1: finishing this step"), text)
      let steps = try self.steps(run)
      let stopped = try XCTUnwrap(steps.last)
      XCTAssertEqual(steps, Array(1...stopped))
      XCTAssertLessThan(stopped, 500)
      for file in ["model.safetensors", "trainer.safetensors", "config.json", "bpe.model"] {
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(run)/last/\(file)"), file)
      }
      // Resumed for two more steps: it continues at the step after the one saved.
      let (_, mpirun) = try tools()
      try launch(
        mpirun,
        twoRanks(executable) + training(run, steps: stopped + 2, accumulate: 3) + ["--resume"])
      XCTAssertEqual(try self.steps(run), Array(1...stopped + 2))
    #else
      throw XCTSkip("built without the MPI trait ('swift build --traits MPI')")
    #endif
  }

  /// The step of each training line of `metrics.jsonl`.
  private func steps(_ run: String) throws -> [Int] {
    let text = try String(contentsOfFile: "\(run)/metrics.jsonl", encoding: .utf8)
    return try text.split(separator: "\n").compactMap { line in
      let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
      return object?["loss"] == nil ? nil : object?["step"] as? Int
    }
  }

  /// The repository: the configs' data paths are relative to it.
  private var repository: URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
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

  /// The arguments of a short toy run into `output`: no BLEU, no time limit,
  /// a log line every step, a validation at step 15 and at the end.
  private func training(_ output: String, steps: Int, accumulate: Int) -> [String] {
    let sets = [
      "output.dir=\(output)", "training.max_steps=\(steps)", "training.accumulate=\(accumulate)",
      "training.log_every=1", "training.valid_every=15", "training.valid_bleu=false",
      "training.max_time_minutes=0", "data.test_source=",
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
    let (status, text) = try outcome(program, arguments)
    guard status == 0 else {
      throw RuntimeFailure(message: "\(program.lastPathComponent) exited \(status): \(text)")
    }
  }

  /// Runs `program` to its end (at most 10 minutes): its exit status and stderr.
  private func outcome(_ program: URL, _ arguments: [String]) throws -> (Int32, String) {
    let process = Process()
    process.executableURL = program
    process.arguments = arguments
    // The config's data paths are relative to the repository.
    process.currentDirectoryURL = repository
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let watchdog = DispatchWorkItem { process.interrupt() }
    DispatchQueue.global().asyncAfter(deadline: .now() + 600, execute: watchdog)
    let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    watchdog.cancel()
    return (process.terminationStatus, text)
  }
}

/// A launched program that did not exit 0, with its stderr.
private struct RuntimeFailure: Error, CustomStringConvertible {
  var message: String
  var description: String { message }
}
