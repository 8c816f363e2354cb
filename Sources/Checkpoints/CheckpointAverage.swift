import Autograd
import Config
import Foundation
import NN
import Support
import Tensors
import Tokenizer

/// The element-wise mean of the weights of several checkpoints of one model, as Vaswani et al.
/// (2017, §6.1) average the last 5 (base) or 20 (big) checkpoints before decoding.
///
/// Every checkpoint must hold the same model configuration (every field of the
/// `model.configuration` metadata), the same tensor names and shapes, and the same BPE model
/// files. The newest checkpoint, the last one given, is the reference the others are checked
/// against; its metadata, `config.json` and BPE model go with the average. The checkpoints are
/// read one at a time and summed in `Double`, so memory holds one checkpoint and the sums, and
/// the mean is rounded to `Float` once, at the end.
///
/// The average is a model only: Adam's moments are not averaged (they would not describe the
/// averaged weights), so it is for `translate` and `eval`, not for `train --resume`.
///
/// ```swift
/// let steps = try CheckpointAverage.lastSteps(5, inRun: "runs/m30k")
/// try CheckpointAverage(checkpoints: steps).write(to: "runs/m30k/averaged", replacing: false)
/// ```
public struct CheckpointAverage {
  /// The checkpoint directories averaged, oldest first as given; the last is the reference.
  public let checkpoints: [String]
  /// The averaged weights, with the reference's metadata plus ``sourcesMetadataKey``.
  public let model: SafeTensorsFile

  /// The metadata key listing the averaged checkpoint directories (a JSON array of paths).
  public static let sourcesMetadataKey = "average.checkpoints"

  /// Reads the checkpoint directories `checkpoints` (each with `model.safetensors`,
  /// `config.json` and its BPE model) and averages their weights.
  ///
  /// - Throws: ``CheckpointAverageError`` naming the checkpoint and the tensor or field that
  ///   differs from the reference (the last checkpoint), the file that cannot be read or holds
  ///   NaN or ±∞, or the directory given twice.
  public init(checkpoints: [String]) throws(CheckpointAverageError) {
    guard let referencePath = checkpoints.last else { throw .noCheckpoints }
    try Self.checkDistinct(checkpoints)
    let reference = try Self.readModel(in: referencePath)
    let referenceFields = try Self.configurationFields(of: reference, in: referencePath)
    let vocabularyFiles = try Self.vocabularyFiles(in: referencePath)
    var sums = reference.tensors.map { entry in
      entry.tensor.withUnsafeBufferPointer { $0.map(Double.init) }
    }
    for directory in checkpoints.dropLast() {
      let file = try Self.readModel(in: directory)
      try Self.checkConfiguration(
        of: file, in: directory, against: referenceFields, of: referencePath)
      try Self.checkVocabulary(in: directory, against: vocabularyFiles, of: referencePath)
      try Self.checkTensorNames(of: file, in: directory, against: reference, of: referencePath)
      for (index, entry) in reference.tensors.enumerated() {
        // The names were checked, so every lookup succeeds; the shape is checked here.
        guard let tensor = file[entry.name], tensor.shape == entry.tensor.shape else {
          throw .tensorMismatch(
            checkpoint: directory, tensor: entry.name,
            reason: "has shape \(file[entry.name]?.shape ?? []) where '\(referencePath)' has "
              + "\(entry.tensor.shape)")
        }
        tensor.withUnsafeBufferPointer { values in
          for position in values.indices { sums[index][position] += Double(values[position]) }
        }
      }
    }
    let count = Double(checkpoints.count)
    let tensors = zip(reference.tensors, sums).map { entry, sum in
      NamedTensor(
        name: entry.name,
        tensor: Tensor(shape: entry.tensor.shape, scalars: sum.map { Float($0 / count) }))
    }
    var metadata = reference.metadata
    metadata[Self.sourcesMetadataKey] = JSONValue.strings(checkpoints).compactText()
    self.checkpoints = checkpoints
    model = SafeTensorsFile(tensors: tensors, metadata: metadata)
  }

