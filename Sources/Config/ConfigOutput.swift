/// The `output` section: where a run writes its checkpoints, `config.json`, vocabulary and logs.
public struct OutputConfig: ConfigSection {
  /// The run directory, relative to the current directory; created if missing.
  public var directory = "runs/default"

  /// Every field at its default.
  public init() {}

  public static let name = "output"
  public static let summary = "Where the run's files go."
  public static let fields: [ConfigField<OutputConfig>] = [
    .text(
      "dir", \.directory, allowsEmpty: false,
      "Run directory for checkpoints, `config.json`, the BPE model and logs; created if missing.")
  ]

  /// Decodes the keys present, with the same checks as a config file.
  public init(from decoder: Decoder) throws { try self.init(decodingFieldsFrom: decoder) }
  /// Encodes every field under its JSON key.
  public func encode(to encoder: Encoder) throws { try encodeFields(to: encoder) }
}
