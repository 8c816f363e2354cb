import Autograd
import Tensors

/// A recorder of one forward pass: every named step of the model with its tensor, grouped by
/// the module that computed it (encoder › layer 1 › self-attention …).
///
/// Set it as `ForwardContext.trace` and run the model's own forward code; the layers call
/// `ForwardContext.record` at each step of the paper's equations, and the steps land here in
/// the order they were computed. Without a trace those calls evaluate nothing, so a traced and
/// an untraced pass compute the same numbers with the same code.
///
/// ```swift
/// let trace = ForwardTrace()
/// var context = ForwardContext(isTraining: false, generator: RandomGenerator(seed: 0), trace: trace)
/// _ = model.forwardEncoder(sourceIDs: ids, sourceLengths: [ids.count], context: &context)
/// for step in trace.steps { print(step.modules, step.name, step.value.shape) }
/// ```
///
/// Shapes: B batch, S source length, T target length, D width, H heads, K head size,
/// F feed-forward width, V vocabulary.
public final class ForwardTrace {
  /// One recorded step.
  public struct Step {
    /// The modules it ran in, outermost first, e.g. `["encoder", "layer 1", "self-attention"]`.
    public let modules: [String]
    /// The step in the paper's notation, e.g. `scores Q·Kᵀ/√K (§3.2.1)`.
    public let name: String
    /// The shape in the legend's letters, e.g. `[B, H, T, S]`, or `[B, S, D] → [B, H, S, K]`.
    public let shape: String
    /// The tensor the model computed.
    public let value: Tensor
  }

  /// The module names the model records under, shared by the layers and the readers of a trace.
  public enum Module {
    /// The encoder stack.
    public static let encoder = "encoder"
    /// The decoder stack.
    public static let decoder = "decoder"
    /// Self-attention inside a layer (§3.2.2).
    public static let selfAttention = "self-attention"
    /// The decoder's attention over the encoder output (§3.2.3).
    public static let crossAttention = "encoder-decoder attention"
    /// The position-wise feed-forward network (§3.3).
    public static let feedForward = "feed-forward"

    /// Layer `number` of a stack, counting from 1.
    public static func layer(_ number: Int) -> String { "layer \(number)" }
  }

  /// The name of the attention probabilities `[B, H, T, S]` in every attention module.
  public static let attentionProbabilities = "softmax → attention weights"

  /// Every step so far, in the order computed.
  public private(set) var steps: [Step] = []
  /// The letter of the sequence being computed: `S` in the encoder, `T` in the decoder.
  public var sequenceAxis = "S"
  private var modules: [String] = []

  /// An empty trace.
  public init() {}

  /// Starts a module: the following steps are recorded inside it until `leave()`.
  public func enter(_ module: String) { modules.append(module) }

  /// Ends the innermost module.
  public func leave() {
    precondition(!modules.isEmpty, "ForwardTrace: leave() without enter()")
    modules.removeLast()
  }

  /// Appends a step in the current module.
  public func record(_ name: String, shape: String, _ value: Tensor) {
    steps.append(Step(modules: modules, name: name, shape: shape, value: value))
  }

  /// The first step named `name` recorded in exactly the module path `modules`.
  public func value(named name: String, in modules: [String]) -> Tensor? {
    steps.first { $0.name == name && $0.modules == modules }?.value
  }
}
