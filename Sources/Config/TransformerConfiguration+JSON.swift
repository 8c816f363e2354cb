import NN
import Support

// The configuration a checkpoint stores in its metadata (`model.configuration`): the `model`
// section's fields under their config keys, read and written through the same field table as
// config files, plus `vocabulary_size` and `padding_id`. One line of JSON with sorted keys.

extension TransformerConfiguration {
  /// The keys every checkpoint has written since the first one; a field added later is
  /// optional in the metadata (an older checkpoint gets its default), so this list never grows.
  static let keysOfEveryCheckpoint: Set<String> = [
    "activation", "attention_dropout", "d_ff", "d_model", "decoder_layers", "dropout",
    "encoder_layers", "heads", "max_positions", "norm", "padding_id", "tie_embeddings",
    "vocabulary_size",
  ]

  /// The model section's fields, then the two the data decides.
  static let fields: [ConfigField<TransformerConfiguration>] =
    ModelConfig.fields.map { $0.lifted(\.hyperparameters) } + [
      .integer(
        "vocabulary_size", \.vocabularySize, minimum: 1, maximum: ConfigLimits.vocabularySize,
        "V: pieces in the vocabulary."),
      .integer("padding_id", \.paddingID, minimum: 0, "The padding token's id."),
    ]

  /// The configuration as one line of JSON with sorted keys, as stored in a checkpoint. A
  /// field that is `null` (no attention window) is left out, as earlier versions left it out;
  /// reading gives it its default, none.
  public var jsonText: String {
    let members = Self.fields.map { ($0.key, $0.value(self)) }.filter { $0.1 != .null }
    return JSONValue.object(members).compactText(sortingKeys: true)
  }

  /// The configuration stored as `text` by `jsonText` (or by any earlier version of the
  /// program), or nil when it does not parse.
  public init?(jsonText text: String) {
    guard let configuration = try? Self(checkpointJSON: text) else { return nil }
    self = configuration
  }

  /// The configuration stored as `text`, checked value by value as a config file is.
  ///
  /// - Throws: a ``ConfigProblem`` naming the key (`d_model`) that is missing, unknown or bad.
  public init(checkpointJSON text: String) throws(ConfigProblem) {
    let json: JSONValue
    do {
      json = try JSONParser.parse(text)
    } catch {
      throw ConfigProblem(path: "", message: error.message)
    }
    guard case .object(let members) = json else {
      throw ConfigProblem(path: "", message: "expected an object, got \(json.quoted)")
    }
    self.init(ModelConfig(), vocabularySize: 1, paddingID: 0)
    for (key, value) in members {
      guard let field = Self.fields.first(where: { $0.key == key }) else {
        throw ConfigProblem(path: key, message: "unknown key")
      }
      try field.read(&self, value, key)
    }
    let present = Set(members.map(\.key))
    if let missing = Self.keysOfEveryCheckpoint.subtracting(present).sorted().first {
      throw ConfigProblem(path: missing, message: "missing")
    }
  }
}

extension ConfigField {
  /// The same field of a value that holds a `Section` at `keyPath`.
  func lifted<Outer>(_ keyPath: WritableKeyPath<Outer, Section>) -> ConfigField<Outer> {
    let read = self.read
    let value = self.value
    return ConfigField<Outer>(
      key: key, type: type, summary: summary, takesText: takesText,
      read: { (outer, json, path) throws(ConfigProblem) in
        try read(&outer[keyPath: keyPath], json, path)
      },
      value: { value($0[keyPath: keyPath]) })
  }
}
