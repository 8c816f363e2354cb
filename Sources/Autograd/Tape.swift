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
    /// The gradient cells of the leaves among the inputs (parameters), whose pullback adds
    /// into them: what tells backward when a parameter has received its last contribution.
    let leaves: [GradientCell]
  }

  /// The tape the current thread records on, nil in no-grad mode.
  @TaskLocal static var current: Tape? = nil

  private(set) var nodes: [Node] = []
  /// The leaf cells of the inputs `active` last saw, for the node `append` adds next: every
  /// operation asks `active` and then appends, on the one thread that records.
  private var pendingLeaves: [GradientCell] = []

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
    guard inputs.contains(where: { $0.requiresGradient }) else { return nil }
    tape.pendingLeaves = inputs.compactMap { $0.isIntermediate ? nil : $0.cell }
    return tape
  }

  /// Appends an operation whose output value is `value`; `pullback(g)` receives the gradient of
  /// the output (shape of `value`) and adds into the gradient cells of the inputs, which it
  /// captures together with whatever tensors it reads, and nothing else.
  func append(_ op: StaticString, _ value: Tensor, pullback: @escaping (Tensor) -> Void) -> Variable
  {
    let cell = GradientCell(shape: value.shape, name: "")
    nodes.append(Node(output: cell, op: op, pullback: pullback, leaves: pendingLeaves))
    pendingLeaves = []
    return Variable(intermediate: value, cell: cell, tape: self)
  }

  /// Back-propagates from `output`, adding d(output · seed)/d(leaf) into the gradient of every
  /// leaf that requires one, then empties the tape.
  ///
  /// - Parameters:
  ///   - output: normally the scalar loss.
  ///   - seed: the gradient of `output`, of its shape; ones when nil (for a scalar loss, 1).
  public func backward(from output: Variable, seed: Tensor? = nil) {
    backward(from: output, seed: seed, reporting: [], completed: { _ in })
  }

  /// Back-propagates from `output` like ``backward(from:seed:)``, and calls `completed(i)` as
  /// soon as `parameters[i]`'s gradient is final: right after the pullback of the earliest
  /// operation on the tape that reads it (walking backwards, the last one to add into it).
  ///
  /// Data-parallel training starts summing a group of gradients over the processes there,
  /// while backward goes on with the rest (buckets overlapping communication with compute).
  /// A parameter no recorded operation reads is not reported: its gradient did not change.
  /// Each reported parameter is reported once, in the order backward finishes them.
  ///
  /// - Parameters:
  ///   - parameters: leaves (`requiresGradient`, not intermediates) to report on.
  ///   - completed: called on this thread, inside backward, with an index into `parameters`.
  public func backward(
    from output: Variable, seed: Tensor? = nil, reporting parameters: [Variable],
    completed: (Int) -> Void
  ) {
    // Where each reported parameter is read for the first time on the tape: its gradient is
    // complete once backward has passed that node. Tied weights (an embedding also used as
    // the output projection) are read twice; the earlier read counts.
    var lastNode: [Int: [Int]] = [:]  // node index → parameters finished by its pullback
    if !parameters.isEmpty {
      var index: [ObjectIdentifier: Int] = [:]
      for (position, parameter) in parameters.enumerated() {
        if let cell = parameter.cell, !parameter.isIntermediate {
          index[ObjectIdentifier(cell)] = position
        }
      }
      var firstRead: [Int: Int] = [:]  // parameter → node index
      for (position, node) in nodes.enumerated().reversed() {
        for leaf in node.leaves {
          if let parameter = index[ObjectIdentifier(leaf)] { firstRead[parameter] = position }
        }
      }
      for (parameter, position) in firstRead {
        lastNode[position, default: []].append(parameter)
      }
      for position in lastNode.keys { lastNode[position]!.sort() }
    }
    let start = seed ?? Tensor(shape: output.shape, repeating: 1)
    precondition(
      start.shape == output.shape,
      "backward: seed shape \(start.shape) differs from output shape \(output.shape)")
    output.cell?.accumulate(start, from: "backward seed")
    // Walk the tape backwards. A node whose output never received a gradient lies off the
    // path to `output` and is skipped. An intermediate's gradient is complete once its own node
    // is reached (all its consumers come later on the tape), so it is taken out and freed.
    while let node = nodes.popLast() {
      if let gradient = node.output.take() { node.pullback(gradient) }
      // Reported even when the node lay off the path: nothing earlier can reach the parameter.
      if let finished = lastNode[nodes.count] {
        for parameter in finished { completed(parameter) }
      }
    }
  }

  /// Drops every recorded operation without differentiating (e.g. after a validation pass that
  /// was recorded by mistake), releasing what their pullbacks saved.
  public func reset() {
    nodes.removeAll()
  }
}
