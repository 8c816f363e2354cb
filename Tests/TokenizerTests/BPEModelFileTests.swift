import Foundation
import XCTest

@testable import Tokenizer

/// Saving and loading BPE models, and the errors for damaged files.
final class BPEModelFileTests: XCTestCase {
  private var directory: URL!

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("bpe-model-file-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws {
    try? FileManager.default.removeItem(at: directory)
  }

  func testSaveAndLoadGiveTheSameModel() throws {
    let model = BPETests.model
    let url = directory.appendingPathComponent("joint.bpe")
    try model.save(to: url)
    let loaded = try BPEModel(contentsOf: url)
    XCTAssertEqual(loaded, model)
    let text = "철수가 영희에게 사과를 주었다 🍕 a▁b"
    XCTAssertEqual(loaded.encode(text), model.encode(text))
    // Saving over an existing file replaces it and leaves no temporary file behind.
    try model.save(to: url)
    XCTAssertEqual(
      try FileManager.default.contentsOfDirectory(atPath: directory.path), ["joint.bpe"])
  }

  /// `--model <(command)`: a pipe reads as the file does.
  func testAModelReadsFromAPipe() throws {
    let fifo = directory.appendingPathComponent("fifo").path
    guard mkfifo(fifo, 0o600) == 0 else { throw XCTSkip("cannot make a FIFO here") }
    let text = BPETests.model.fileText()
    let writer = Thread {
      guard let handle = FileHandle(forWritingAtPath: fifo) else { return }
      handle.write(Data(text.utf8))
      try? handle.close()
    }
    writer.start()
    XCTAssertEqual(try BPEModel(contentsOf: URL(fileURLWithPath: fifo)), BPETests.model)
  }

  func testFileStartsWithMagicAndVersion() {
    let text = BPETests.model.fileText()
    XCTAssertTrue(text.hasPrefix("transformer-cli-bpe 1\n"))
    XCTAssertTrue(
      text.contains(
        "\npieces \(BPETests.model.vocabulary.count)\n<pad>\n<s>\n</s>\n<unk>\n<0x00>\n"))
  }

  /// Loads `text` as a model file and returns the error's line and message.
  private func loadError(_ text: String) -> (line: Int, message: String)? {
    let url = directory.appendingPathComponent("broken.bpe")
    do {
      try Data(text.utf8).write(to: url)
      _ = try BPEModel(contentsOf: url)
      return nil
    } catch let error as BPEError {
      guard case .malformedModel(let path, let line, _) = error else { return (0, "\(error)") }
      XCTAssertEqual(path, url.path)
      XCTAssertTrue(error.description.hasPrefix("\(url.path):\(line): not a valid BPE model"))
      return (line, error.description)
    } catch {
      return (0, "\(error)")
    }
  }

  /// The saved model's lines, to damage one at a time.
  private var lines: [String] {
    BPETests.model.fileText().split(separator: "\n", omittingEmptySubsequences: false).map(
      String.init)
  }

  private func replacing(_ index: Int, with line: String) -> String {
    var lines = self.lines
    lines[index] = line
    return lines.joined(separator: "\n")
  }

  func testCorruptFilesNameTheLine() throws {
    let lines = self.lines
    let piecesLine = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("pieces ") })
    let mergesLine = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("merges ") })

    XCTAssertEqual(loadError("hello\n")?.line, 1)
    XCTAssertTrue(
      loadError(replacing(0, with: "transformer-cli-bpe 9"))?.message.contains("version 9") ?? false
    )
    XCTAssertEqual(loadError(replacing(piecesLine, with: "pieces many"))?.line, piecesLine + 1)
    // A reserved piece in the wrong place.
    XCTAssertEqual(loadError(replacing(piecesLine + 2, with: "<x>"))?.line, piecesLine + 3)
    // A learned piece repeated, or holding a space.
    let firstLearned = piecesLine + 1 + Vocabulary.reservedCount
    XCTAssertEqual(
      loadError(replacing(firstLearned + 1, with: lines[firstLearned]))?.line, firstLearned + 2)
    XCTAssertEqual(loadError(replacing(firstLearned, with: "a b"))?.line, firstLearned + 1)
    // A merge with an unknown side, or one side only.
    XCTAssertEqual(loadError(replacing(mergesLine + 1, with: "qqq zzz"))?.line, mergesLine + 2)
    XCTAssertEqual(loadError(replacing(mergesLine + 1, with: "e"))?.line, mergesLine + 2)
    // Truncated in the middle of the merges: the count line is at fault.
    let truncated = lines.prefix(mergesLine + 3).joined(separator: "\n")
    let error = loadError(truncated)
    XCTAssertEqual(error?.line, mergesLine + 1)
    XCTAssertTrue(error?.message.contains("truncated") ?? false)
  }

  /// Counts far beyond what the file holds once made loading reserve memory for them and
  /// abort (heap corruption, or a failed allocation of terabytes) instead of reporting.
  func testImpossibleCountsAreErrorsNotAllocations() throws {
    let lines = self.lines
    let piecesLine = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("pieces ") })
    let mergesLine = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("merges ") })
    for count in ["9223372036854775807", "99999999999", "\(lines.count)"] {
      let merges = loadError(replacing(mergesLine, with: "merges \(count)"))
      XCTAssertEqual(merges?.line, mergesLine + 1, count)
      XCTAssertTrue(merges?.message.contains("'merges \(count)' announces") ?? false, count)
      // Read one piece a line, so the error is that of the first line that is no piece.
      let pieces = loadError(replacing(piecesLine, with: "pieces \(count)"))
      XCTAssertGreaterThan(pieces?.line ?? 0, piecesLine + 1, count)
    }
    XCTAssertNotNil(loadError(replacing(mergesLine, with: "merges 9223372036854775808")))
  }

  func testInvalidUTF8InTheModelIsReportedWithItsLine() throws {
    let url = directory.appendingPathComponent("bytes.bpe")
    var data = Data("transformer-cli-bpe 1\npieces 300\n".utf8)
    data.append(contentsOf: [0xFF, 0xFE, 0x0A])
    try data.write(to: url)
    XCTAssertThrowsError(try BPEModel(contentsOf: url)) { error in
      XCTAssertEqual(
        error as? BPEError,
        .malformedModel(path: url.path, line: 3, reason: "the line is not valid UTF-8"))
    }
  }

  func testMissingFileIsAClearError() {
    let url = directory.appendingPathComponent("missing.bpe")
    XCTAssertThrowsError(try BPEModel(contentsOf: url)) { error in
      guard case .cannotRead(let path, _) = error as? BPEError else {
        return XCTFail("unexpected \(error)")
      }
      XCTAssertEqual(path, url.path)
    }
  }

  func testLearningFromFilesReportsBadInput() throws {
    let url = directory.appendingPathComponent("train.txt")
    var data = Data("fine line\nanother\n".utf8)
    data.append(contentsOf: [0x61, 0xC3, 0x28, 0x0A])
    try data.write(to: url)
    XCTAssertThrowsError(try BPEModel.learn(files: [url], vocabularySize: 300)) { error in
      XCTAssertEqual(error as? BPEError, .input(.invalidUTF8(path: url.path, line: 3)))
      XCTAssertEqual(
        "\(error)",
        "\(url.path):3: not valid UTF-8; convert the file to UTF-8 (for example with iconv)")
    }
  }
}
