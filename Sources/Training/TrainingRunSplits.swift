import Checkpoints
import Config
import Data
import Foundation
import Support
import Tokenizer

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

  /// Reads the splits `data` names, once none of them is a file the run writes in
  /// `outputDirectory` (``checkNotOutputs(_:outputDirectory:)``).
  init(data: DataConfig, outputDirectory: String) throws(TrainingError) {
    try Self.checkNotOutputs(data, outputDirectory: outputDirectory)
    train = try Split(sourcePath: data.trainSource, targetPath: data.trainTarget)
    valid = try Split(sourcePath: data.validSource, targetPath: data.validTarget)
    test =
      data.testSource.isEmpty
      ? nil : try Split(sourcePath: data.testSource, targetPath: data.testTarget)
  }
}

extension TrainingRunSplits {
  /// The files a run writes directly in `output.dir`.
  static let outputFileNames =
    [
      TrainingRun.testTranslationsFileName, MetricsLog.fileName, TrainingRun.summaryFileName,
      Checkpoint.configFileName, TrainingRunLock.fileName,
    ] + TrainingVocabulary.fileNames(isJoint: true) + TrainingVocabulary.fileNames(isJoint: false)

  /// The directories of `output.dir` whose contents a run replaces.
  static let outputDirectoryNames = [
    CheckpointStore.lastName, CheckpointStore.bestName, CheckpointStore.stepsName,
  ]

  /// Throws when a data file of `data` is one of the files the run writes in
  /// `outputDirectory`, or lies in its `last/`, `best/` or `checkpoints/`: the run would
  /// replace its own input (the test references by the test translations, say). Compared by
  /// device and inode, so no spelling or link hides it; a data file that does not exist is
  /// none of them, and reading it reports it.
  ///
  /// - Throws: ``TrainingError/dataIsOutput(key:path:directory:name:)``.
  static func checkNotOutputs(_ data: DataConfig, outputDirectory: String)
    throws(TrainingError)
  {
    let files = [
      ("data.train_source", data.trainSource), ("data.train_target", data.trainTarget),
      ("data.valid_source", data.validSource), ("data.valid_target", data.validTarget),
      ("data.test_source", data.testSource), ("data.test_target", data.testTarget),
    ]
    for (key, path) in files where !path.isEmpty {
      for name in outputFileNames {
        let output = CheckpointStore.join(outputDirectory, name)
        if FileIdentity.same(path, output) {
          throw .dataIsOutput(key: key, path: path, directory: outputDirectory, name: name)
        }
      }
      for name in outputDirectoryNames {
        let output = CheckpointStore.join(outputDirectory, name)
        if FileIdentity.contains(output, path) {
          throw .dataIsOutput(
            key: key, path: path, directory: outputDirectory, name: name + "/")
        }
      }
    }
  }
}
