import Foundation
import Tensors

/// A value Adam can update in place, with the gradient of the loss with respect to it.
///
/// A class, so that Adam writes into the parameter's own storage rather than into a copy.
/// Autograd's `Variable` already has these members (`name`, `value`, `gradient`); the model
/// connects the two with a one-line `extension Variable: TrainableParameter {}`.
public protocol TrainableParameter: AnyObject {
  /// The checkpoint name; Adam's moments are stored under names derived from it.
  var name: String { get }
  /// The value Adam updates.
  var value: Tensor { get set }
  /// The accumulated gradient, of `value`'s shape; nil means no gradient reached it this step.
  var gradient: Tensor? { get }
}

/// The Adam optimiser (Kingma & Ba 2015, Algorithm 1) as the Transformer paper uses it
/// (section 5.3: β1 = 0.9, β2 = 0.98, ε = 1e-9).
///
/// For each parameter θ with gradient g, at step t (counted from 1):
///
///     m ← β1·m + (1 − β1)·g          v ← β2·v + (1 − β2)·g²
///     m̂ = m / (1 − β1^t)             v̂ = v / (1 − β2^t)
///     θ ← θ − lr · m̂ / (√v̂ + ε)
///
/// The moments `m` and `v` are kept per parameter, in the order of the parameter list given at
/// initialisation; every step must pass the parameters in that same order. A parameter whose
/// gradient is nil is left alone and its moments do not decay (as in PyTorch).
public struct Adam {
  /// The decay rate of the first moment (the running mean of gradients).
  public let beta1: Float
  /// The decay rate of the second moment (the running mean of squared gradients).
  public let beta2: Float
  /// Added to √v̂ so that the update stays finite where the gradient has been zero.
  public let epsilon: Float
  /// The number of steps taken so far; the next step is `stepCount + 1`.
  public internal(set) var stepCount: Int = 0
  /// The parameters' names, in the order steps pass them.
  public let names: [String]
  /// The running mean of gradients (m), one per parameter.
  public internal(set) var firstMoments: [Tensor]
  /// The running mean of squared gradients (v), one per parameter.
  public internal(set) var secondMoments: [Tensor]

  /// An optimiser for parameters with these names and shapes, moments zero.
  ///
  /// - Parameters:
  ///   - parameters: each parameter's checkpoint name and shape, in the order steps pass them.
  ///   - beta1: first-moment decay, in [0, 1).
  ///   - beta2: second-moment decay, in [0, 1).
  ///   - epsilon: the denominator's guard, positive.
  public init(
    parameters: [(name: String, shape: [Int])], beta1: Float = 0.9, beta2: Float = 0.98,
    epsilon: Float = 1e-9
  ) {
    precondition(
      (0..<1).contains(beta1) && (0..<1).contains(beta2) && epsilon > 0,
      "Adam: need 0 <= beta1, beta2 < 1 and epsilon > 0, got \(beta1), \(beta2), \(epsilon)")
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    names = parameters.map(\.name)
    firstMoments = parameters.map { Tensor(shape: $0.shape) }
    secondMoments = parameters.map { Tensor(shape: $0.shape) }
  }

  /// An optimiser for `parameters`, named and shaped as they are now.
  public init(
    parameters: [some TrainableParameter], beta1: Float = 0.9, beta2: Float = 0.98,
    epsilon: Float = 1e-9
  ) {
    self.init(
      parameters: parameters.map { ($0.name, $0.value.shape) }, beta1: beta1, beta2: beta2,
      epsilon: epsilon)
  }

  /// Takes one step on `parameters`, in place.
  ///
  /// - Parameters:
  ///   - learningRate: this step's rate, usually from a ``LearningRateSchedule``.
  ///   - gradientScale: multiplies every gradient before use: `1/k` to average k accumulated
  ///     batches, times ``GradientClipping/scale(norm:maxNorm:)`` to clip. Folding both into
  ///     the update spares a pass over the gradients.
  public mutating func step(
    _ parameters: [some TrainableParameter], learningRate: Float, gradientScale: Float = 1
  ) {
    checkCount(parameters.count)
    let rates = beginStep(learningRate: learningRate)
    var gradients: [Tensor] = []
    var buffers: [AdamKernel.Buffers] = []
    for (index, parameter) in parameters.enumerated() {
      guard let gradient = parameter.gradient else { continue }
      gradients.append(gradient)
      buffers.append(prepare(index, value: &parameter.value, gradient: gradient))
    }
    // The gradients stay alive until the kernel has read them.
    withExtendedLifetime(gradients) {
      AdamKernel.run(buffers, constants: constants(rates, scale: gradientScale))
    }
  }

