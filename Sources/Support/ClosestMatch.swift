/// Finds the valid name a user most likely meant, for `Did you mean '…'?` hints on the command
/// line and `(did you mean "max_steps"?)` hints in configs.
public enum ClosestMatch {
  /// The candidate closest to `input`, or nil when none is close enough to be a plausible typo.
  ///
  /// A candidate is close when its edit distance is at most a third of the input's length (so
  /// `-x` is close to nothing, while `bnech` may be one edit off) or at most `minimumLimit`, or
  /// when the input is a prefix of exactly one candidate (`--rep` → `--repeats`). Ties go to the
  /// earlier candidate, so list candidates in help order.
  public static func suggestion(
    for input: String, among candidates: [String], minimumLimit: Int = 0
  ) -> String? {
    guard !input.isEmpty else { return nil }
    let limit = max(minimumLimit, input.count / 3)
    var best: (candidate: String, distance: Int)? = nil
    for candidate in candidates where candidate != input {
      let distance = editDistance(input, candidate)
      if distance <= limit, distance < (best?.distance ?? Int.max) {
        best = (candidate, distance)
      }
    }
    if let best { return best.candidate }
    let extensions = candidates.filter { $0.hasPrefix(input) && $0 != input }
    return extensions.count == 1 ? extensions[0] : nil
  }

  /// The optimal-string-alignment distance: insertions, deletions, substitutions and swaps of
  /// two neighbouring characters each cost 1, so `bnech` is one edit from `bench`.
  public static func editDistance(_ source: String, _ target: String) -> Int {
    let a = Array(source)
    let b = Array(target)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    // Three rolling rows of the dynamic-programming table: the swap looks two rows back.
    var previousPrevious = [Int](repeating: 0, count: b.count + 1)
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
      current[0] = i
      for j in 1...b.count {
        let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
        var distance = min(previous[j] + 1, current[j - 1] + 1, substitution)
        if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
          distance = min(distance, previousPrevious[j - 2] + 1)
        }
        current[j] = distance
      }
      (previousPrevious, previous, current) = (previous, current, previousPrevious)
    }
    return previous[b.count]
  }
}
