import Foundation
import Support
import XCTest

@testable import Tokenizer

/// Learning, encoding and decoding of the BPE model.
final class BPETests: XCTestCase {
  /// A small mixed-script training text: English, German, Korean, code and emoji.
  static let trainingLines = [
    "I go to school", "I went to school yesterday", "we go to the park",
    "Cheolsu gave Younghee an apple", "the apple is red", "the lower the better",
    "Zwei junge Männer gehen über die Straße", "Die Mädchen spielen Fußball",
    "나는 학교에 간다", "철수가 영희에게 사과를 주었다", "사과는 빨갛다", "우리는 공원에 간다",
    "let x = foo(bar) { return x + 1 }", "if (a <= b) { print(\"ok\") }",
    "I love pizza 🍕 and coffee ☕", "low lower lowest newer newest wider",
  ]

  static let model: BPEModel = {
    try! BPEModel.learn(lines: trainingLines + trainingLines, vocabularySize: 400)
  }()

  /// Decoding the encoding gives the normalised text back, byte for byte, through pieces and ids.
  func assertRoundTrip(_ text: String, file: StaticString = #filePath, line: UInt = #line) {
    let model = BPETests.model
    let expected = BPEModel.normalize(text)
    let pieces = model.encode(text)
    XCTAssertEqual(
      Array(model.decode(pieces: pieces).utf8), Array(expected.utf8),
      "pieces \(pieces)", file: file, line: line)
    let ids = model.encodeIDs(text)
    XCTAssertFalse(ids.contains(Vocabulary.unknownID), file: file, line: line)
    XCTAssertEqual(
      Array((try? model.decode(ids: ids))?.utf8 ?? "".utf8), Array(expected.utf8),
      file: file, line: line)
    for piece in pieces {
      XCTAssertFalse(piece.contains(" "), "piece '\(piece)' has a space", file: file, line: line)
    }
  }

  func testRoundTripOnMixedScripts() {
    assertRoundTrip("I go to school")
    assertRoundTrip("철수가 영희에게 사과를 주었다")
    assertRoundTrip("Größere Äpfel über Straßen; naïve café")
    assertRoundTrip("family 👨‍👩‍👧 flags 🇰🇷🇩🇪 skin 👍🏽 pizza 🍕")
    assertRoundTrip("func f<T>(_ x: [T]) -> T? { x.first } // ok && || ->")
    assertRoundTrip("tabs\tand\n newlines \u{00A0}no-break\u{3000}ideographic  ")
    assertRoundTrip("中文 日本語 العربية עברית ελληνικά русский")
    // Decomposed é (e + U+0301) must stay decomposed: String == would hide a change.
    assertRoundTrip("cafe\u{0301} and caf\u{00E9}")
    assertRoundTrip("<s> </s> <unk> <pad> <0xE2> are just text here")
    assertRoundTrip("")
    assertRoundTrip("   ")
  }

  func testTextContainingTheWordMarkSurvives() {
    assertRoundTrip("▁")
    assertRoundTrip("a▁b ▁lead trail▁ ▁▁double▁▁")
    assertRoundTrip("▁ ▁ ▁")
    // A literal ▁ is written as bytes, so it can never be read back as a space.
    let pieces = BPETests.model.encode("x▁y")
    XCTAssertEqual(
      Array(pieces[pieces.count - 4..<pieces.count - 1]), ["<0xE2>", "<0x96>", "<0x81>"])
  }

  func testNormalisationFoldsWhiteSpace() {
    XCTAssertEqual(BPEModel.normalize("  a \t b\r\n\nc\u{2003}d  "), "a b c d")
    XCTAssertEqual(BPEModel.normalize(""), "")
  }

  func testUnseenCharactersFallBackToBytes() {
    let model = BPETests.model
    XCTAssertEqual(model.encode("→"), ["▁", "<0xE2>", "<0x86>", "<0x92>"])
    let ids = model.encodeIDs("ok 🦀")
    XCTAssertFalse(ids.contains(Vocabulary.unknownID))
    XCTAssertEqual(ids.suffix(4).map { Vocabulary.byte(forID: $0) }, [0xF0, 0x9F, 0xA6, 0x80])
    XCTAssertEqual(try model.decode(ids: ids), "ok 🦀")
  }

  func testSpecialAndByteIDsAreFixed() {
    let vocabulary = BPETests.model.vocabulary
    XCTAssertEqual(Vocabulary.paddingID, 0)
    XCTAssertEqual(Vocabulary.startID, 1)
    XCTAssertEqual(Vocabulary.endID, 2)
    XCTAssertEqual(Vocabulary.unknownID, 3)
    XCTAssertEqual(Array(vocabulary.pieces.prefix(4)), ["<pad>", "<s>", "</s>", "<unk>"])
    XCTAssertEqual(vocabulary.id(forPiece: "<0x00>"), 4)
    XCTAssertEqual(vocabulary.id(forPiece: "<0xE2>"), 4 + 0xE2)
    XCTAssertEqual(vocabulary.id(forPiece: "<0xFF>"), 259)
    XCTAssertEqual(vocabulary.id(forPiece: "▁"), Vocabulary.wordBoundaryID)
    XCTAssertEqual(Vocabulary.byte(forPiece: "<0xe2>"), nil, "one spelling per byte")
  }

