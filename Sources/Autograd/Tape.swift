import Tensors

/// The record of one forward pass: every differentiable operation applied while the tape was
/// recording, in the order it ran, each with the pullback that turns its output's gradient into
/// gradients of its inputs.
///
/// The tape is the order. An operation is appended after every operation that produced its
/// inputs, so walking the tape backwards visits each variable only after all of its consumers
/// have added their contributions; no topological sort is needed.
///
/// ```swift
/// let tape = Tape()
/// let loss = tape.record { model.loss(batch) }   // ops inside are recorded
/// loss.backward()                                // or tape.backward(from: loss): fills
///                                                // every parameter's gradient
/// ```
///
/// Operations run outside `record` (or inside `Tape.withoutRecording`) record nothing and keep
/// no intermediates: that is inference mode. After `backward` the tape is empty, and every
/// tensor its pullbacks had saved is released.
public final class Tape: @unchecked Sendable {
  /// One recorded operation: its output's gradient cell and the pullback that consumes it.
  struct Node {
    let output: GradientCell
    let op: StaticString
    let pullback: (Tensor) -> Void
  }

  /// The tape the current thread records on, nil in no-grad mode.
  @TaskLocal static var current: Tape? = nil

  private(set) var nodes: [Node] = []

  /// An empty tape.
  public init() {}

  /// The number of operations recorded and not yet differentiated.
  public var recordedCount: Int { nodes.count }

  /// Runs `body` with this tape recording every differentiable operation it applies.
  public func record<Result>(_ body: () throws -> Result) rethrows -> Result {
    try Tape.$current.withValue(self) { try body() }
  }

  /// Runs `body` with recording switched off (no-grad mode): operations return constants and
  /// save nothing for backward.
  public static func withoutRecording<Result>(_ body: () throws -> Result) rethrows -> Result {
    try Tape.$current.withValue(nil) { try body() }
  }

  /// Whether an operation run here would be recorded (some tape is recording).
  public static var isRecording: Bool { current != nil }

  /// The tape an operation on `inputs` records on: the current one, if any input needs a
  /// gradient; nil when the operation need not be recorded.
  static func active(_ inputs: Variable...) -> Tape? {
    guard let tape = current else { return nil }
    for input in inputs where input.requiresGradient { return tape }
    return nil
  }

  /// Appends an operation whose output value is `value`; `pullback(g)` receives the gradient of
  /// the output (shape of `value`) and adds into the gradient cells of the inputs, which it
  /// captures together with whatever tensors it reads, and nothing else.
  func append(_ op: StaticString, _ value: Tensor, pullback: @escaping (Tensor) -> Void) -> Variable
  {
    let cell = GradientCell(shape: value.shape, name: "")
    nodes.append(Node(output: cell, op: op, pullback: pullback))
    return Variable(intermediate: value, cell: cell, tape: self)
  }

  /// Back-propagates from `output`, adding d(output · seed)/d(leaf) into the gradient of every
  /// leaf that requires one, then empties the tape.
  ///
  /// - Parameters:
  ///   - output: normally the scalar loss.
  ///   - seed: the gradient of `output`, of its shape; ones when nil (for a scalar loss, 1).
  public func backward(from output: Variable, seed: Tensor? = nil) {
    let start = seed ?? Tensor(shape: output.shape, repeating: 1)
    precondition(
      start.shape == output.shape,
      "backward: seed shape \(start.shape) differs from output shape \(output.shape)")
    output.cell?.accumulate(start, from: "backward seed")
    // Walk the tape backwards. A node whose output never received a gradient lies off the
    // path to `output` and is skipped. An intermediate's gradient is complete once its own node
    // is reached (all its consumers come later on the tape), so it is taken out and freed.
    while let node = nodes.popLast() {
      guard let gradient = node.output.take() else { continue }
      node.pullback(gradient)
    }
  }

  /// Drops every recorded operation without differentiating (e.g. after a validation pass that
  /// was recorded by mistake), releasing what their pullbacks saved.
  public func reset() {
    nodes.removeAll()
  }
}
