import Tensors
import NN

/// Adam's state as named tensors and metadata, for checkpoints: training resumed from a saved
/// state continues exactly as it would have without the interruption.
///
/// The moments of parameter `p` are stored as `adam.m.p` and `adam.v.p`, and the step count as
/// the metadata string `adam.step`, so that model weights and optimiser state can share one
/// safetensors file without their names colliding.
extension Adam {
  /// The metadata key of the step count.
  public static let stepMetadataKey = "adam.step"

  /// The name the first moment (m) of `parameter` is stored under.
  public static func firstMomentName(_ parameter: String) -> String { "adam.m." + parameter }
  /// The name the second moment (v) of `parameter` is stored under.
  public static func secondMomentName(_ parameter: String) -> String { "adam.v." + parameter }

  /// The moments, first then second, each in parameter order. Shares storage with the optimiser.
  public func stateTensors() -> [NamedTensor] {
    names.indices.map {
      NamedTensor(name: Self.firstMomentName(names[$0]), tensor: firstMoments[$0])
    }
      + names.indices.map {
        NamedTensor(name: Self.secondMomentName(names[$0]), tensor: secondMoments[$0])
      }
  }

  /// The step count as metadata.
  public func stateMetadata() -> [String: String] {
    [Self.stepMetadataKey: String(stepCount)]
  }

  /// Replaces the moments and the step count with those stored in `file`.
  ///
  /// Every parameter's moments must be present with the parameter's shape; on any error the
  /// optimiser is left unchanged.
  ///
  /// - Parameter path: the file's path, for messages.
  /// - Throws: ``SafeTensorsError/missingTensor(path:name:)``,
  ///   ``SafeTensorsError/shapeMismatch(path:name:expected:found:)`` or
  ///   ``SafeTensorsError/badMetadata(path:key:reason:)``.
  public mutating func loadState(from file: SafeTensorsFile, path: String) throws(SafeTensorsError)
  {
    guard let text = file.metadata[Self.stepMetadataKey] else {
      throw .badMetadata(path: path, key: Self.stepMetadataKey, reason: "is missing")
    }
    guard let step = Int(text), step >= 0 else {
      throw .badMetadata(
        path: path, key: Self.stepMetadataKey, reason: "is \"\(text)\", not a step count")
    }
    var first: [Tensor] = []
    var second: [Tensor] = []
    for (index, name) in names.enumerated() {
      let shape = firstMoments[index].shape
      first.append(try file.tensor(named: Self.firstMomentName(name), shape: shape, path: path))
      second.append(try file.tensor(named: Self.secondMomentName(name), shape: shape, path: path))
    }
    restore(firstMoments: first, secondMoments: second, stepCount: step)
  }
}
