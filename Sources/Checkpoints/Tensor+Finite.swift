import Tensors

extension Tensor {
  /// The first element that is NaN or ±∞, with its index, or nil when every element is finite.
  ///
  /// One pass over the exponent bits (all ones only for NaN and ±∞), an integer maximum the
  /// compiler vectorises, so checking a loaded checkpoint costs little beside reading it.
  public var firstNonFinite: (index: Int, value: Float)? {
    withUnsafeBufferPointer { elements in
      elements.withMemoryRebound(to: UInt32.self) { bits in
        let exponent: UInt32 = 0x7F80_0000
        var largest: UInt32 = 0
        for word in bits { largest = Swift.max(largest, word & exponent) }
        guard largest == exponent else { return nil }
        let index = bits.firstIndex { $0 & exponent == exponent }!
        return (index, elements[index])
      }
    }
  }
}
