import Foundation
import Support
import Tokenizer

/// One tokenised sentence pair, without `<s>` or `</s>`.
public struct SentencePair: Sendable, Equatable {
  /// The source sentence's piece ids.
  public var source: [Int]
  /// The target sentence's piece ids.
  public var target: [Int]
  /// The 1-based line of the pair in its files, for messages.
  public var line: Int

  /// A pair of id sequences from line `line`.
  public init(source: [Int], target: [Int], line: Int) {
    self.source = source
    self.target = target
    self.line = line
  }
}

/// What reading a parallel corpus kept and skipped.
public struct CorpusStatistics: Sendable, Equatable {
  /// Lines in each file.
  public var lineCount = 0
  /// Pairs kept.
  public var pairCount = 0
  /// Pairs skipped because one side or both were empty (or only white space).
  public var emptyPairs = 0
  /// Pairs skipped because one side had more than the maximum number of pieces.
  public var tooLongPairs = 0
  /// Source pieces in the kept pairs, without `</s>`.
  public var sourceTokenCount = 0
  /// Target pieces in the kept pairs, without `<s>` or `</s>`.
  public var targetTokenCount = 0

  /// Empty statistics.
  public init() {}

  /// A one-line summary for progress output.
  public var summary: String {
    "\(pairCount) pairs kept of \(lineCount) lines (\(emptyPairs) empty, \(tooLongPairs) too "
      + "long skipped); \(sourceTokenCount) source and \(targetTokenCount) target tokens"
  }
}

/// A line-aligned parallel corpus, tokenised and filtered, ready for ``BatchPlanner``.
///
/// Line `n` of the source file translates to line `n` of the target file. Pairs with an empty
/// side are skipped, as are pairs where either side has more than `maxLength` pieces; both are
/// counted in ``statistics``.
public struct ParallelCorpus: Sendable {
  /// The kept pairs, in file order.
  public var pairs: [SentencePair]
  /// What was kept and skipped.
  public var statistics: CorpusStatistics

  /// Reads, tokenises and filters a pair of line-aligned files.
  ///
  /// - Parameters:
  ///   - sourceFile: the source-language file, one sentence a line.
  ///   - targetFile: the target-language file with the same number of lines.
  ///   - sourceModel: the BPE model for the source side.
  ///   - targetModel: the BPE model for the target side (the same model for a joint
  ///     vocabulary).
  ///   - maxLength: the most pieces either side may have, not counting `<s>`/`</s>`. The model
  ///     then sees sequences of at most `maxLength + 1` positions.
  /// - Throws: ``CorpusError`` naming the file: unreadable, invalid UTF-8 (with the line),
  ///   different line counts (with both counts), or nothing left after filtering.
  public static func load(
    sourceFile: URL, targetFile: URL, sourceModel: BPEModel, targetModel: BPEModel,
    maxLength: Int
  ) throws(CorpusError) -> ParallelCorpus {
    let sourceLines: [String]
    let targetLines: [String]
    do {
      sourceLines = try TextFile.readLines(at: sourceFile)
      targetLines = try TextFile.readLines(at: targetFile)
    } catch {
      throw .file(error)
    }
    return try ParallelCorpus(
      sourceLines: sourceLines, targetLines: targetLines, sourcePath: sourceFile.relativePath,
      targetPath: targetFile.relativePath, sourceModel: sourceModel, targetModel: targetModel,
      maxLength: maxLength)
  }

  /// Tokenises and filters lines already in memory; the paths name them in errors.
  public init(
    sourceLines: [String], targetLines: [String], sourcePath: String, targetPath: String,
    sourceModel: BPEModel, targetModel: BPEModel, maxLength: Int
  ) throws(CorpusError) {
    guard sourceLines.count == targetLines.count else {
      throw .lineCountMismatch(
        sourcePath: sourcePath, sourceLines: sourceLines.count, targetPath: targetPath,
        targetLines: targetLines.count)
    }
    var statistics = CorpusStatistics()
    statistics.lineCount = sourceLines.count
    var pairs: [SentencePair] = []
    pairs.reserveCapacity(sourceLines.count)
    for (index, (sourceLine, targetLine)) in zip(sourceLines, targetLines).enumerated() {
      let source = sourceModel.encodeIDs(sourceLine)
      let target = targetModel.encodeIDs(targetLine)
      if source.isEmpty || target.isEmpty {
        statistics.emptyPairs += 1
      } else if source.count > maxLength || target.count > maxLength {
        statistics.tooLongPairs += 1
      } else {
        pairs.append(SentencePair(source: source, target: target, line: index + 1))
        statistics.sourceTokenCount += source.count
        statistics.targetTokenCount += target.count
      }
    }
    statistics.pairCount = pairs.count
    guard !pairs.isEmpty else {
      throw .noPairs(
        sourcePath: sourcePath, targetPath: targetPath, empty: statistics.emptyPairs,
        tooLong: statistics.tooLongPairs, maxLength: maxLength)
    }
    self.pairs = pairs
    self.statistics = statistics
  }
}
