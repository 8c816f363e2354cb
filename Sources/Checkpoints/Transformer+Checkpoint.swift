import Autograd
import Config
import NN
import Support
import Tensors

// Saving and loading a Transformer's weights by name, with its configuration in the file's
// metadata so that the weights can be loaded without knowing the model's shape in advance
// (the config travels with the weights, as nanoGPT's GPTConfig and llm.c's checkpoint header).

extension Transformer {
  /// The metadata key of the configuration, stored as JSON (`TransformerConfiguration.jsonText`).
  public static let configurationMetadataKey = "model.configuration"
  /// The metadata key of the checkpoint layout's version.
  public static let formatVersionMetadataKey = "model.format_version"
  /// The layout version written by this program: tensor names as `parameters` gives them,
  /// weights of linear layers stored `[in, out]`.
  public static let formatVersion = "1"

  /// Every parameter's value under its name, and the metadata that describes them: what
  /// `save(to:)` writes. The tensors share storage with the parameters (no copy).
  public var checkpointFile: SafeTensorsFile {
    SafeTensorsFile(
      tensors: parameters.map { NamedTensor(name: $0.name, tensor: $0.value) },
      metadata: [
        Self.configurationMetadataKey: configuration.jsonText,
        Self.formatVersionMetadataKey: Self.formatVersion,
      ])
  }

  /// Writes the weights and configuration to `path` (normally `model.safetensors`), atomically.
  ///
  /// - Throws: ``CheckpointError/file(_:)`` when the file cannot be written.
  public func save(to path: String) throws(CheckpointError) {
    do {
      try checkpointFile.write(to: path)
    } catch {
      throw .file(error)
    }
  }

  /// Replaces every parameter's value with the tensor of the same name in the file at `path`.
  ///
  /// The file must hold exactly the model's tensors, each of the parameter's shape, and, if it
  /// records a configuration, one of the same architecture. Nothing is changed unless every
  /// check passes.
  ///
  /// - Throws: ``CheckpointError/file(_:)`` when the file cannot be read or lacks a tensor or
  ///   holds one of another shape, ``CheckpointError/unexpectedTensors(path:names:)`` for
  ///   tensors the model does not have, ``CheckpointError/configurationMismatch(path:reason:)``.
  public func load(from path: String) throws(CheckpointError) {
    let file: SafeTensorsFile
    do {
      file = try SafeTensorsFile(contentsOf: path)
    } catch {
      throw .file(error)
    }
    try load(from: file, path: path)
  }

  /// Replaces every parameter's value with the tensor of the same name in `file`; see
  /// `load(from:)`.
  ///
  /// - Parameters:
  ///   - path: the file's path, for messages.
  ///   - ignoringTensorsWithPrefix: names starting with this prefix are not the model's but
  ///     are allowed (e.g. `adam.` for optimiser state saved in the same file).
  ///   - modelName: what this model is called in a message about a different configuration
  ///     (`the model config.json describes`).
  public func load(
    from file: SafeTensorsFile, path: String,
    ignoringTensorsWithPrefix ignoredPrefix: String? = nil,
    modelName: String = "this model"
  ) throws(CheckpointError) {
    assign(
      try checkedValues(
        from: file, path: path, ignoringTensorsWithPrefix: ignoredPrefix, modelName: modelName))
  }

  /// The values `load(from:path:ignoringTensorsWithPrefix:modelName:)` would give the
  /// parameters, in parameter order, after every check; the model is not changed, so a caller
  /// can check other files before ``assign(_:)``.
  public func checkedValues(
    from file: SafeTensorsFile, path: String,
    ignoringTensorsWithPrefix ignoredPrefix: String? = nil,
    modelName: String = "this model"
  ) throws(CheckpointError) -> [Tensor] {
    do {
      try Self.checkFormatVersion(of: file, path: path)
    } catch {
      throw .file(error)
    }
    if let stored = file.metadata[Self.configurationMetadataKey] {
      let other = try Self.storedConfiguration(stored, path: path)
      let differences = configuration.architecturalDifferences(from: other)
      if !differences.isEmpty {
        let held = differences.map { "\($0.key) \($0.other)" }.joined(separator: ", ")
        let own = differences.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        throw .configurationMismatch(
          path: path, reason: "it holds a model with \(held), unlike \(modelName) (\(own))")
      }
    }
    let parameters = self.parameters
    let expected = Set(parameters.map(\.name))
    let unexpected = file.tensors.map(\.name).filter { name in
      !expected.contains(name) && !(ignoredPrefix.map { name.hasPrefix($0) } ?? false)
    }
    if !unexpected.isEmpty { throw .unexpectedTensors(path: path, names: unexpected.sorted()) }
    var values: [Tensor] = []
    for parameter in parameters {
      do {
        values.append(
          try file.tensor(named: parameter.name, shape: parameter.shape, path: path))
      } catch {
        throw .file(error)
      }
    }
    return values
  }