  /// The newest `count` step checkpoints of the run directory `run`
  /// (`run/checkpoints/step-N/`), oldest first.
  ///
  /// - Parameter newest: the step of the run's `last/`, when known: step checkpoints of later
  ///   steps are left from a later state of the run than `last/` (see
  ///   ``CheckpointStore/keepStep(_:from:excluding:keep:)``) and are not taken.
  /// - Throws: ``CheckpointAverageError/tooFewSteps(run:requested:available:)`` when the run
  ///   holds fewer, ``CheckpointAverageError/duplicateStep(directory:step:names:)`` when two
  ///   names give one step, ``CheckpointAverageError/unreadable(path:reason:)`` when `run` is
  ///   missing.
  public static func lastSteps(_ count: Int, inRun run: String, through newest: Int? = nil)
    throws(CheckpointAverageError) -> [String]
  {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: run, isDirectory: &isDirectory),
      isDirectory.boolValue
    else {
      throw .unreadable(path: run, reason: "no such run directory")
    }
    let store = CheckpointStore(directory: run)
    let names = (try? FileManager.default.contentsOfDirectory(atPath: store.stepsPath)) ?? []
    var steps: [Int: String] = [:]
    for name in names.sorted() where name.hasPrefix("step-") {
      guard let step = Int(name.dropFirst(5)) else { continue }
      // `step-60` beside `step-000060` would be averaged as a second checkpoint of step 60.
      if let first = steps[step] {
        throw .duplicateStep(
          directory: store.stepsPath, step: step, names: [first, name].sorted())
      }
      steps[step] = name
    }
    if let newest { steps = steps.filter { $0.key <= newest } }
    guard steps.count >= count else {
      throw .tooFewSteps(run: run, requested: count, available: steps.count)
    }
    return steps.keys.sorted().suffix(count).map {
      CheckpointStore.join(store.stepsPath, steps[$0]!)
    }
  }

  /// Throws when two of `checkpoints` are one directory, however spelled (compared by device
  /// and inode): it would count twice in the mean.
  /// Refuses a checkpoint named twice: the same directory by two names, or two directories
  /// holding the same weights file (the checkpoint store hard-links `best/` and `last/` to a
  /// step's files, so `best` and `last` of a finished run are one checkpoint).
  private static func checkDistinct(_ checkpoints: [String]) throws(CheckpointAverageError) {
    var seen: [FileIdentity: String] = [:]
    for directory in checkpoints {
      let paths = [directory, (directory as NSString).appendingPathComponent("model.safetensors")]
      for identity in paths.compactMap({ FileIdentity(path: $0) }) {
        if let first = seen[identity] { throw .duplicate(first: first, second: directory) }
        seen[identity] = directory
      }
    }
  }

  // MARK: Reading and checking

  /// The `model.safetensors` of the checkpoint `directory`, every value finite.
  private static func readModel(in directory: String) throws(CheckpointAverageError)
    -> SafeTensorsFile
  {
    let path = CheckpointStore.join(directory, Checkpoint.modelFileName)
    let file: SafeTensorsFile
    do {
      file = try SafeTensorsFile(contentsOf: path)
    } catch {
      throw .unreadable(path: path, reason: CheckpointDirectoryError.reason(error, path: path))
    }
    // A layout this build does not know would be averaged by name and saved as its own.
    if let found = Transformer.otherFormatVersion(of: file) {
      throw .unreadable(
        path: path,
        reason: "written in checkpoint format \(found), but this transformer-cli reads format "
          + "\(jsonStringLiteral(Transformer.formatVersion)) only")
    }
    for entry in file.tensors {
      if let (index, value) = entry.tensor.firstNonFinite {
        let error = SafeTensorsError.nonFinite(
          path: path, name: entry.name, index: index, value: "\(value)")
        throw .damaged(path: path, reason: CheckpointDirectoryError.reason(error, path: path))
      }
    }
    return file
  }

  /// The fields of the model configuration in `file`'s metadata, as JSON text per key.
  private static func configurationFields(of file: SafeTensorsFile, in directory: String)
    throws(CheckpointAverageError) -> [String: String]
  {
    let path = CheckpointStore.join(directory, Checkpoint.modelFileName)
    // Read as a configuration and written again, so that checkpoints of the same model
    // compare equal whichever version wrote them (older ones lack keys added since).
    guard let text = file.metadata[Transformer.configurationMetadataKey],
      let configuration = TransformerConfiguration(jsonText: text),
      let members = (try? JSONParser.parse(configuration.jsonText))?.members
    else {
      throw .unreadable(
        path: path,
        reason: "it records no readable model configuration "
          + "(metadata \"\(Transformer.configurationMetadataKey)\")")
    }
    // Compared by spelling: each value as JSON text (`512`, `"relu"`, `true`).
    var fields = Dictionary(
      members.map { ($0.key, $0.value.compactText()) }, uniquingKeysWith: { a, _ in a })
    // A decoder-only model has no encoder: the key is ignored, so it may differ.
    if configuration.isDecoderOnly { fields["encoder_layers"] = nil }
    return fields
  }

  /// Throws for the first field (in key order) whose value differs from the reference's.
  private static func checkConfiguration(
    of file: SafeTensorsFile, in directory: String, against reference: [String: String],
    of referencePath: String
  ) throws(CheckpointAverageError) {
    let fields = try configurationFields(of: file, in: directory)
    for key in Set(fields.keys).union(reference.keys).sorted() where fields[key] != reference[key] {
      throw .configurationMismatch(
        checkpoint: directory, field: key, found: fields[key] ?? "missing",
        reference: referencePath, expected: reference[key] ?? "missing")
    }
  }

  /// Throws for a tensor missing from `file` or not in the reference.
  private static func checkTensorNames(
    of file: SafeTensorsFile, in directory: String, against reference: SafeTensorsFile,
    of referencePath: String
  ) throws(CheckpointAverageError) {
    let names = Set(file.tensors.map(\.name))
    for entry in reference.tensors where !names.contains(entry.name) {
      throw .tensorMismatch(
        checkpoint: directory, tensor: entry.name,
        reason: "is missing (it is in '\(referencePath)')")
    }
    let referenceNames = Set(reference.tensors.map(\.name))
    for entry in file.tensors where !referenceNames.contains(entry.name) {
      throw .tensorMismatch(
        checkpoint: directory, tensor: entry.name, reason: "is not in '\(referencePath)'")
    }
  }

  /// The BPE model files the checkpoint `directory`'s config names, with their bytes.
  private static func vocabularyFiles(in directory: String) throws(CheckpointAverageError)
    -> [(name: String, bytes: Data)]
  {
    let config: RunConfig
    do {
      config = try Checkpoint.config(in: directory)
    } catch {
      if case .damaged(let path, let reason) = error {
        throw .unreadable(path: path, reason: reason)
      }
      throw .unreadable(path: directory, reason: error.description)
    }
    var files: [(name: String, bytes: Data)] = []
    for name in TrainingVocabulary.fileNames(isJoint: config.data.jointVocabulary) {
      files.append((name, try contents(of: CheckpointStore.join(directory, name))))
    }
    return files
  }

  /// Throws when a BPE model file of `directory` differs from the reference's.
  private static func checkVocabulary(
    in directory: String, against reference: [(name: String, bytes: Data)],
    of referencePath: String
  ) throws(CheckpointAverageError) {
    for file in reference {
      let path = CheckpointStore.join(directory, file.name)
      guard FileManager.default.fileExists(atPath: path) else {
        throw .vocabularyMismatch(
          checkpoint: directory, file: file.name, reference: referencePath,
          reason: "is missing")
      }
      if try contents(of: path) != file.bytes {
        throw .vocabularyMismatch(
          checkpoint: directory, file: file.name, reference: referencePath,
          reason: "differs")
      }
    }
  }

  /// The bytes of the file at `path`.
  static func contents(of path: String) throws(CheckpointAverageError) -> Data {
    guard let data = FileManager.default.contents(atPath: path) else {
      let exists = FileManager.default.fileExists(atPath: path)
      throw .unreadable(path: path, reason: exists ? "permission denied" : "no such file")
    }
    return data
  }
}
