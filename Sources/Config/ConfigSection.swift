import NN
import Support

/// One section of the run configuration (`data`, `model`, `training`, `output`): a value whose
/// every field has a default, described by a list of ``ConfigField``s.
///
/// The field list drives reading (with unknown-key hints), `--set`, writing `config.json`,
/// `Codable` and the reference table.
public protocol ConfigSection: Codable, Equatable, Sendable {
  /// The section's key at the top level of a config file.
  static var name: String { get }
  /// What the section is for, for the reference table.
  static var summary: String { get }
  /// The fields in the order `config.json` and the reference table list them.
  static var fields: [ConfigField<Self>] { get }
  /// The section with every field at its default.
  init()
}

extension ConfigSection {
  /// The field named `key`, or nil.
  public static func field(_ key: String) -> ConfigField<Self>? {
    fields.first { $0.key == key }
  }

  /// The message for a key the section does not have, with the closest valid key as a hint.
  public static func unknownKeyMessage(_ key: String) -> String {
    let keys = fields.map(\.key)
    if let suggestion = ClosestMatch.suggestion(for: key, among: keys, minimumLimit: 1) {
      return "unknown key (did you mean \(jsonStringLiteral(suggestion))?)"
    }
    return "unknown key; \(name) has \(keys.joined(separator: ", "))"
  }

  /// Reads the section from its JSON object, field by field, starting from the defaults.
  ///
  /// - Parameter json: the section's value in the file, or nil when the file omits it.
  public static func read(_ json: JSONValue?) throws(ConfigProblem) -> Self {
    var section = Self()
    guard let json else { return section }
    guard case .object(let members) = json else {
      throw ConfigProblem(path: name, message: "expected an object, got \(json.quoted)")
    }
    for (key, value) in members {
      let path = "\(name).\(key)"
      guard let field = field(key) else {
        throw ConfigProblem(path: path, message: unknownKeyMessage(key))
      }
      try field.read(&section, value, path)
    }
    return section
  }

  /// The section as a JSON object, every field in list order.
  public var json: JSONValue {
    .object(Self.fields.map { ($0.key, $0.value(self)) })
  }

  // MARK: Codable, through the same fields

  /// Decodes the keys present, with the same checks as a config file; absent keys keep their
  /// defaults. Each section's `init(from:)` forwards here.
  public init(decodingFieldsFrom decoder: Decoder) throws {
    self.init()
    let container = try decoder.container(keyedBy: ConfigCodingKey.self)
    for key in container.allKeys {
      let path = "\(Self.name).\(key.stringValue)"
      guard let field = Self.field(key.stringValue) else {
        throw DecodingError.dataCorruptedError(
          forKey: key, in: container,
          debugDescription: "\(path): \(Self.unknownKeyMessage(key.stringValue))")
      }
      let value = try container.decode(ConfigJSONScalar.self, forKey: key).json
      do {
        try field.read(&self, value, path)
      } catch {
        throw DecodingError.dataCorruptedError(
          forKey: key, in: container, debugDescription: "\(error.path): \(error.message)")
      }
    }
  }

  /// Encodes every field under its snake_case key. Each section's `encode(to:)` forwards here.
  public func encodeFields(to encoder: Encoder) throws {
    var container = encoder.container(keyedBy: ConfigCodingKey.self)
    for field in Self.fields {
      try container.encode(ConfigJSONScalar(field.value(self)), forKey: ConfigCodingKey(field.key))
    }
  }
}

/// A coding key made from a field's JSON name.
public struct ConfigCodingKey: CodingKey {
  public let stringValue: String
  public init(_ string: String) { stringValue = string }
  public init?(stringValue: String) { self.stringValue = stringValue }
  public var intValue: Int? { nil }
  public init?(intValue: Int) { nil }
}

/// A scalar config value crossing a `Codable` boundary.
public struct ConfigJSONScalar: Codable {
  public let json: JSONValue

  public init(_ json: JSONValue) { self.json = json }

  public init(from decoder: Decoder) throws {
    let container = try decoder.singleValueContainer()
    // Booleans first: some decoders would read `true` as the number 1.
    if let value = try? container.decode(Bool.self) {
      json = .boolean(value)
    } else if let value = try? container.decode(Int.self) {
      json = .number(String(value))
    } else if let value = try? container.decode(Double.self) {
      json = JSONValue.real(value)
    } else if let value = try? container.decode(String.self) {
      json = .string(value)
    } else if container.decodeNil() {
      json = .null
    } else if let value = try? container.decode([String: Int].self) {
      // An object of integers (`training.replanned`), its members in key order.
      json = .object(value.sorted { $0.key < $1.key }.map { ($0.key, .number(String($0.value))) })
    } else {
      // Arrays and other objects: the field reader says what it expected.
      json = .object([])
    }
  }

  public func encode(to encoder: Encoder) throws {
    var container = encoder.singleValueContainer()
    switch json {
    case .boolean(let value): try container.encode(value)
    case .string(let value): try container.encode(value)
    case .number(let text):
      if let integer = Int(text) {
        try container.encode(integer)
      } else {
        try container.encode(Double(text) ?? 0)
      }
    case .object(let members):
      var integers: [String: Int] = [:]
      for member in members {
        guard let value = member.value.integer else { return try container.encodeNil() }
        integers[member.key] = value
      }
      try container.encode(integers)
    case .null, .array: try container.encodeNil()
    }
  }
}
