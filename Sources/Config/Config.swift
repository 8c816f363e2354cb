// The Config target: the run configuration (`RunConfig`, one JSON file with the sections
// `data`, `model`, `training`, `output`), read with `file:line:col` errors and did-you-mean
// hints, overridden by `--set`, validated once, written back complete, and mapped to the
// model's `TransformerConfiguration`.

import Foundation
import NN
import Support

/// Everything a training run needs to know, read from a JSON config file plus `--set`
/// overrides, and written beside the checkpoints as `config.json` so that a model can always be
/// rebuilt from its own directory.
///
/// A file has up to four sections; every field of every section has a default, so `{}` is a
/// valid config (the paper's base model on the toy corpus):
///
///     {
///       "data": { "train_source": "data/toy/train.en", "vocab_size": 8000 },
///       "model": { "d_model": 256, "heads": 4, "encoder_layers": 3 },
///       "training": { "max_steps": 20000, "schedule": "noam" },
///       "output": { "dir": "runs/toy" }
///     }
///
/// Reading checks each value's type and range, then the values against each other (`d_model`
/// divisible by `heads`, …), then that the data files exist; every error names the source and
/// the JSON path (see ``ConfigError``). Keys are snake_case as users write them; the Swift
/// properties use full words (`d_model` is ``ModelConfig/modelWidth``).
public struct RunConfig: Codable, Equatable, Sendable {
  /// Where the corpus is and how it becomes tokens.
  public var data = DataConfig()
  /// The Transformer's shape.
  public var model = ModelConfig()
  /// Batching, optimiser, schedule, validation and stopping.
  public var training = TrainingConfig()
  /// Where the run's files go.
  public var output = OutputConfig()

  /// Every field at its default.
  public init() {}

  /// The most bytes a config file may hold: 1 MiB, a thousand times a full config, so that
  /// `--config /dev/zero` ends instead of reading forever.
  static let maximumFileSize = 1 << 20

  /// The names of the sections, in file order.
  static let sectionNames = [
    DataConfig.name, ModelConfig.name, TrainingConfig.name, OutputConfig.name,
  ]

  /// Reads the config file at `path` and applies `overrides`.
  ///
  /// - Parameters:
  ///   - overrides: `--set` arguments, `PATH=VALUE` (`training.max_steps=100`), applied in order.
  ///   - checkingFiles: whether the data files must exist (training) or not (reading a
  ///     finished run's `config.json` to translate).
  public init(contentsOf path: String, overrides: [String] = [], checkingFiles: Bool = true)
    throws(ConfigError)
  {
    // Read as a stream, so `--config /dev/stdin` and `--config <(command)` work as a file does.
    let bytes: [UInt8]
    do {
      bytes = try TextFileDescriptor.contents(of: path, limit: RunConfig.maximumFileSize)
    } catch .cannotRead(_, let reason) {
      throw .cannotRead(path: path, reason: reason)
    } catch {
      throw .cannotRead(
        path: path,
        reason: "it is larger than \(RunConfig.maximumFileSize) bytes, too large for a config")
    }
    // A byte-order mark (Windows editors write one) is not part of the JSON.
    let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? bytes.dropFirst(3) : bytes[...]
    guard let text = String(validating: body, as: UTF8.self) else {
      throw .cannotRead(path: path, reason: "it is not UTF-8 text")
    }
    try self.init(jsonText: text, source: path, overrides: overrides, checkingFiles: checkingFiles)
  }

  /// Reads a config from JSON text and applies `overrides`.
  ///
  /// - Parameter source: the file name messages start with.
  public init(
    jsonText: String, source: String, overrides: [String] = [], checkingFiles: Bool = true
  ) throws(ConfigError) {
    let json: JSONValue
    do {
      json = try JSONParser.parse(jsonText)
    } catch {
      throw .syntax(source: source, line: error.line, column: error.column, message: error.message)
    }
    var parsedOverrides: [ConfigOverride] = []
    for argument in overrides {
      parsedOverrides.append(try ConfigOverride(parsing: argument))
    }
    try self.init(json: json, source: source, overrides: parsedOverrides)
    // Later overrides win, so the last one to name a path is the source of its value.
    let origin = { (path: String) -> String in
      parsedOverrides.last { $0.path == path }?.source ?? source
    }
    try validate(origin: origin)
    // Training keeps a gradient and two Adam moments beside each weight; reading a finished
    // run's config (to translate) needs the weights only.
    try checkMemory(floatsPerParameter: checkingFiles ? 4 : 1, origin: origin)
    if checkingFiles { try checkFiles(origin: origin) }
  }

