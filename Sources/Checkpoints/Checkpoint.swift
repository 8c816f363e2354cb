import Config
import Foundation
import NN
import Support
import Tensors
import Tokenizer

/// The files of one checkpoint directory, and reading them back with checks.
///
///     model.safetensors    the weights, with the model's configuration in the metadata
///     config.json          the run's config, so the directory alone rebuilds the model
///     bpe.model            the vocabulary (or source.bpe.model and target.bpe.model)
///     trainer.safetensors  optimiser moments and trainer state (in last/ and best/ only)
///
/// Writing goes into a staging directory that ``CheckpointStore`` then installs atomically.
public enum Checkpoint {
  /// The weights' file.
  public static let modelFileName = "model.safetensors"
  /// The config's file.
  public static let configFileName = "config.json"
  /// The trainer's state (Adam's moments, the step, the data position): `trainer.safetensors`.
  public static let trainerFileName = "trainer.safetensors"
  /// Every file a checkpoint directory may hold, whichever vocabulary it has.
  public static let fileNames =
    [modelFileName, configFileName, trainerFileName]
    + TrainingVocabulary.fileNames(isJoint: true) + TrainingVocabulary.fileNames(isJoint: false)

  /// Writes a complete checkpoint into the empty directory `directory`.
  ///
  /// - Parameter trainer: the optimiser and trainer state, or nil for a model-only checkpoint.
  public static func write(
    into directory: String, model: Transformer, config: RunConfig,
    vocabulary: TrainingVocabulary, trainer: SafeTensorsFile?
  ) throws(CheckpointDirectoryError) {
    let modelPath = CheckpointStore.join(directory, modelFileName)
    do {
      try model.save(to: modelPath)
    } catch {
      guard case .file(let fileError) = error else {
        throw .cannotWrite(path: modelPath, reason: error.description)
      }
      throw writeFailure(fileError, path: modelPath)
    }
    do {
      try config.write(to: CheckpointStore.join(directory, configFileName))
    } catch {
      throw .config(error)
    }
    do {
      try vocabulary.save(in: directory)
    } catch {
      throw .vocabulary(error)
    }
    if let trainer {
      let path = CheckpointStore.join(directory, trainerFileName)
      do {
        try trainer.write(to: path)
      } catch {
        throw writeFailure(error, path: path)
      }
    }
  }

  /// A write error of the file at `path`, its reason without the path repeated.
  private static func writeFailure(_ error: SafeTensorsError, path: String)
    -> CheckpointDirectoryError
  {
    if case .cannotWrite(_, let reason) = error { return .cannotWrite(path: path, reason: reason) }
    return .cannotWrite(path: path, reason: error.description)
  }

  /// The config saved in the checkpoint `directory`, without checking that its data files
  /// still exist.
  ///
  /// - Throws: ``CheckpointDirectoryError/damaged(path:reason:)`` when it is missing or invalid.
  public static func config(in directory: String) throws(CheckpointDirectoryError) -> RunConfig {
    let path = CheckpointStore.join(directory, configFileName)
    do {
      return try RunConfig(contentsOf: path, checkingFiles: false)
    } catch {
      throw .damaged(path: path, reason: error.description)
    }
  }

  /// The BPE model(s) stored in the checkpoint `directory`: `bpe.model`, or one per language.
  public static func vocabulary(in directory: String, isJoint: Bool)
    throws(CheckpointDirectoryError) -> TrainingVocabulary
  {
    do {
      return try TrainingVocabulary(contentsOf: directory, isJoint: isJoint)
    } catch {
      throw .vocabulary(error)
    }
  }

  /// What the checkpoint's own model is called in a message about a different configuration.
  public static let describedModel = "the model its config.json and BPE model describe"

