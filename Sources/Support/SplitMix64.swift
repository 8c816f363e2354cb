/// SplitMix64 (Steele, Lea and Flood, "Fast Splittable Pseudorandom Number Generators", 2014):
/// the project's one statement of it. It shuffles the corpus, seeds `RandomGenerator`
/// (xoshiro256**) and the counter-based hash behind dropout masks, and draws benchmark operands.
///
/// Batching owns its generator, rather than using the standard library's `shuffle(using:)`,
/// whose algorithm may change between Swift releases: a training run must see the same batches
/// in the same order on every machine, or resuming would not be exact.
public struct SplitMix64: RandomNumberGenerator, Sendable {
  private var state: UInt64

  /// A generator whose sequence is fixed by `seed`.
  public init(seed: UInt64) {
    state = seed
  }

  /// An independent generator for one `stream` (an epoch) of a run seeded with `seed`.
  public init(seed: UInt64, stream: UInt64) {
    var mixer = SplitMix64(seed: seed)
    // Mixing the stream through the generator's output function keeps nearby epochs apart.
    state = mixer.next() ^ (stream &* 0xD1B5_4A32_D192_ED03)
    state = next()
  }

  /// The next 64 random bits.
  public mutating func next() -> UInt64 {
    Self.step(&state)
  }

  /// One SplitMix64 step on a bare state: advances `x` by the golden-ratio increment and
  /// returns its mixed output.
  @inlinable @inline(__always)
  public static func step(_ x: inout UInt64) -> UInt64 {
    x &+= 0x9E37_79B9_7F4A_7C15
    var z = x
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A uniform integer in `0..<bound` without modulo bias (Lemire, "Fast Random Integer
  /// Generation in an Interval", 2019). `bound` must be positive.
  public mutating func next(below bound: Int) -> Int {
    precondition(bound > 0, "SplitMix64.next(below:): bound \(bound) must be positive")
    let range = UInt64(bound)
    var product = next().multipliedFullWidth(by: range)
    if product.low < range {
      let threshold = (0 &- range) % range
      while product.low < threshold { product = next().multipliedFullWidth(by: range) }
    }
    return Int(product.high)
  }

  /// Shuffles `elements` in place (Fisher–Yates, from the back).
  public mutating func shuffle<Element>(_ elements: inout [Element]) {
    guard elements.count > 1 else { return }
    for index in stride(from: elements.count - 1, to: 0, by: -1) {
      elements.swapAt(index, next(below: index + 1))
    }
  }
}
