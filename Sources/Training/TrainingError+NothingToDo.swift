extension TrainingError {
  /// `nothing to do: the run in 'runs/toy' is at step 1000: reached training.max_steps (1000);
  /// raise training.max_steps to train longer, as in --set training.max_steps=2000`
  static func nothingToDoMessage(directory: String, step: Int, reason: TrainingStopReason)
    -> String
  {
    let state: String
    let key: String
    let larger: String
    switch reason {
    case .maxSteps(let steps):
      state = step > steps ? "beyond training.max_steps (\(steps))" : "\(reason)"
      key = "training.max_steps"
      larger = "\(doubled(max(step, steps)))"
    case .maxEpochs(let epochs):
      (state, key, larger) = ("\(reason)", "training.max_epochs", "\(doubled(epochs))")
    case .maxTime(let minutes):
      (state, key, larger) = (
        "\(reason)", "training.max_time_minutes", TrainingFormat.number(2 * minutes)
      )
    case .patience(let count):
      (state, key, larger) = ("\(reason)", "training.patience", "\(doubled(count))")
    case .interrupted:
      (state, key, larger) = ("\(reason)", "training.max_steps", "\(doubled(step))")
    }
    return "nothing to do: the run in '\(directory)' is at step \(step), \(state); raise \(key) "
      + "to train longer, as in --set \(key)=\(larger)"
  }

  /// Twice `value`, or Int.max past it: the suggestion must not trap on a huge count.
  private static func doubled(_ value: Int) -> Int {
    let (result, overflow) = value.multipliedReportingOverflow(by: 2)
    return overflow ? .max : result
  }
}