  func testDecodingSkipsControlTokensAndRejectsUnknownIDs() throws {
    let model = BPETests.model
    let ids = [Vocabulary.startID] + model.encodeIDs("I go") + [Vocabulary.endID, 0, 0]
    XCTAssertEqual(try model.decode(ids: ids), "I go")
    XCTAssertEqual(model.decode(pieces: ["▁a", "<unk>", "▁b", "</s>"]), "a⁇ b")
    XCTAssertThrowsError(try model.decode(ids: [model.vocabulary.count])) { error in
      XCTAssertEqual(
        error as? BPEError,
        .idOutOfRange(id: model.vocabulary.count, vocabularySize: model.vocabulary.count))
    }
  }

  /// Byte pieces can spell a line break, a tab, a NUL or an escape; decoded text stays one line
  /// (white space folded and trimmed, other control characters as U+FFFD) so that one input line
  /// gives one output line.
  func testDecodedTextIsOneLine() throws {
    let model = BPETests.model
    XCTAssertEqual(model.decode(pieces: ["<0x0A>"]), "")
    XCTAssertEqual(model.decode(pieces: ["▁a", "<0x0A>", "<0x0D>", "▁b", "<0x09>"]), "a b")
    XCTAssertEqual(model.decode(pieces: ["▁a", "<0xE2>", "<0x80>", "<0xA8>", "b"]), "a b")
    XCTAssertEqual(model.decode(pieces: ["<0xC2>", "<0x85>", "▁a", "<0x0B>", "<0x0C>"]), "a")
    XCTAssertEqual(
      model.decode(pieces: ["▁a", "<0x00>", "<0x1B>", "<0x7F>", "<0xC2>", "<0x9B>"]),
      "a\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}")
    let ids = [Vocabulary.id(forByte: 0x0A), Vocabulary.id(forByte: 0x00)] + model.encodeIDs("x")
    XCTAssertEqual(try model.decode(ids: ids), "\u{FFFD} x")
    // What encoding can represent still comes back as it was.
    XCTAssertEqual(model.decode(pieces: model.encode("  I\u{2029}go\t\u{1B}x ")), "I go \u{FFFD}x")
  }

  /// The classic example of Sennrich et al. (2016), worked by hand: counts low 5, lower 2,
  /// newest 6, widest 3. The first merges are "e s" (9), "es t" (9), then "▁ l" (7) … ties
  /// broken by the smaller pair.
  func testLearnsTheExpectedMergesInOrder() throws {
    let lines =
      Array(repeating: "low", count: 5) + Array(repeating: "lower", count: 2)
      + Array(repeating: "newest", count: 6) + Array(repeating: "widest", count: 3)
    let model = try BPEModel.learn(lines: lines, vocabularySize: 276)
    let merges = model.merges.map {
      model.vocabulary.pieces[Int($0.left)] + " " + model.vocabulary.pieces[Int($0.right)]
    }
    // After "e s" and "es t": ▁l 7, lo 7, ow 7, ▁n 6, ne 6, ew 6, west 6, … The 7s go in byte
    // order (▁ is E2 96 81, above ASCII): "l o" then "lo w" (now 7), then "▁ lo" …
    XCTAssertEqual(Array(merges.prefix(5)), ["e s", "es t", "l o", "lo w", "▁ low"])
    XCTAssertEqual(model.encode("lowest"), ["▁low", "est"])
  }

  func testLearningIsDeterministic() throws {
    let lines = BPETests.trainingLines + BPETests.trainingLines.reversed()
    let first = try BPEModel.learn(lines: lines, vocabularySize: 350)
    let second = try BPEModel.learn(lines: lines.reversed(), vocabularySize: 350)
    XCTAssertEqual(first, second)
    XCTAssertEqual(first.fileText(), second.fileText())
  }

  func testVocabularySizeIsRespected() throws {
    let model = try BPEModel.learn(lines: BPETests.trainingLines, vocabularySize: 300)
    XCTAssertEqual(model.vocabulary.count, 300)
    XCTAssertThrowsError(try BPEModel.learn(lines: ["a"], vocabularySize: 100)) { error in
      XCTAssertEqual(error as? BPEError, .vocabularySizeTooSmall(requested: 100, minimum: 261))
    }
    XCTAssertThrowsError(try BPEModel.learn(lines: ["", "  "], vocabularySize: 300)) { error in
      XCTAssertEqual(error as? BPEError, .noTrainingText)
    }
  }

