import Support
/// One `--set PATH=VALUE` argument, checked against the config's keys when it is parsed.
///
/// `PATH` is `section.key` as in a config file (`training.max_steps`). `VALUE` is read as a
/// JSON scalar when it parses as one (`100`, `0.1`, `true`) and as text otherwise, so that
/// `output.dir=runs/try` needs no quotes; string fields always take the text as it is
/// (`data.train_source=2024.en`), unless it is a quoted JSON string.
struct ConfigOverride: Equatable {
  /// The argument after `--set`.
  let argument: String
  /// The section name, before the first dot.
  let section: String
  /// The key within the section.
  let key: String
  /// The value, as JSON.
  let value: JSONValue

  /// The JSON path, `section.key`.
  var path: String { "\(section).\(key)" }
  /// How messages name this argument.
  var source: String { "--set \(argument)" }

  /// The example messages suggest.
  static let example = "training.max_steps=100"

  /// Parses `argument`, refusing unknown sections and keys with the closest valid one as a hint.
  init(parsing argument: String) throws(ConfigError) {
    let source = "--set \(argument)"
    guard let equals = argument.firstIndex(of: "=") else {
      throw .invalid(
        source: source, path: "", message: "expected PATH=VALUE, as in \(ConfigOverride.example)")
    }
    let path = String(argument[..<equals])
    let text = String(argument[argument.index(after: equals)...])
    guard let dot = path.firstIndex(of: ".") else {
      throw .invalid(source: source, path: path, message: ConfigOverride.sectionlessMessage(path))
    }
    let section = String(path[..<dot])
    let key = String(path[path.index(after: dot)...])
    let schema = RunConfig.schema
    guard let keys = schema.first(where: { $0.name == section }) else {
      throw .invalid(
        source: source, path: section, message: RunConfig.unknownSectionMessage(section))
    }
    guard keys.keys.contains(key) else {
      throw .invalid(source: source, path: path, message: keys.unknownKeyMessage(key))
    }
    self.argument = argument
    self.section = section
    self.key = key
    self.value = ConfigOverride.value(of: text, isText: keys.textKeys.contains(key))
  }

  /// The value `text` stands for.
  private static func value(of text: String, isText: Bool) -> JSONValue {
    let parsed = try? JSONParser.parse(text)
    if case .string = parsed { return parsed! }
    if isText { return .string(text) }
    switch parsed {
    case .number?, .boolean?, .null?, .array?, .object?: return parsed!
    default: return .string(text)
    }
  }

  /// The message for a path without a dot: a section alone, a key without its section, or
  /// something unknown.
  private static func sectionlessMessage(_ path: String) -> String {
    let schema = RunConfig.schema
    if let section = schema.first(where: { $0.name == path }) {
      return "expected SECTION.KEY, as in \(path).\(section.keys[0])=…"
    }
    if let section = schema.first(where: { $0.keys.contains(path) }) {
      return "expected SECTION.KEY (did you mean \"\(section.name).\(path)\"?)"
    }
    return "expected SECTION.KEY=VALUE, as in \(ConfigOverride.example)"
  }
}

/// The keys of one section, for checking `--set` paths without reading a file.
struct ConfigSectionSchema {
  /// The section name.
  let name: String
  /// The keys, in reference order.
  let keys: [String]
  /// The keys whose values are strings.
  let textKeys: Set<String>
  /// The message for an unknown key, with a hint.
  let unknownKeyMessage: (String) -> String

  init<Section: ConfigSection>(_ section: Section.Type) {
    name = Section.name
    keys = Section.fields.map(\.key)
    textKeys = Set(Section.fields.filter(\.takesText).map(\.key))
    unknownKeyMessage = Section.unknownKeyMessage
  }
}

extension RunConfig {
  /// Every section's keys, in file order.
  static let schema = [
    ConfigSectionSchema(DataConfig.self), ConfigSectionSchema(ModelConfig.self),
    ConfigSectionSchema(TrainingConfig.self), ConfigSectionSchema(OutputConfig.self),
  ]
}
