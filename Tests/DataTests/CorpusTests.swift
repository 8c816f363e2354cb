import Foundation
import XCTest
@testable import Data
import Support
import Tokenizer


/// Reading line-aligned parallel files: errors, skipped pairs and counts.
final class CorpusTests: XCTestCase {
  /// A small BPE model of English and Korean text.
  static let model: BPEModel = {
    let lines = [
      "I go to school", "I went to school yesterday", "we go to the park", "the apple is red",
      "나는 학교에 간다", "철수가 영희에게 사과를 주었다", "사과는 빨갛다", "우리는 공원에 간다",
    ]
    return try! BPEModel.learn(lines: lines + lines, vocabularySize: 400)
  }()

  private var directory: URL!

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("corpus-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws {
    try? FileManager.default.removeItem(at: directory)
  }

  private func write(_ name: String, _ bytes: [UInt8]) throws -> URL {
    let url = directory.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url
  }

  private func write(_ name: String, _ text: String) throws -> URL {
    try write(name, Array(text.utf8))
  }

  private func load(_ source: URL, _ target: URL, maxLength: Int = 50) throws -> ParallelCorpus {
    try ParallelCorpus.load(
      sourceFile: source, targetFile: target, sourceModel: Self.model,
      targetModel: Self.model, maxLength: maxLength)
  }

  func testLineEndingsAndByteOrderMark() throws {
    let url = try write("crlf.txt", [0xEF, 0xBB, 0xBF] + Array("one\r\ntwo\r\n\nfour".utf8))
    XCTAssertEqual(try TextFile.readLines(at: url), ["one", "two", "", "four"])
    let terminated = try write("lf.txt", "a\nb\n")
    XCTAssertEqual(try TextFile.readLines(at: terminated), ["a", "b"])
    XCTAssertEqual(try TextFile.readLines(at: try write("empty.txt", "")), [])
  }

  func testDifferentLineCountsNameBothFilesAndCounts() throws {
    let source = try write("train.en", "I go to school\nwe go\nthe apple is red\n")
    let target = try write("train.ko", "나는 학교에 간다\n우리는 간다\n")
    XCTAssertThrowsError(try load(source, target)) { error in
      XCTAssertEqual(
        error as? CorpusError,
        .lineCountMismatch(
          sourcePath: source.path, sourceLines: 3, targetPath: target.path, targetLines: 2))
      XCTAssertEqual(
        "\(error)",
        "'\(source.path)' has 3 lines but '\(target.path)' has 2; a parallel corpus needs one "
          + "target line for every source line")
    }
  }

  func testInvalidUTF8NamesTheFileAndLine() throws {
    let source = try write("train.en", "one\ntwo\nthree\n")
    let target = try write("train.ko", Array("하나\n둘\n".utf8) + [0xED, 0xA0, 0x80, 0x0A])
    XCTAssertThrowsError(try load(source, target)) { error in
      XCTAssertEqual(error as? CorpusError, .file(.invalidUTF8(path: target.path, line: 3)))
      XCTAssertTrue("\(error)".hasPrefix("\(target.path):3: not valid UTF-8"))
    }
  }

  func testEmptyAndTooLongPairsAreSkippedAndCounted() throws {
    let source = try write(
      "train.en",
      "I go to school\n\nwe go\n   \n" + String(repeating: "the lower the better ", count: 4)
        + "\nok\n")
    let target = try write(
      "train.ko", "나는 학교에 간다\n빈\n\n\t\n짧다\n좋다\n")
    let corpus = try load(source, target, maxLength: 12)
    let expected = [
      "lines 6", "kept 2", "empty 3", "too long 1",
    ]
    let statistics = corpus.statistics
    XCTAssertEqual(
      [
        "lines \(statistics.lineCount)", "kept \(statistics.pairCount)",
        "empty \(statistics.emptyPairs)",
        "too long \(statistics.tooLongPairs)",
      ], expected)
    XCTAssertEqual(corpus.pairs.map(\.line), [1, 6])
    XCTAssertEqual(corpus.pairs[0].source, Self.model.encodeIDs("I go to school"))
    XCTAssertEqual(statistics.sourceTokenCount, corpus.pairs.map(\.source.count).reduce(0, +))
    XCTAssertEqual(statistics.targetTokenCount, corpus.pairs.map(\.target.count).reduce(0, +))
    XCTAssertTrue(
      statistics.summary.hasPrefix("2 pairs kept of 6 lines (3 empty, 1 too long skipped)"))
  }

  func testNothingLeftIsAnError() throws {
    let source = try write("train.en", "\nthe lower the better the lower the better\n")
    let target = try write("train.ko", "빈\n길다\n")
    XCTAssertThrowsError(try load(source, target, maxLength: 3)) { error in
      XCTAssertEqual(
        error as? CorpusError,
        .noPairs(
          sourcePath: source.path, targetPath: target.path, empty: 1, tooLong: 1, maxLength: 3))
    }
  }

  func testMissingFileIsAClearError() throws {
    let target = try write("train.ko", "하나\n")
    let missing = directory.appendingPathComponent("nope.en")
    XCTAssertThrowsError(try load(missing, target)) { error in
      XCTAssertEqual("\(error)", "cannot read '\(missing.path)': no such file")
    }
  }
}
