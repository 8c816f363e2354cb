import Autograd

/// What a forward pass needs beyond its inputs: whether it trains, and the generator its
/// dropout masks come from.
///
/// Layers take it `inout` and draw from it in a fixed order, so a forward pass from the same
/// generator state applies the same masks (the trainer saves `generator.state` in its
/// checkpoints to resume the exact stream). In inference dropout is the identity and nothing is
/// drawn.
public struct ForwardContext {
  /// Whether dropout is applied (training) or is the identity (evaluation, translation).
  public var isTraining: Bool
  /// The source of every dropout mask.
  public var generator: RandomGenerator

  /// A context that trains when `isTraining`, drawing masks from `generator`.
  public init(isTraining: Bool, generator: RandomGenerator) {
    self.isTraining = isTraining
    self.generator = generator
  }

  /// Evaluation and inference: no dropout, nothing drawn.
  public static var inference: ForwardContext {
    ForwardContext(isTraining: false, generator: RandomGenerator(seed: 0))
  }

  /// Inverted dropout of `x` with probability `probability` in training; `x` itself otherwise.
  ///
  /// - Parameter x: any shape.
  public mutating func dropout(_ x: Variable, probability: Float) -> Variable {
    Autograd.dropout(x, probability: probability, isTraining: isTraining, using: &generator)
  }
}
