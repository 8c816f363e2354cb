import Foundation
import Support
import XCTest

@testable import CLI

/// Line-oriented input: a line longer than the limit is refused as soon as the limit is passed
/// (an endless one too), and pipes read as files do.
final class TextFileReaderTests: XCTestCase {
  private var directory: TemporaryDirectory!

  override func setUpWithError() throws {
    directory = try TemporaryDirectory()
  }

  override func tearDown() {
    directory.remove()
  }

  func testALineLongerThanTheLimitNamesTheFileAndLine() throws {
    let path = try directory.write("long.txt", "short\n" + "0123456789\n" + "01234567890\nx\n")
    let reader = try TextFileReader(path: path, maximumLineLength: 10)
    XCTAssertEqual(try reader.nextLine(), "short")
    XCTAssertEqual(try reader.nextLine(), "0123456789", "a line of exactly the limit is read")
    XCTAssertThrowsError(try reader.nextLine()) { error in
      XCTAssertEqual(error as? TextFileError, .lineTooLong(path: path, line: 3, limit: 10))
    }
    XCTAssertThrowsError(
      try TextFile.readLines(at: URL(fileURLWithPath: path), maximumLineLength: 10)
    ) {
      XCTAssertEqual(
        "\($0)", "\(path):3: the line is longer than 10 bytes; give one sentence a line")
    }
    // The last line, without a final LF, is checked too.
    let unterminated = try directory.write("end.txt", "a\n0123456789A")
    XCTAssertThrowsError(
      try TextFile.readLines(at: URL(fileURLWithPath: unterminated), maximumLineLength: 10)
    ) {
      XCTAssertEqual($0 as? TextFileError, .lineTooLong(path: unterminated, line: 2, limit: 10))
    }
  }

  /// `/dev/zero` has no line end: reading must stop at the limit, not run out of memory.
  func testAnEndlessLineStopsAtTheLimit() throws {
    guard FileManager.default.fileExists(atPath: "/dev/zero") else {
      throw XCTSkip("no /dev/zero on this system")
    }
    let reader = try TextFileReader(path: "/dev/zero")
    XCTAssertThrowsError(try reader.nextLine()) { error in
      XCTAssertEqual(
        error as? TextFileError,
        .lineTooLong(path: "/dev/zero", line: 1, limit: TextFileReader.maximumLineLength))
    }
    XCTAssertThrowsError(try EvalCommand.lines(of: "/dev/zero")) { error in
      XCTAssertEqual(
        error as? TextFileError,
        .lineTooLong(path: "/dev/zero", line: 1, limit: 1_048_576))
    }
  }

  /// Every command reading lines refuses a line over 1 MiB with one error line, exit status 1.
  func testCommandsRefuseALineOverOneMebibyte() throws {
    let long = try directory.write(
      "long.txt", "a b\n" + String(repeating: "a", count: TextFileReader.maximumLineLength + 1))
    let message =
      "Error: \(long):2: the line is longer than 1048576 bytes; give one sentence a line\n"
    let model = directory.path("bpe.model")
    let learned = CLIRun("bpe", "learn", "--vocab-size", "300", "--input", long, "--output", model)
    XCTAssertEqual(learned.status, 1)
    XCTAssertEqual(learned.errors, message)
    XCTAssertFalse(FileManager.default.fileExists(atPath: model))

    let text = try directory.write("text.txt", "a b a b\n")
    XCTAssertEqual(
      CLIRun("bpe", "learn", "--vocab-size", "300", "--input", text, "--output", model).status, 0)
    let encoded = CLIRun("bpe", "encode", "--model", model, "--input", long)
    XCTAssertEqual(encoded.status, 1)
    XCTAssertEqual(encoded.errors, message)
    let scored = CLIRun("eval", "--bleu", "--hypothesis", long, "--reference", text)
    XCTAssertEqual(scored.status, 1)
    XCTAssertEqual(scored.errors, message)
  }

  /// A FIFO, as `<(command)` gives, is read as a stream (Foundation's whole-file read refuses it).
  func testAPipeReadsAsAFile() throws {
    let fifo = directory.path("fifo")
    guard mkfifo(fifo, 0o600) == 0 else { throw XCTSkip("cannot make a FIFO here") }
    let writer = Thread {
      guard let handle = FileHandle(forWritingAtPath: fifo) else { return }
      handle.write(Data("one\r\ntwo\n".utf8))
      try? handle.close()
    }
    writer.start()
    XCTAssertEqual(try TextFile.readLines(at: URL(fileURLWithPath: fifo)), ["one", "two"])
  }
}
