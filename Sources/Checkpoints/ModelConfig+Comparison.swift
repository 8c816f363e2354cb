import Config
import NN
import Support

/// One key of the `model` section whose value differs between two configs.
public struct ModelConfigDifference: Equatable, Sendable {
  /// The key within the section, such as `kv_heads`.
  public var key: String
  /// The first config's value, as JSON text (`null`, `"rope"`, `64`).
  public var value: String
  /// The second config's value, as JSON text.
  public var other: String
}

extension ModelConfig {
  /// The keys of the `model` section whose values differ from `other`'s, in the section's
  /// order. Keys that cannot change the model are left out: `encoder_layers` when both are
  /// decoder-only (it is ignored there), and `kv_heads` when both resolve to the same number
  /// of heads (`null` means `heads`).
  public func differences(from other: ModelConfig) -> [ModelConfigDifference] {
    let (mine, theirs) = (comparable(beside: other), other.comparable(beside: self))
    return Self.fields.compactMap { field in
      let (value, otherValue) = (field.value(mine), field.value(theirs))
      guard value != otherValue else { return nil }
      // Shown as written, not as resolved for the comparison.
      return ModelConfigDifference(
        key: field.key, value: field.value(self).compactText(),
        other: field.value(other).compactText())
    }
  }

  /// This config with the values that `other` need not share set to one canonical value.
  private func comparable(beside other: ModelConfig) -> ModelConfig {
    var config = self
    if (keyValueHeads == nil) != (other.keyValueHeads == nil) {
      config.keyValueHeads = keyValueHeads ?? headCount
    }
    if architecture == .decoderOnly, other.architecture == .decoderOnly {
      config.encoderLayerCount = ModelConfig().encoderLayerCount
    }
    return config
  }
}
