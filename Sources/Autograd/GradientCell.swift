import Tensors

/// Where backward gathers the gradient of one variable.
///
/// A pullback holds the cells of its inputs, not the variables, so a recorded operation keeps
/// alive only the tensors its backward actually reads: an intermediate that no backward needs
/// (the input of an addition, say) is freed as soon as the forward pass lets go of it.
final class GradientCell {
  /// The shape of the variable, and so of its gradient.
  let shape: [Int]
  /// The variable's name, for messages.
  var name: String
  /// The accumulated gradient; nil means zero.
  var gradient: Tensor?

  init(shape: [Int], name: String) {
    self.shape = shape
    self.name = name
  }

  /// Takes the gradient out, leaving nil: the caller then owns its buffer uniquely.
  func take() -> Tensor? {
    defer { gradient = nil }
    return gradient
  }

  /// Adds `contribution` to the gradient. The first contribution is stored without a copy
  /// (its storage may be shared; the next write copies it if it still is).
  ///
  /// - Parameter op: the operation whose backward produced `contribution`, for the message.
  func accumulate(_ contribution: Tensor, from op: StaticString) {
    checkShape(contribution.shape, op)
    guard var buffer = take() else {
      gradient = contribution
      return
    }
    addInPlace(&buffer, contribution)
    gradient = buffer
  }

  /// Lets a backward kernel write its contribution straight into the gradient buffer.
  ///
  /// `body(&buffer, accumulate)` must add into `buffer` when `accumulate` is true and overwrite
  /// every element of it (uninitialised memory) when false: the `into:accumulate:` convention
  /// of the kernels.
  ///
  /// - Parameter op: the operation whose backward runs, for the shape message.
  func update(from op: StaticString, _ body: (inout Tensor, _ accumulate: Bool) -> Void) {
    var buffer: Tensor
    let accumulate: Bool
    if let existing = take() {
      buffer = existing
      accumulate = true
    } else {
      buffer = Tensor(uninitializedShape: shape)
      accumulate = false
    }
    body(&buffer, accumulate)
    checkShape(buffer.shape, op)
    gradient = buffer
  }

  /// Traps, naming the op and both shapes, when a gradient does not have the value's shape.
  private func checkShape(_ gradientShape: [Int], _ op: StaticString) {
    precondition(
      gradientShape == shape,
      "\(op) backward: gradient shape \(gradientShape) differs from value shape \(shape)"
        + (name.isEmpty ? "" : " of \(name)"))
  }
}
