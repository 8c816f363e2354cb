/// The largest value each size key accepts.
///
/// Far above any model this program trains on a CPU, these bounds exist so that the products of
/// sizes (tensor elements, bytes, positions + 1) cannot overflow `Int`; whether a model within
/// them fits the machine is the question of
/// ``RunConfig/memoryProblem(memoryLimit:floatsPerParameter:)``.
public enum ConfigLimits {
  /// `encoder_layers`, `decoder_layers`.
  public static let layers = 1024
  /// `d_model`, `heads`, `kv_heads`.
  public static let modelWidth = 65_536
  /// `d_ff`.
  public static let feedForwardWidth = 1_048_576
  /// `max_positions`, `max_length` and the attention windows.
  public static let positions = 1_048_576
  /// `vocab_size`.
  public static let vocabularySize = 16_777_216
  /// `batch_tokens`.
  public static let batchTokens = 16_777_216
  /// `accumulate`: each micro-batch of an optimiser step runs before the stop request is seen
  /// again, so one step must stay short enough to end.
  public static let accumulationSteps = 4096
  /// `max_time_minutes`: about two years, and its seconds still fit `Int`.
  public static let maxTimeMinutes = 1e6
  /// `allreduce_bucket_mb`: its bytes must fit `Int`.
  public static let allReduceBucketMB = 1e6
}
