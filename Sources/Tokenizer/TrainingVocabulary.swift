import Foundation

/// The BPE model or models of a run: one joint model for both languages (`bpe.model`), or one
/// per language (`source.bpe.model`, `target.bpe.model`) when `data.joint_vocabulary` is false.
///
/// The files sit in the run directory and in every checkpoint, so that a checkpoint alone is
/// enough to translate.
public struct TrainingVocabulary: Sendable, Equatable {
  /// The model that splits source sentences.
  public let source: BPEModel
  /// The model that splits target sentences and decodes the output; `source` when joint.
  public let target: BPEModel
  /// Whether one model serves both languages.
  public let isJoint: Bool

  /// The file of a joint model.
  public static let jointFileName = "bpe.model"
  /// The file of the source model when the vocabularies are separate.
  public static let sourceFileName = "source.bpe.model"
  /// The file of the target model when the vocabularies are separate.
  public static let targetFileName = "target.bpe.model"

  /// One model for both languages.
  public init(joint model: BPEModel) {
    source = model
    target = model
    isJoint = true
  }

  /// A model per language.
  public init(source: BPEModel, target: BPEModel) {
    self.source = source
    self.target = target
    isJoint = false
  }

  /// V for the Transformer: the larger of the two vocabularies. With separate vocabularies the
  /// embedding tables are untied, and the smaller side leaves its last rows unused.
  public var modelVocabularySize: Int {
    max(source.vocabulary.count, target.vocabulary.count)
  }

  /// The names of the files ``save(in:)`` writes.
  public var fileNames: [String] {
    Self.fileNames(isJoint: isJoint)
  }

  /// The names of the model files for a joint or a separate vocabulary.
  public static func fileNames(isJoint: Bool) -> [String] {
    isJoint ? [jointFileName] : [sourceFileName, targetFileName]
  }

  /// Reads the model(s) saved in `directory`.
  public init(contentsOf directory: String, isJoint: Bool) throws(BPEError) {
    func load(_ name: String) throws(BPEError) -> BPEModel {
      try BPEModel(contentsOf: URL(fileURLWithPath: directory).appendingPathComponent(name))
    }
    if isJoint {
      self.init(joint: try load(Self.jointFileName))
    } else {
      self.init(source: try load(Self.sourceFileName), target: try load(Self.targetFileName))
    }
  }

  /// Writes the model(s) into `directory`, each atomically.
  public func save(in directory: String) throws(BPEError) {
    let url = URL(fileURLWithPath: directory)
    if isJoint {
      try source.save(to: url.appendingPathComponent(Self.jointFileName))
    } else {
      try source.save(to: url.appendingPathComponent(Self.sourceFileName))
      try target.save(to: url.appendingPathComponent(Self.targetFileName))
    }
  }
}