  /// The defaults with `overrides` applied, for runs without a config file.
  public init(overrides: [String], checkingFiles: Bool = true) throws(ConfigError) {
    try self.init(
      jsonText: "{}", source: "defaults", overrides: overrides, checkingFiles: checkingFiles)
  }

  /// Reads each section from the parsed file, then applies the overrides to it.
  private init(json: JSONValue, source: String, overrides: [ConfigOverride]) throws(ConfigError) {
    guard case .object(let members) = json else {
      throw .invalid(
        source: source, path: "",
        message: "expected a JSON object at the top level, got \(json.quoted)")
    }
    for (key, _) in members where !RunConfig.sectionNames.contains(key) {
      throw .invalid(source: source, path: key, message: RunConfig.unknownSectionMessage(key))
    }
    data = try RunConfig.readSection(json[DataConfig.name], source: source, overrides: overrides)
    model = try RunConfig.readSection(json[ModelConfig.name], source: source, overrides: overrides)
    training = try RunConfig.readSection(
      json[TrainingConfig.name], source: source, overrides: overrides)
    output = try RunConfig.readSection(
      json[OutputConfig.name], source: source, overrides: overrides)
  }

  private static func readSection<Section: ConfigSection>(
    _ json: JSONValue?, source: String, overrides: [ConfigOverride]
  ) throws(ConfigError) -> Section {
    var section: Section
    do {
      section = try Section.read(json)
    } catch {
      throw .invalid(source: source, path: error.path, message: error.message)
    }
    for override in overrides where override.section == Section.name {
      // The override parser has checked the key against the same field list.
      guard let field = Section.field(override.key) else { continue }
      do {
        try field.read(&section, override.value, override.path)
      } catch {
        throw .invalid(source: override.source, path: error.path, message: error.message)
      }
    }
    return section
  }

  /// The message for a top-level key that is not a section.
  static func unknownSectionMessage(_ key: String) -> String {
    if let suggestion = ClosestMatch.suggestion(for: key, among: sectionNames, minimumLimit: 1) {
      return "unknown section (did you mean \(jsonStringLiteral(suggestion))?)"
    }
    return "unknown section; a config has \(sectionNames.joined(separator: ", "))"
  }

  // MARK: Writing

  /// The config as JSON, every field of every section in reference order, as `config.json`
  /// holds it. Reading this text back gives an equal config.
  public var jsonText: String {
    let sections: [(key: String, value: JSONValue)] = [
      (DataConfig.name, data.json), (ModelConfig.name, model.json),
      (TrainingConfig.name, training.json), (OutputConfig.name, output.json),
    ]
    return JSONValue.object(sections).formatted() + "\n"
  }

  /// Writes ``jsonText`` to `path`, first to a temporary file beside it and then renaming it.
  public func write(to path: String) throws(ConfigError) {
    do {
      try AtomicFile.write(Data(jsonText.utf8), to: path)
    } catch {
      throw .cannotWrite(path: path, reason: error.reason)
    }
  }

  // MARK: Codable

  private enum CodingKeys: String, CodingKey {
    case data, model, training, output
  }

  /// Decodes the sections present; absent sections keep their defaults. Decoding checks each
  /// value as a config file does, but not the values against each other: prefer
  /// ``init(jsonText:source:overrides:checkingFiles:)``, whose messages name the JSON path.
  public init(from decoder: Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    data = try container.decodeIfPresent(DataConfig.self, forKey: .data) ?? DataConfig()
    model = try container.decodeIfPresent(ModelConfig.self, forKey: .model) ?? ModelConfig()
    training =
      try container.decodeIfPresent(TrainingConfig.self, forKey: .training) ?? TrainingConfig()
    output = try container.decodeIfPresent(OutputConfig.self, forKey: .output) ?? OutputConfig()
  }
}
