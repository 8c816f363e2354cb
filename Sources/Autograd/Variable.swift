import Tensors

/// A tensor that takes part in differentiation: a value and, once `backward` has reached it, the
/// gradient of the loss with respect to that value.
///
/// Three kinds of variable exist:
/// - a **parameter** or any other trainable leaf, made with `requiresGradient: true`: backward
///   adds into its `gradient`, which stays until `zeroGradient()`;
/// - a **constant** (data, masks, positional tables), made with `requiresGradient: false`: no
///   gradient is ever computed for it;
/// - an **intermediate**, the result of an operation recorded on a `Tape`: it holds a gradient
///   only while backward passes through it, and releases it as soon as it has been propagated.
///
/// Operations applied while no tape is recording (see `Tape.record(_:)`) return constants.
public final class Variable {
  /// The forward value. An optimiser updates a parameter's value in place between steps; a
  /// recorded operation keeps the values its backward reads (sharing, not copying, storage).
  public var value: Tensor {
    // Without `oldValue`, an in-place change through `value` stays in place (SE-0268).
    didSet { generation &+= 1 }
  }
  /// Counts the changes made through `value` (assignments and in-place changes such as an
  /// optimiser's step): copies made of a value for speed (`PackedWeights`) are current while
  /// it is unchanged.
  public private(set) var generation = 0
  /// Whether this variable is the output of a recorded operation (its gradient is transient).
  public let isIntermediate: Bool
  /// A label for messages and checkpoints; parameters carry their checkpoint name here.
  public var name: String {
    didSet { cell?.name = name }
  }
  /// Where backward gathers the gradient; nil for a constant.
  let cell: GradientCell?
  /// The tape that recorded this intermediate (weak: the tape must not outlive its user).
  weak var tape: Tape?

  /// A leaf variable: a parameter when `requiresGradient`, otherwise a constant.
  public init(_ value: Tensor, requiresGradient: Bool = false, name: String = "") {
    self.value = value
    self.isIntermediate = false
    self.name = name
    self.cell = requiresGradient ? GradientCell(shape: value.shape, name: name) : nil
  }

  /// The output of an operation recorded on `tape`, whose gradient gathers in `cell`.
  init(intermediate value: Tensor, cell: GradientCell, tape: Tape) {
    self.value = value
    self.isIntermediate = true
    self.name = ""
    self.cell = cell
    self.tape = tape
  }

  /// A trainable leaf holding `value`, named `name` (a checkpoint's tensor name).
  public static func parameter(_ value: Tensor, name: String) -> Variable {
    Variable(value, requiresGradient: true, name: name)
  }

  /// Whether backward computes a gradient for this variable.
  public var requiresGradient: Bool { cell != nil }
  /// The accumulated gradient, of `value`'s shape; nil means zero (nothing reached it yet).
  public var gradient: Tensor? { cell?.gradient }
  /// The shape of `value`.
  public var shape: [Int] { value.shape }
  /// The number of elements of `value`.
  public var count: Int { value.count }

  /// Back-propagates from this variable, normally the scalar loss, on the tape that recorded
  /// it: the same as `tape.backward(from: self, seed: seed)`.
  ///
  /// - Parameter seed: the gradient of this variable, of its shape; ones when nil.
  public func backward(seed: Tensor? = nil) {
    guard let tape else {
      preconditionFailure(
        "backward: \(self) is not the output of an operation on a live tape (was it computed "
          + "in no-grad mode, or was its Tape released?)")
    }
    tape.backward(from: self, seed: seed)
  }

  /// Back-propagates from this variable and calls `completed(i)` as soon as `parameters[i]`'s
  /// gradient is final: see ``Tape/backward(from:seed:reporting:completed:)``.
  public func backward(
    seed: Tensor? = nil, reporting parameters: [Variable], completed: (Int) -> Void
  ) {
    guard let tape else {
      preconditionFailure(
        "backward: \(self) is not the output of an operation on a live tape (was it computed "
          + "in no-grad mode, or was its Tape released?)")
    }
    tape.backward(from: self, seed: seed, reporting: parameters, completed: completed)
  }

  /// Forgets the accumulated gradient (the next backward starts from zero).
  public func zeroGradient() { cell?.gradient = nil }

  /// Replaces the accumulated gradient, as data-parallel training does with the sum of every
  /// process's gradients; `body` gets nil when nothing has reached the gradient yet.
  public func updateGradient(_ body: (inout Tensor?) -> Void) {
    guard let cell else {
      preconditionFailure("updateGradient: \(self) does not require a gradient")
    }
    var gradient = cell.take()
    body(&gradient)
    if let gradient {
      precondition(
        gradient.shape == cell.shape,
        "updateGradient: gradient shape \(gradient.shape) differs from value shape \(cell.shape)"
          + (name.isEmpty ? "" : " of \(name)"))
    }
    cell.gradient = gradient
  }
}

extension Variable: CustomStringConvertible {
  public var description: String {
    let kind = isIntermediate ? "intermediate" : requiresGradient ? "parameter" : "constant"
    return "Variable(\(name.isEmpty ? kind : "\(name), \(kind)"), \(value))"
  }
}
