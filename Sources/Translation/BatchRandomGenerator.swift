/// The small seeded random generator behind corpus shuffling: SplitMix64 (Steele, Lea and
/// Flood, "Fast Splittable Pseudorandom Number Generators", 2014).
///
/// Batching owns its generator, rather than using the standard library's `shuffle(using:)`,
/// whose algorithm may change between Swift releases: a training run must see the same batches
/// in the same order on every machine, or resuming would not be exact.
struct BatchRandomGenerator: RandomNumberGenerator, Sendable {
  private var state: UInt64

  /// A generator whose sequence is fixed by `seed`.
  init(seed: UInt64) {
    state = seed
  }

  /// An independent generator for one `stream` (an epoch) of a run seeded with `seed`.
  init(seed: UInt64, stream: UInt64) {
    var mixer = BatchRandomGenerator(seed: seed)
    // Mixing the stream through the generator's output function keeps nearby epochs apart.
    state = mixer.next() ^ (stream &* 0xD1B5_4A32_D192_ED03)
    state = next()
  }

  /// The next 64 random bits.
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A uniform integer in `0..<bound` without modulo bias (Lemire, "Fast Random Integer
  /// Generation in an Interval", 2019). `bound` must be positive.
  mutating func next(below bound: Int) -> Int {
    precondition(bound > 0, "BatchRandomGenerator.next(below:): bound \(bound) must be positive")
    let range = UInt64(bound)
    var product = next().multipliedFullWidth(by: range)
    if product.low < range {
      let threshold = (0 &- range) % range
      while product.low < threshold { product = next().multipliedFullWidth(by: range) }
    }
    return Int(product.high)
  }

  /// Shuffles `elements` in place (Fisher–Yates, from the back).
  mutating func shuffle<Element>(_ elements: inout [Element]) {
    guard elements.count > 1 else { return }
    for index in stride(from: elements.count - 1, to: 0, by: -1) {
      elements.swapAt(index, next(below: index + 1))
    }
  }
}
