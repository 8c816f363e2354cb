/// Overflow-checked byte counts for the up-front memory checks (the benchmarks', the attention
/// kernels'): a size typed by hand (`--length 9223372036854775807`) must be refused, not wrap
/// around to a small or negative count that the allocation then traps on.
public enum MemoryEstimate {
  /// The product of `factors`, or nil when it overflows `Int`.
  public static func product(_ factors: Int...) -> Int? {
    var result = 1
    for factor in factors {
      let (next, overflow) = result.multipliedReportingOverflow(by: factor)
      if overflow { return nil }
      result = next
    }
    return result
  }

  /// The sum of `terms`, or nil when one is nil or the sum overflows `Int`.
  public static func sum(_ terms: Int?...) -> Int? {
    var result = 0
    for term in terms {
      guard let term else { return nil }
      let (next, overflow) = result.addingReportingOverflow(term)
      if overflow { return nil }
      result = next
    }
    return result
  }
}
