/// What stops a run of several processes before it trains.
public enum DistributedError: Error, Equatable, CustomStringConvertible {
  /// Ranks differ from rank 0 in `what` (the build, the config).
  case mismatch(what: String, ranks: [Int])

  /// One line, saying what to do.
  public var description: String {
    switch self {
    case .mismatch(let what, let ranks):
      let names = ranks.map(String.init).joined(separator: ", ")
      return "rank\(ranks.count == 1 ? "" : "s") \(names) run\(ranks.count == 1 ? "s" : "") "
        + "another \(what) than rank 0; start every rank with the same executable and config"
    }
  }
}