  /// Takes one step on plain tensors: `values[i]` is updated with `gradients[i]` (nil skips it).
  ///
  /// The values are updated in the caller's array; a value whose storage another tensor shares
  /// is copied first (copy-on-write), so keep no other references to parameters while stepping.
  public mutating func step(
    _ values: inout [Tensor], gradients: [Tensor?], learningRate: Float, gradientScale: Float = 1
  ) {
    checkCount(values.count)
    precondition(
      gradients.count == values.count,
      "Adam.step: \(values.count) values but \(gradients.count) gradients")
    let rates = beginStep(learningRate: learningRate)
    var buffers: [AdamKernel.Buffers] = []
    for index in values.indices {
      guard let gradient = gradients[index] else { continue }
      buffers.append(prepare(index, value: &values[index], gradient: gradient))
    }
    withExtendedLifetime(gradients) {
      AdamKernel.run(buffers, constants: constants(rates, scale: gradientScale))
    }
  }

  /// The per-step factors: `lr / (1 − β1^t)` and `1 / (1 − β2^t)`.
  private struct StepRates {
    var firstCorrection: Float
    var secondCorrection: Float
  }

  private func checkCount(_ count: Int) {
    precondition(
      count == names.count,
      "Adam.step: \(count) parameters, but the optimiser was made for \(names.count)")
  }

  /// Advances the step count and works out this step's bias corrections.
  private mutating func beginStep(learningRate: Float) -> StepRates {
    stepCount += 1
    // In Double: 1 − β2^t is tiny for the first steps, where Float would lose digits.
    let t = Double(stepCount)
    let first = 1 - pow(Double(beta1), t)
    let second = 1 - pow(Double(beta2), t)
    return StepRates(
      firstCorrection: Float(Double(learningRate) / first), secondCorrection: Float(1 / second))
  }

  /// What every element's update reads besides its own four numbers.
  private func constants(_ rates: StepRates, scale: Float) -> AdamKernel.Constants {
    AdamKernel.Constants(
      beta1: beta1, beta2: beta2, epsilon: epsilon, stepSize: rates.firstCorrection,
      secondCorrection: rates.secondCorrection, gradientScale: scale)
  }

  /// Checks parameter `index`'s shapes, gives its value and moments storage of their own (so
  /// that the kernel writes where they live, from any thread), and returns their addresses.
  private mutating func prepare(_ index: Int, value: inout Tensor, gradient: Tensor)
    -> AdamKernel.Buffers
  {
    precondition(
      value.shape == firstMoments[index].shape && gradient.shape == value.shape,
      "Adam.step: parameter \(names[index]) has shape \(value.shape), its gradient "
        + "\(gradient.shape), its moments \(firstMoments[index].shape)")
    value.makeUnique()
    firstMoments[index].makeUnique()
    secondMoments[index].makeUnique()
    return AdamKernel.Buffers(
      gradient: gradient.storage.pointer, first: firstMoments[index].storage.pointer,
      second: secondMoments[index].storage.pointer, value: value.storage.pointer,
      count: value.count)
  }

  /// Replaces the moments and the step count, as read back from a checkpoint.
  ///
  /// - Precondition: one first and one second moment per parameter, each of its shape.
  public mutating func restore(firstMoments first: [Tensor], secondMoments second: [Tensor], stepCount step: Int) {
    precondition(
      first.count == firstMoments.count && second.count == secondMoments.count
        && zip(first, firstMoments).allSatisfy { $0.shape == $1.shape }
        && zip(second, secondMoments).allSatisfy { $0.shape == $1.shape } && step >= 0,
      "Adam.restore: moments or step count do not fit the parameters")
    firstMoments = first
    secondMoments = second
    stepCount = step
  }
}
