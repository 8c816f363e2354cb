import Foundation
import XCTest
@testable import Data
import Support
import Tokenizer


/// Checks of the committed English→Korean toy corpus in data/toy (made by
/// scripts/make-toy-corpus.swift).
final class CorpusToyTests: XCTestCase {
  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../data/toy").standardizedFileURL

  /// The lines of one split and language, e.g. `lines("train", "ko")`.
  static func lines(_ split: String, _ language: String) throws -> [String] {
    try TextFile.readLines(at: directory.appendingPathComponent("\(split).\(language)"))
  }

  func testSplitSizesAndAlignment() throws {
    for (split, count) in [("train", 20_000), ("valid", 1000), ("test", 1000)] {
      XCTAssertEqual(try CorpusToyTests.lines(split, "en").count, count, split)
      XCTAssertEqual(try CorpusToyTests.lines(split, "ko").count, count, split)
    }
  }

  func testRequiredPairsAreInTrain() throws {
    let english = try CorpusToyTests.lines("train", "en")
    let korean = try CorpusToyTests.lines("train", "ko")
    for (source, target) in [
      ("I go to school", "나는 학교에 간다"),
      ("Cheolsu gave Younghee an apple", "철수가 영희에게 사과를 주었다"),
    ] {
      let line = try XCTUnwrap(english.firstIndex(of: source), "'\(source)' missing from train.en")
      XCTAssertEqual(korean[line], target)
    }
  }

  func testNoValidOrTestSentenceIsInTrain() throws {
    for language in ["en", "ko"] {
      let train = Set(try CorpusToyTests.lines("train", language))
      XCTAssertEqual(train.count, 20_000, "train.\(language) has repeated sentences")
      for split in ["valid", "test"] {
        let overlap = try CorpusToyTests.lines(split, language).filter(train.contains)
        XCTAssertEqual(overlap, [], "\(split).\(language) sentences found in train")
      }
    }
  }

  /// Every noun + particle word in train.ko uses the form its last syllable calls for:
  /// 은/이/을/과 after a final consonant, 는/가/를/와 after a vowel.
  func testParticlesFollowTheFinalConsonant() throws {
    let nouns: Set<String> = [
      "나", "너", "그", "그녀", "우리", "그들", "철수", "영희", "민수", "지영", "현우",
      "사과", "책", "빵", "물", "밥", "우유", "커피", "꽃", "공", "가방", "편지", "신문", "달걀",
      "연필", "우산", "문", "창문", "영화", "도서관", "공원", "식당", "카페", "학교",
    ]
    // (after a consonant, after a vowel)
    let pairs: [(Character, Character)] = [("은", "는"), ("이", "가"), ("을", "를"), ("과", "와")]
    var checked = 0
    var seen: Set<String> = []
    for line in try CorpusToyTests.lines("train", "ko") {
      for word in line.split(separator: " ") {
        guard let particle = word.last, word.count >= 2 else { continue }
        let noun = String(word.dropLast())
        guard nouns.contains(noun),
          let pair = pairs.first(where: { $0.0 == particle || $0.1 == particle })
        else { continue }
        let expected = CorpusToyTests.hasFinalConsonant(noun) ? pair.0 : pair.1
        XCTAssertEqual(particle, expected, "'\(word)' in '\(line)'")
        checked += 1
        seen.insert(String(word))
      }
    }
    XCTAssertGreaterThan(checked, 10_000)
    for word in ["지영이", "철수가", "책을", "사과를", "빵과", "우유와", "도서관은", "나는", "그들은", "가방을"] {
      XCTAssertTrue(seen.contains(word), "'\(word)' never occurs")
    }
  }

  /// The batchim test, written independently of the generator: a precomposed syllable is
  /// 0xAC00 + (initial × 21 + vowel) × 28 + final.
  static func hasFinalConsonant(_ word: String) -> Bool {
    let value = word.unicodeScalars.last!.value
    return (0xAC00...0xD7A3).contains(value) && (value - 0xAC00) % 28 != 0
  }

  func testTopicAndSubjectMarkingIsConsistent() throws {
    let english = try CorpusToyTests.lines("train", "en")
    let korean = try CorpusToyTests.lines("train", "ko")
    for (source, target) in zip(english, korean) {
      let first = target.split(separator: " ")[0]
      if source.hasPrefix("I ") && !source.hasPrefix("I am") && !source.hasPrefix("I was") {
        XCTAssertEqual(first, "나는", source)
      }
      if source.hasPrefix("Cheolsu "), !source.hasPrefix("Cheolsu and"), !source.contains(" is "),
        !source.contains(" was "),
        !source.contains(" will be ")
      {
        XCTAssertEqual(first, "철수가", source)
      }
      if source.hasPrefix("Jiyoung is ") || source.hasPrefix("Jiyoung was ") {
        XCTAssertEqual(first, "지영은", source)
      }
    }
  }

  /// The whole pipeline on the toy corpus: joint BPE, reading, filtering and batching.
  func testPipelineOnTheToyCorpus() throws {
    let train = ["en", "ko"].map { CorpusToyTests.directory.appendingPathComponent("train.\($0)") }
    let model = try BPEModel.learn(files: train, vocabularySize: 1000)
    let corpus = try ParallelCorpus.load(
      sourceFile: CorpusToyTests.directory.appendingPathComponent("valid.en"),
      targetFile: CorpusToyTests.directory.appendingPathComponent("valid.ko"),
      sourceModel: model, targetModel: model, maxLength: 64)
    XCTAssertEqual(corpus.statistics.pairCount, 1000)
    XCTAssertEqual(corpus.statistics.emptyPairs + corpus.statistics.tooLongPairs, 0)
    for line in try CorpusToyTests.lines("valid", "ko") {
      XCTAssertEqual(try model.decode(ids: model.encodeIDs(line)), line)
    }
    let planner = try BatchPlanner(pairs: corpus.pairs, maxTokens: 1024, seed: 1)
    XCTAssertEqual(planner.plan(epoch: 0).flatMap { $0 }.count, 1000)
  }
}