  /// Loads the weights of the checkpoint `directory` into `model`, which must have the same
  /// architecture.
  ///
  /// - Parameter modelName: what `model` is called in a message about another architecture.
  /// - Throws: as ``weights(for:in:modelName:)``; `model` is unchanged then.
  public static func loadWeights(
    into model: Transformer, from directory: String, modelName: String = describedModel
  ) throws(CheckpointDirectoryError) {
    model.assign(try weights(for: model, in: directory, modelName: modelName))
  }

  /// The weights of the checkpoint `directory` for `model`'s parameters, in parameter order,
  /// every check made but `model` not changed (give them to it with `Transformer.assign`).
  ///
  /// Checked: the file's format version; that `config.json` describes the model
  /// `model.safetensors` holds (every key of the `model` section); that this is `model`'s
  /// architecture; every tensor's name and shape; and that every value is finite.
  ///
  /// - Throws: ``CheckpointDirectoryError/damaged(path:reason:)`` for an unreadable, truncated
  ///   or non-finite file or one without its version,
  ///   ``CheckpointDirectoryError/otherFormatVersion(path:found:)`` for another version,
  ///   ``CheckpointDirectoryError/inconsistent(config:model:differences:)`` when config.json
  ///   disagrees with model.safetensors, ``CheckpointDirectoryError/mismatched(path:reason:)``
  ///   for another architecture.
  public static func weights(
    for model: Transformer, in directory: String, modelName: String = describedModel
  ) throws(CheckpointDirectoryError) -> [Tensor] {
    let path = CheckpointStore.join(directory, modelFileName)
    let file: SafeTensorsFile
    do {
      file = try SafeTensorsFile(contentsOf: path)
    } catch {
      throw failure(.file(error), path: path)
    }
    // A version recorded is another program's layout; one missing beside a configuration is
    // an edited file.
    if let found = file.metadata[Transformer.formatVersionMetadataKey],
      found != Transformer.formatVersion
    {
      throw .otherFormatVersion(path: path, found: jsonStringLiteral(found))
    }
    do {
      try Transformer.checkFormatVersion(of: file, path: path)
    } catch {
      throw failure(.file(error), path: path)
    }
    try checkConsistency(of: file, path: path, in: directory)
    do {
      return try model.checkedValues(from: file, path: path, modelName: modelName)
    } catch {
      throw failure(error, path: path)
    }
  }

  /// Throws when the `model` section of `directory`'s config.json differs from the
  /// configuration recorded in its `model.safetensors` (`file`, read from `path`): the model
  /// is built from the one and its weights come from the other.
  private static func checkConsistency(of file: SafeTensorsFile, path: String, in directory: String)
    throws(CheckpointDirectoryError)
  {
    guard let text = file.metadata[Transformer.configurationMetadataKey] else { return }
    let stored: TransformerConfiguration
    do {
      stored = try Transformer.storedConfiguration(text, path: path)
    } catch {
      throw failure(error, path: path)
    }
    let differences = try config(in: directory).model.differences(from: stored.hyperparameters)
    if !differences.isEmpty {
      throw .inconsistent(
        config: CheckpointStore.join(directory, configFileName), model: path,
        differences: differences)
    }
  }

  /// The directory error for `error`, met loading the file at `path`.
  private static func failure(_ error: CheckpointError, path: String) -> CheckpointDirectoryError {
    switch error {
    case .file(let fileError):
      switch fileError {
      case .missingTensor, .shapeMismatch:
        return .mismatched(
          path: path, reason: CheckpointDirectoryError.reason(fileError, path: path))
      default:
        return .damaged(path: path, reason: CheckpointDirectoryError.reason(fileError, path: path))
      }
    case .unexpectedTensors, .configurationMismatch:
      return .mismatched(path: path, reason: reason(error, path: path))
    }
  }

  /// A checkpoint error's message without the leading path and without its own hint.
  private static func reason(_ error: CheckpointError, path: String) -> String {
    var text = error.description
    if text.hasPrefix("\(path): ") { text.removeFirst(path.count + 2) }
    if let hint = text.range(of: "; build the model from") {
      text = String(text[..<hint.lowerBound])
    }
    return text
  }
}