  func testEncodesWordsAsLearned() {
    let model = BPETests.model
    XCTAssertEqual(model.encode("I go to school"), ["▁I", "▁go", "▁to", "▁school"])
    XCTAssertEqual(model.decode(pieces: ["▁나는", "▁학교", "에", "▁간다"]), "나는 학교에 간다")
  }

  /// The slow reference: rescan the word for the lowest-ranked pair after every merge.
  static func referenceEncode(_ word: String, model: BPEModel) -> [Int] {
    var ranks: [String: (rank: Int, result: Int)] = [:]
    for (rank, merge) in model.merges.enumerated() {
      let key = "\(merge.left) \(merge.right)"
      if ranks[key] == nil { ranks[key] = (rank, Int(merge.result)) }
    }
    var symbols =
      [Vocabulary.wordBoundaryID]
      + word.unicodeScalars.map {
        model.vocabulary.id(forPiece: String($0))!
      }
    while true {
      var best: (rank: Int, position: Int, result: Int)?
      for position in 0..<(symbols.count - 1) {
        if let merge = ranks["\(symbols[position]) \(symbols[position + 1])"],
          merge.rank < best?.rank ?? Int.max
        {
          best = (merge.rank, position, merge.result)
        }
      }
      guard let best else { return symbols }
      symbols[best.position] = best.result
      symbols.remove(at: best.position + 1)
    }
  }

  func testFastMergingMatchesTheReference() throws {
    var random = SplitMix64(seed: 5)
    let letters = Array("abcde")
    func word(_ length: Int) -> String {
      String((0..<length).map { _ in letters[random.next(below: letters.count)] })
    }
    let lines = (0..<300).map { _ in
      (0..<8).map { _ in word(1 + random.next(below: 9)) }.joined(separator: " ")
    }
    let model = try BPEModel.learn(lines: lines, vocabularySize: 400)
    XCTAssertGreaterThan(model.mergeCount, 100)
    for length in [1, 2, 3, 7, 12, 40, 200] {
      for _ in 0..<20 {
        let text = word(length)
        XCTAssertEqual(model.encodeIDs(text), BPETests.referenceEncode(text, model: model), text)
      }
    }
  }

  func testLongWordsEncodeQuickly() throws {
    // 200,000 characters without a space: quadratic merging would take minutes.
    let text = String(repeating: "schoolapple▁가나다", count: 12_500)
    let start = Date()
    let ids = BPETests.model.encodeIDs(text)
    XCTAssertLessThan(Date().timeIntervalSince(start), 5)
    XCTAssertEqual(try BPETests.model.decode(ids: ids), text)
  }

  /// Learning the 58,000 Multi30K training sentences (English and German) with an 8,000 piece
  /// vocabulary, release build. Run with TRANSFORMER_SLOW_TESTS=1; the data is read from
  /// `../shared/data/multi30k` beside the checkout, or from MULTI30K_DIR.
  func testLearningSpeedOnMulti30K() throws {
    guard ProcessInfo.processInfo.environment["TRANSFORMER_SLOW_TESTS"] == "1" else {
      throw XCTSkip("set TRANSFORMER_SLOW_TESTS=1 to learn BPE on Multi30K")
    }
    let environment = ProcessInfo.processInfo.environment
    let directory =
      environment["MULTI30K_DIR"].map { URL(fileURLWithPath: $0) }
      ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("../../../shared/data/multi30k").standardizedFileURL
    let files = ["train.en", "train.de"].map { directory.appendingPathComponent($0) }
    guard files.allSatisfy({ FileManager.default.fileExists(atPath: $0.path) }) else {
      throw XCTSkip("Multi30K not found at \(directory.path)")
    }
    let start = Date()
    let model = try BPEModel.learn(files: files, vocabularySize: 8000)
    let learnSeconds = Date().timeIntervalSince(start)
    let lines = try files.flatMap { try TextFile.readLines(at: $0) }
    let encodeStart = Date()
    var pieceCount = 0
    for line in lines { pieceCount += model.encodeIDs(line).count }
    let encodeSeconds = Date().timeIntervalSince(encodeStart)
    print(
      "Multi30K BPE: learned \(model.vocabulary.count) pieces (\(model.mergeCount) merges) in "
        + String(
          format: "%.2f s; encoded %d lines into %d pieces in %.2f s",
          learnSeconds, lines.count, pieceCount, encodeSeconds))
    XCTAssertEqual(model.vocabulary.count, 8000)
    XCTAssertLessThan(learnSeconds, 10)
    for line in lines.prefix(2000) {
      XCTAssertEqual(try model.decode(ids: model.encodeIDs(line)), BPEModel.normalize(line))
    }
  }
}
