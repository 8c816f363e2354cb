import Autograd
import Foundation
import Checkpoints
import NN

/// The tiny checkpoints behind the PyTorch golden values (`PyTorchGoldenTests`), built by our
/// own code from a seed and committed under `Fixtures/PyTorchGolden/<name>/model.safetensors`.
///
/// `scripts/pytorch_golden.py --write-fixture` loads each of them into PyTorch and writes
/// `golden.safetensors` beside it. To regenerate both (after changing `configuration` or the
/// initialisation):
///
///     PYTORCH_GOLDEN_WRITE_CHECKPOINTS=1 swift test -c release -Xswiftc -enable-testing \
///       --disable-swift-testing --filter PyTorchGoldenTests/testWriteCheckpoints
///     python3 scripts/pytorch_golden.py --write-fixture
enum PyTorchGoldenModel: String, CaseIterable {
  /// The paper's layout: post-norm, ReLU, separate source, target and output matrices.
  case postNormUntied = "post-norm-untied"
  /// Pre-norm with the final norms, GELU, one shared embedding matrix.
  case preNormTied = "pre-norm-tied"
  /// Beyond the paper: rotary positions and grouped-query attention (4 heads, 2 key/value
  /// heads), pre-norm, GELU, tied, untied from the sinusoids entirely.
  case ropeGQA = "rope-gqa"
  /// One causal stack over `source </s> <s> target` (`architecture` decoder-only), pre-norm,
  /// GELU, tied; 32 positions for the joined rows.
  case decoderOnly = "decoder-only"

  /// The folder of all golden checkpoints.
  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/PyTorchGolden")

  /// This model's checkpoint directory.
  var checkpointDirectory: URL { Self.directory.appendingPathComponent(rawValue) }
  /// Our weights and configuration.
  var modelPath: String { checkpointDirectory.appendingPathComponent("model.safetensors").path }
  /// PyTorch's logits, loss, gradients and loss trajectory for those weights.
  var goldenPath: String { checkpointDirectory.appendingPathComponent("golden.safetensors").path }

  /// D 16, H 2 (4 with 2 key/value heads for rope-gqa), F 32, V 24, 16 positions, dropout 0;
  /// 2+2 or 1+1 layers, or 2 decoder-only layers over 32 positions.
  var configuration: TransformerConfiguration {
    switch self {
    case .postNormUntied:
      return TransformerConfiguration(
        encoderLayerCount: 2, decoderLayerCount: 2, modelWidth: 16, headCount: 2,
        feedForwardWidth: 32, vocabularySize: 24, dropout: 0, activation: .relu,
        norm: .post, tieEmbeddings: false, maxPositions: 16)
    case .preNormTied:
      return TransformerConfiguration(
        encoderLayerCount: 1, decoderLayerCount: 1, modelWidth: 16, headCount: 2,
        feedForwardWidth: 32, vocabularySize: 24, dropout: 0, activation: .gelu,
        norm: .pre, tieEmbeddings: true, maxPositions: 16)
    case .decoderOnly:
      return TransformerConfiguration(
        encoderLayerCount: 1, decoderLayerCount: 2, modelWidth: 16, headCount: 2,
        feedForwardWidth: 32, vocabularySize: 24, dropout: 0, activation: .gelu,
        norm: .pre, tieEmbeddings: true, maxPositions: 32, architecture: .decoderOnly)
    case .ropeGQA:
      return TransformerConfiguration(
        encoderLayerCount: 1, decoderLayerCount: 1, modelWidth: 16, headCount: 4,
        feedForwardWidth: 32, vocabularySize: 24, dropout: 0, activation: .gelu,
        norm: .pre, tieEmbeddings: true, maxPositions: 16, positions: .rope,
        keyValueHeadCount: 2)
    }
  }

  /// The model: `Transformer(configuration:seed:)`, then every bias and norm parameter (all
  /// zeros or ones at initialisation) moved by N(0, 0.2²), so that the golden values also catch
  /// a bias or gain applied in the wrong place.
  func makeModel() -> Transformer {
    let seed: UInt64 =
      switch self {
      case .postNormUntied: 13
      case .preNormTied: 14
      case .ropeGQA: 15
      case .decoderOnly: 16
      }
    let model = Transformer(configuration: configuration, seed: seed)
    var generator = RandomGenerator(seed: seed + 1000)
    for parameter in model.parameters where parameter.value.rank == 1 {
      let noise = Tensor.normal(
        shape: parameter.shape, standardDeviation: 0.2, using: &generator)
      parameter.value = Tensor(
        shape: parameter.shape, scalars: zip(parameter.value.scalars, noise.scalars).map(+))
    }
    return model
  }

  /// Writes `makeModel()` to `modelPath`.
  func writeCheckpoint() throws {
    try FileManager.default.createDirectory(
      at: checkpointDirectory, withIntermediateDirectories: true)
    try makeModel().save(to: modelPath)
  }
}