  /// Gives every parameter the value of the same index in `values` (from ``checkedValues``)
  /// and clears its gradient.
  public func assign(_ values: [Tensor]) {
    let parameters = self.parameters
    precondition(values.count == parameters.count, "Transformer.assign: one value per parameter")
    for (parameter, value) in zip(parameters, values) {
      parameter.value = value
      parameter.zeroGradient()
    }
  }

  /// The format version `file` records, quoted (or `missing`), when it is not ``formatVersion``;
  /// nil when it is, or when the file records neither version nor configuration (a
  /// safetensors file of tensors only).
  static func otherFormatVersion(of file: SafeTensorsFile) -> String? {
    let found = file.metadata[formatVersionMetadataKey]
    guard found != nil || file.metadata[configurationMetadataKey] != nil,
      found != formatVersion
    else { return nil }
    return found.map(jsonStringLiteral) ?? "missing"
  }

  /// Throws unless `file` was written in ``formatVersion``: a file that records the version, or
  /// the configuration written beside it, must record this one.
  static func checkFormatVersion(of file: SafeTensorsFile, path: String)
    throws(SafeTensorsError)
  {
    if let found = otherFormatVersion(of: file) {
      throw .badMetadata(
        path: path, key: formatVersionMetadataKey,
        reason: "is \(found), not the version "
          + "\(jsonStringLiteral(formatVersion)) this build reads")
    }
  }

  /// A model built from the configuration stored in the file at `path`, with its weights.
  ///
  /// - Throws: ``CheckpointError``, also when the file records no configuration.
  public convenience init(contentsOf path: String) throws(CheckpointError) {
    let file: SafeTensorsFile
    do {
      file = try SafeTensorsFile(contentsOf: path)
    } catch {
      throw .file(error)
    }
    guard let text = file.metadata[Self.configurationMetadataKey] else {
      throw .configurationMismatch(
        path: path,
        reason: "it has no metadata \"\(Self.configurationMetadataKey)\", so the model's shape "
          + "is unknown")
    }
    let configuration = try Self.storedConfiguration(text, path: path)
    if let problem = configuration.problem {
      throw .configurationMismatch(path: path, reason: "its configuration is invalid: \(problem)")
    }
    self.init(configuration: configuration, seed: 0)
    try load(from: file, path: path)
  }

  /// The configuration in a file's metadata; the error names the key that does not read.
  static func storedConfiguration(_ text: String, path: String) throws(CheckpointError)
    -> TransformerConfiguration
  {
    do {
      return try TransformerConfiguration(checkpointJSON: text)
    } catch {
      let at = error.path.isEmpty ? "" : " at \(jsonStringLiteral(error.path))"
      throw .configurationMismatch(
        path: path,
        reason: "its metadata \"\(configurationMetadataKey)\" does not parse\(at): \(error.message)"
      )
    }
  }
}

extension TransformerConfiguration {
  /// The fields that change the model's function or tensors and differ from `other`; `value`
  /// is this configuration's, `other` the other's (dropout does not count, nor max_positions but
  /// for learned positions, nor encoder_layers between two decoder-only models, which have no encoder).
  func architecturalDifferences(from other: TransformerConfiguration)
    -> [ModelConfigDifference]
  {
    var differences: [ModelConfigDifference] = []
    func compare<Value: Equatable>(_ key: String, _ path: KeyPath<Self, Value>) {
      if self[keyPath: path] != other[keyPath: path] {
        differences.append(
          ModelConfigDifference(
            key: key, value: "\(self[keyPath: path])", other: "\(other[keyPath: path])"))
      }
    }
    if !(isDecoderOnly && other.isDecoderOnly) {
      compare("encoder_layers", \.hyperparameters.encoderLayerCount)
    }
    compare("decoder_layers", \.hyperparameters.decoderLayerCount)
    compare("d_model", \.hyperparameters.modelWidth)
    compare("heads", \.hyperparameters.headCount)
    compare("d_ff", \.hyperparameters.feedForwardWidth)
    compare("vocabulary_size", \.vocabularySize)
    compare("activation", \.hyperparameters.activation)
    compare("norm", \.hyperparameters.norm)
    compare("tie_embeddings", \.hyperparameters.tieEmbeddings)
    compare("padding_id", \.paddingID)
    compare("positions", \.hyperparameters.positions)
    compare("kv_heads", \.keyValueHeadCount)
    // Learned positions are a [max_positions, d_model] table; the other kinds have no tensor.
    if self.positions == .learned, other.positions == .learned {
      compare("max_positions", \.hyperparameters.maxPositions)
    }
    compare("architecture", \.hyperparameters.architecture)
    return differences
  }
}
