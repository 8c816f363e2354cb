import Autograd
import Tensors

/// What a forward pass needs beyond its inputs: whether it trains, the generator its dropout
/// masks come from, and optionally a trace that records every step.
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
  /// Where the layers record their steps (`transformer-cli trace`, `attention`); nil normally,
  /// and then recording costs one nil check per step.
  public var trace: ForwardTrace?

  /// A context that trains when `isTraining`, drawing masks from `generator`, recording into
  /// `trace` when given.
  public init(isTraining: Bool, generator: RandomGenerator, trace: ForwardTrace? = nil) {
    self.isTraining = isTraining
    self.generator = generator
    self.trace = trace
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

  /// `residual + Dropout(x)` with probability `probability` in training (one fused op, the same
  /// draw as `dropout`); `residual + x` otherwise.
  ///
  /// - Parameters:
  ///   - x: a sub-layer's output.
  ///   - residual: the sub-layer's input, the shape of `x`.
  public mutating func dropout(_ x: Variable, probability: Float, addedTo residual: Variable)
    -> Variable
  {
    Autograd.dropoutAdd(
      x, residual: residual, probability: probability, isTraining: isTraining, using: &generator)
  }

  /// Records a step in the trace; without a trace nothing is evaluated.
  ///
  /// - Parameters:
  ///   - name: the step in the paper's notation.
  ///   - shape: its shape in the legend's letters.
  ///   - value: the tensor.
  @inline(__always)
  public func record(
    _ name: @autoclosure () -> String, _ shape: @autoclosure () -> String,
    _ value: @autoclosure () -> Tensor
  ) {
    if let trace { trace.record(name(), shape: shape(), value()) }
  }

  /// Starts a module in the trace (if any).
  @inline(__always)
  public func enter(_ module: @autoclosure () -> String) {
    if let trace { trace.enter(module()) }
  }

  /// Ends the innermost module in the trace (if any).
  @inline(__always)
  public func leave() { trace?.leave() }

  /// The trace's current sequence letter (`S` or `T`), "" without a trace.
  public var sequenceAxis: String { trace?.sequenceAxis ?? "" }
}
