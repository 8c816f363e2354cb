import Autograd
import Tensors

/// Layer normalisation over the last dimension (Ba, Kiros & Hinton 2016):
/// `y = (x − mean)/√(var + ε)·weight + bias`, per row.
///
/// The Transformer normalises the residual stream after (post-norm) or before (pre-norm) every
/// sub-layer (Vaswani et al. §3.1).
public struct LayerNorm {
  /// The gain γ: `[D]`, named `<name>.weight`, initially 1.
  public let weight: Variable
  /// The bias β: `[D]`, named `<name>.bias`, initially 0.
  public let bias: Variable
  /// Added to the variance before the square root.
  public let epsilon: Float

  /// The identity normalisation (gain 1, bias 0) of rows of width `width`.
  ///
  /// - Parameters:
  ///   - name: the prefix of the parameters' checkpoint names.
  ///   - width: D, the size of the normalised dimension.
  ///   - epsilon: the variance's guard (PyTorch's default).
  public init(name: String, width: Int, epsilon: Float = 1e-5) {
    weight = .parameter(Tensor(shape: [width], repeating: 1), name: name + ".weight")
    bias = .parameter(Tensor(shape: [width]), name: name + ".bias")
    self.epsilon = epsilon
  }

  /// The gain, then the bias.
  public var parameters: [Variable] { [weight, bias] }

  /// Normalises every row of `x`.
  ///
  /// - Parameter x: `[…, D]`, e.g. `[B, T, D]`.
  /// - Returns: `[…, D]`.
  public func callAsFunction(_ x: Variable) -> Variable {
    layerNorm(x, gamma: weight, beta: bias, epsilon: epsilon)
  }

  /// Normalises every row of `x` without recording (an inference step).
  ///
  /// - Parameter x: `[…, D]`, e.g. `[R, D]`.
  /// - Returns: `[…, D]`.
  public func callAsFunction(step x: Tensor) -> Tensor {
    layerNorm(x, gamma: weight.value, beta: bias.value, epsilon: epsilon).output
  }

  /// Normalises every row of `x + residual` without recording (a post-norm sublayer
  /// connection's step), without writing the sum as a tensor of its own.
  ///
  /// - Parameters:
  ///   - x, residual: `[…, D]`.
  /// - Returns: `[…, D]`.
  public func callAsFunction(step x: Tensor, adding residual: Tensor) -> Tensor {
    layerNorm(x, adding: residual, gamma: weight.value, beta: bias.value, epsilon: epsilon)
  }
}
