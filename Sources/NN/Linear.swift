import Autograd
import Tensors

/// An affine map `y = x·W + b` applied to the last dimension of its input.
///
/// The weight is stored `[in, out]`, so the forward is one GEMM `x·W` without a transpose and
/// the two backward products are `dx = dy·Wᵀ` and `dW = xᵀ·dy`. (PyTorch's `nn.Linear` stores
/// `[out, in]`; importing its weights means transposing them.)
///
/// ```swift
/// var generator = RandomGenerator(seed: 1)
/// let projection = Linear(name: "query", inputWidth: 512, outputWidth: 512, using: &generator)
/// let q = projection(x)  // [B, T, 512]
/// ```
public struct Linear {
  /// W: `[in, out]`, named `<name>.weight`.
  public let weight: Variable
  /// b: `[out]`, named `<name>.bias`; nil for a layer without bias.
  public let bias: Variable?

  /// A layer with Xavier-uniform weights (Glorot & Bengio 2010) and zero bias.
  ///
  /// - Parameters:
  ///   - name: the prefix of the parameters' checkpoint names.
  ///   - inputWidth: the size of the input's last dimension.
  ///   - outputWidth: the size of the output's last dimension.
  ///   - bias: whether to add a bias.
  ///   - generator: draws the weights.
  public init(
    name: String, inputWidth: Int, outputWidth: Int, bias: Bool = true,
    using generator: inout RandomGenerator
  ) {
    weight = .parameter(
      Tensor.xavierUniform(shape: [inputWidth, outputWidth], using: &generator),
      name: name + ".weight")
    self.bias = bias ? .parameter(Tensor(shape: [outputWidth]), name: name + ".bias") : nil
  }

  /// The size of the input's last dimension.
  public var inputWidth: Int { weight.shape[0] }
  /// The size of the output's last dimension.
  public var outputWidth: Int { weight.shape[1] }

  /// The weight, then the bias.
  public var parameters: [Variable] { [weight] + (bias.map { [$0] } ?? []) }

  /// Applies the map to every row of `x`.
  ///
  /// - Parameter x: `[…, in]`, e.g. `[B, T, D]`.
  /// - Returns: `[…, out]`.
  public func callAsFunction(_ x: Variable) -> Variable {
    // One recorded op: the product adds the bias as it stores its output, and the bias's
    // gradient is the column sums of the output gradient.
    linear(x, weight: weight, bias: bias)  // [B, T, out]
  }

  /// Applies the map to the rows of one inference step, without recording: the same `x·W + b`,
  /// with the product a decoding step of few or many rows wants (`stepProduct`). With `relu`
  /// the result is clamped at 0 (the feed-forward network's inner map); the bias and the clamp
  /// are applied as the product stores y.
  ///
  /// - Parameters:
  ///   - x: `[R, in]`.
  ///   - packed: where the weight's packed copy (products of many rows) or row panels (of a
  ///     few) are looked up.
  /// - Returns: `[R, out]`.
  public func callAsFunction(step x: Tensor, packed: PackedWeights? = nil, relu: Bool = false)
    -> Tensor
  {
    stepProduct(
      x, weight: weight.value, packed: packed?[weight], rowPanels: packed?.rowPanels(weight),
      bias: bias?.value, relu: relu)  // [R, out]
  }
}
