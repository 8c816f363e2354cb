import Config
import Data
import Foundation
import Support

/// The lines of a run's corpus files (train, valid and, when the config names it, test), read
/// and checked before the run writes anything: an unreadable file, invalid UTF-8 or a source
/// and target of different lengths is reported while `output.dir` is still untouched.
struct TrainingRunSplits {
  /// A source file and its line-parallel target file, read.
  struct Split {
    var sourcePath: String
    var targetPath: String
    var sourceLines: [String]
    var targetLines: [String]

    /// Reads both files and checks that they have as many lines.
    init(sourcePath: String, targetPath: String) throws(TrainingError) {
      self.sourcePath = sourcePath
      self.targetPath = targetPath
      do {
        sourceLines = try TextFile.readLines(at: URL(fileURLWithPath: sourcePath))
        targetLines = try TextFile.readLines(at: URL(fileURLWithPath: targetPath))
      } catch {
        throw .corpus(.file(error))
      }
      guard sourceLines.count == targetLines.count else {
        throw .corpus(
          .lineCountMismatch(
            sourcePath: sourcePath, sourceLines: sourceLines.count, targetPath: targetPath,
            targetLines: targetLines.count))
      }
    }
  }

  var train: Split
  var valid: Split
  /// Nil without `data.test_source`.
  var test: Split?

  /// Reads the splits `data` names.
  init(data: DataConfig) throws(TrainingError) {
    train = try Split(sourcePath: data.trainSource, targetPath: data.trainTarget)
    valid = try Split(sourcePath: data.validSource, targetPath: data.validTarget)
    test =
      data.testSource.isEmpty
      ? nil : try Split(sourcePath: data.testSource, targetPath: data.testTarget)
  }
}
