import Autograd

extension Adam {
  /// What one training update did.
  public struct Update {
    /// The rate the schedule gave this step.
    public var learningRate: Float
    /// The global norm of the averaged gradients before clipping; nil when not measured.
    public var gradientNorm: Float?
  }

  /// One parameter update as training makes it, the only place it is assembled: the gradients
  /// accumulated over `accumulatedBatches` batches are averaged (each batch's loss is a mean, so
  /// their sum is a sum of means), clipped by their global norm when `clipNorm > 0`, applied by
  /// Adam at `schedule`'s rate for step `step` (Vaswani et al. §5.3), then zeroed for the next
  /// step. The average and the clipping are one factor folded into Adam's step.
  ///
  /// - Parameters:
  ///   - parameters: the model's parameters, with their accumulated gradients.
  ///   - step: the 1-based number of this update.
  ///   - schedule: the learning-rate schedule.
  ///   - clipNorm: the largest global gradient norm kept; 0 turns clipping off.
  ///   - accumulatedBatches: k, the batches whose gradients were summed.
  ///   - measuringNorm: compute the gradient norm even without clipping.
  ///   - summedGradientNorm: the global norm of the summed gradients, when the caller has
  ///     measured it (the trainer does, to refuse an overflowed gradient); it is then not
  ///     measured again.
  public mutating func update(
    _ parameters: [Variable], step: Int, schedule: LearningRateSchedule, clipNorm: Float,
    accumulatedBatches: Int = 1, measuringNorm: Bool = false, summedGradientNorm: Float? = nil
  ) -> Update {
    let learningRate = schedule.learningRate(atStep: step)
    let average = 1 / Float(accumulatedBatches)
    var gradientNorm: Float?
    var scale = average
    if clipNorm > 0 || measuringNorm || summedGradientNorm != nil {
      let summed = summedGradientNorm ?? GradientClipping.globalNorm(parameters.map(\.gradient))
      let norm = summed * average
      gradientNorm = norm
      if clipNorm > 0 { scale *= GradientClipping.scale(norm: norm, maxNorm: clipNorm) }
    }
    self.step(parameters, learningRate: learningRate, gradientScale: scale)
    for parameter in parameters { parameter.zeroGradient() }
    return Update(learningRate: learningRate, gradientNorm: gradientNorm)
  }
}
