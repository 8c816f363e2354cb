import Autograd
import Tensors

/// The position-wise feed-forward network (Vaswani et al. §3.3):
/// `FFN(x) = act(x·W₁ + b₁)·W₂ + b₂`, the same two linear maps at every position, with ReLU as
/// in the paper or GELU.
///
/// Shapes: B batch, T positions, D model width, F inner width.
public struct FeedForward {
  /// W₁ and b₁: `[D, F]` and `[F]`, named `<name>.inner`.
  public let inner: Linear
  /// W₂ and b₂: `[F, D]` and `[D]`, named `<name>.outer`.
  public let outer: Linear
  /// The non-linearity between the two maps.
  public let activation: TransformerConfiguration.Activation

  /// A network of width `modelWidth` → `feedForwardWidth` → `modelWidth`, Xavier-uniform
  /// weights, zero biases.
  ///
  /// - Parameters:
  ///   - name: the prefix of the parameters' checkpoint names.
  ///   - modelWidth: D.
  ///   - feedForwardWidth: F.
  ///   - activation: ReLU or GELU.
  ///   - generator: draws the weights, inner first.
  public init(
    name: String, modelWidth: Int, feedForwardWidth: Int,
    activation: TransformerConfiguration.Activation = .relu,
    using generator: inout RandomGenerator
  ) {
    inner = Linear(
      name: name + ".inner", inputWidth: modelWidth, outputWidth: feedForwardWidth,
      using: &generator)
    outer = Linear(
      name: name + ".outer", inputWidth: feedForwardWidth, outputWidth: modelWidth,
      using: &generator)
    self.activation = activation
  }

  /// The inner map's weight and bias, then the outer map's.
  public var parameters: [Variable] { inner.parameters + outer.parameters }

  /// Applies the network to every position of `x`.
  ///
  /// - Parameter x: `[B, T, D]`.
  /// - Returns: `[B, T, D]`.
  public func callAsFunction(_ x: Variable) -> Variable {
    var context = ForwardContext.inference
    return self(x, context: &context)
  }

  /// Applies the network to every position of `x`, recording its steps in `context.trace`.
  ///
  /// - Parameters:
  ///   - x: `[B, T, D]`.
  ///   - context: carries the trace; the network has no dropout of its own.
  /// - Returns: `[B, T, D]`.
  public func callAsFunction(_ x: Variable, context: inout ForwardContext) -> Variable {
    if activation == .relu, context.trace == nil, let bias = inner.bias {
      // x·W₁ + b₁ and the ReLU as one op: the same numbers with one pass less over [B, T, F].
      let activated = linearReLU(x, weight: inner.weight, bias: bias)  // [B, T, F]
      return outer(activated)  // [B, T, D]
    }
    let t = context.sequenceAxis
    let hidden = inner(x)  // [B, T, F]
    context.record("x·W₁ + b₁ (§3.3)", "[B, \(t), D] → [B, \(t), F]", hidden.value)
    let activated = activation == .relu ? relu(hidden) : gelu(hidden)  // [B, T, F]
    context.record(activation == .relu ? "ReLU" : "GELU", "[B, \(t), F]", activated.value)
    let projected = outer(activated)  // [B, T, D]
    context.record("·W₂ + b₂", "[B, \(t), F] → [B, \(t), D]", projected.value)
    return projected
  }

  /// Applies the network to the rows of one inference step, without recording.
  ///
  /// - Parameters:
  ///   - x: `[R, D]`.
  ///   - packed: where W₁'s and W₂'s packed copies are looked up.
  /// - Returns: `[R, D]`.
  public func callAsFunction(step x: Tensor, packed: PackedWeights? = nil) -> Tensor {
    if activation == .relu {
      // ReLU as the product stores x·W₁ + b₁, as the training forward's `linearReLU` does.
      return outer(step: inner(step: x, packed: packed, relu: true), packed: packed)  // [R, D]
    }
    let hidden = inner(step: x, packed: packed)  // [R, F]
    return outer(step: gelu(hidden), packed: packed)  // [R, D]
  }
}
