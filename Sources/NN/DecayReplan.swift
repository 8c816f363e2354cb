/// Where a linear decay was re-aimed: until ``step`` it followed the straight line to 0 at
/// ``firstTotalSteps``; after it, a straight line from the rate reached at ``step`` to 0 at the
/// schedule's final step. What `training.max_steps: "auto"` records when it re-plans its step
/// count halfway through the decay (`training.replanned` in a config).
public struct DecayReplan: Equatable, Sendable {
  /// The last step on the first line (the step the re-plan was made after).
  public var step: Int
  /// The step at which the first line reaches 0: the first plan's step count.
  public var firstTotalSteps: Int

  /// A re-plan after `step` of a decay first aimed at `firstTotalSteps`.
  public init(step: Int, firstTotalSteps: Int) {
    self.step = step
    self.firstTotalSteps = firstTotalSteps
  }
}
