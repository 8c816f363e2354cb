// The SIMD building blocks shared by the element-wise, activation, softmax, layer-norm and loss
// kernels: unaligned 16-lane loads and stores, tails, horizontal reductions, and vectorised
// `exp` and `erfc`.
//
// Why these are written out by hand: Swift's generic SIMD conveniences (`rounded(_:)`,
// `clamped(lowerBound:upperBound:)`, `pointwiseMax`, integer ↔ float conversions, comparing an
// integer vector with a scalar) compile to per-lane loops or calls, which makes a kernel 10–100×
// slower. Everything here uses only lane-wise arithmetic, `addingProduct` (FMA), float
// comparisons, `replacing(with:where:)` and bit casts, which the compiler lowers to AVX.
//
// `exp`, `erfcNonNegative` and `normalCDF` are `@_transparent` rather than `@inline(__always)`:
// release builds compile the module's files into separate LLVM modules (`-num-threads`), and the
// SIL inliner declined to inline these larger bodies into some callers in other files; a call
// passes SIMD16 through four xmm registers and cost a 2–3× slowdown of softmax and the loss.

/// Lane-wise helpers on `SIMD16<Float>` for the kernels in this module.
enum VectorMath {
  /// The lane count every kernel steps by.
  static let width = 16

  /// Loads 16 floats starting at `p + offset`; no alignment needed.
  @inline(__always)
  static func load(_ p: UnsafePointer<Float>, _ offset: Int) -> SIMD16<Float> {
    UnsafeRawPointer(p + offset).loadUnaligned(as: SIMD16<Float>.self)
  }

  /// Loads 16 floats starting at `p + offset`; no alignment needed.
  @inline(__always)
  static func load(_ p: UnsafeMutablePointer<Float>, _ offset: Int) -> SIMD16<Float> {
    UnsafeRawPointer(p + offset).loadUnaligned(as: SIMD16<Float>.self)
  }

  /// Stores 16 floats starting at `p + offset`; no alignment needed.
  @inline(__always)
  static func store(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>, _ offset: Int) {
    UnsafeMutableRawPointer(p + offset).storeBytes(of: v, as: SIMD16<Float>.self)
  }

  /// Loads the `count` (< 16) floats at `p + offset` into the low lanes; the others are `fill`.
  @inline(__always)
  static func loadPartial(
    _ p: UnsafePointer<Float>, _ offset: Int, count: Int, fill: Float = 0
  ) -> SIMD16<Float> {
    var v = SIMD16<Float>(repeating: fill)
    var lane = 0
    if count >= 8 {
      // One 8-wide load for the first half: a 24-key attention row's tail is exactly this.
      v.lowHalf = UnsafeRawPointer(p + offset).loadUnaligned(as: SIMD8<Float>.self)
      lane = 8
    }
    while lane < count {
      v[lane] = p[offset + lane]
      lane += 1
    }
    return v
  }

  /// Stores the low `count` (< 16) lanes of `v` at `p + offset`.
  @inline(__always)
  static func storePartial(
    _ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>, _ offset: Int, count: Int
  ) {
    var lane = 0
    if count >= 8 {
      UnsafeMutableRawPointer(p + offset).storeBytes(of: v.lowHalf, as: SIMD8<Float>.self)
      lane = 8
    }
    while lane < count {
      p[offset + lane] = v[lane]
      lane += 1
    }
  }

  /// Loads `count` (1…16) floats at `p + offset`: a full load when 16, else a partial one
  /// with the other lanes `fill`.
  @inline(__always)
  static func load(_ p: UnsafePointer<Float>, _ offset: Int, count: Int, fill: Float = 0) -> SIMD16<
    Float
  > {
    count == 16 ? load(p, offset) : loadPartial(p, offset, count: count, fill: fill)
  }

  /// Stores the low `count` (1…16) lanes of `v` at `p + offset`.
  @inline(__always)
  static func store(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>, _ offset: Int, count: Int)
  {
    if count == 16 { store(v, p, offset) } else { storePartial(v, p, offset, count: count) }
  }

  /// The lanes at or past `count` (0…16): the unused lanes of a partial vector of `count` elements.
  ///
  /// Compares two vectors: comparing a `SIMD16<Int32>` with a scalar compiles to a per-lane loop
  /// through memory, 100× slower.
  @inline(__always)
  static func lanesPast(_ count: Int) -> SIMDMask<SIMD16<Int32>> {
    SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
      .>= SIMD16<Int32>(repeating: Int32(truncatingIfNeeded: count))
  }

  /// The lane-wise maximum. Swift's `pointwiseMax` compiles to a per-lane loop through memory
  /// (it implements IEEE maxNum's NaN rules lane by lane); this is one compare and one blend.
  @inline(__always)
  static func maximum(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> {
    a.replacing(with: b, where: b .> a)
  }

  /// The largest lane.
  @inline(__always)
  static func horizontalMax(_ v: SIMD16<Float>) -> Float {
    let a = v.lowHalf.replacing(with: v.highHalf, where: v.highHalf .> v.lowHalf)
    let b = a.lowHalf.replacing(with: a.highHalf, where: a.highHalf .> a.lowHalf)
    let c = b.lowHalf.replacing(with: b.highHalf, where: b.highHalf .> b.lowHalf)
    return Swift.max(c[0], c[1])
  }

  /// `e^x` lane-wise, to within one ulp for x in [-87.3, 88.3].
  ///
  /// Inputs above 88.3 are clamped there (the result is ~2.2e38, never `inf`); inputs below
  /// -87.33 (including `-inf`) give exactly 0. `NaN` lanes give unspecified values, so
  /// callers must not pass them. The method is Cephes `expf`: x = n·ln2 + r with |r| ≤ ln2/2,
  /// a degree-6 polynomial for e^r, and 2^n built in the exponent bits.
  @_transparent
  static func exp(_ x: SIMD16<Float>) -> SIMD16<Float> {
    let low = SIMD16<Float>(repeating: -87.33654)
    let high = SIMD16<Float>(repeating: 88.37626)
    var c = x.replacing(with: low, where: x .< low)
    c.replace(with: high, where: c .> high)
    // Adding 1.5·2²³ rounds c·log₂e to the nearest integer and leaves that integer in the low
    // mantissa bits, avoiding the (scalarised) generic float → int conversion.
    let magic = SIMD16<Float>(repeating: 12_582_912)
    let shifted = c * 1.442_695_04 + magic
    let n = shifted - magic
    // r = c − n·ln2 in two steps (Cody–Waite): the first constant has few bits, so n times it
    // is exact and r keeps its low bits. Separate multiplies and adds, as Cephes writes them:
    // on SIMD16 they compile to whole-vector instructions, while `addingProduct` inside this
    // polynomial was rebuilt lane by lane, some lanes as chains of scalar `vfmadd213ss`, the
    // slowest part of the log-softmax (`perf annotate`).
    var r = c - n * 0.693_359_375
    r = r + n * 2.121_944_4e-4
    var p = SIMD16<Float>(repeating: 1.987_569_15e-4)
    p = p * r + 1.398_199_950_7e-3
    p = p * r + 8.333_451_907_3e-3
    p = p * r + 4.166_579_589_4e-2
    p = p * r + 1.666_666_545_9e-1
    p = p * r + 5.000_000_120_1e-1
    let er = p * (r * r) + r + 1
    let exponent =
      unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- unsafeBitCast(magic, to: SIMD16<Int32>.self)
    let twoToN = unsafeBitCast((exponent &+ 127) &<< 23, to: SIMD16<Float>.self)
    return (er * twoToN).replacing(with: 0, where: x .< low)
  }

  /// The complementary error function `erfc(z)` for z ≥ 0, lane-wise, with relative error about
  /// 1e-6 + 1e-7·z² (the second term is the Float rounding of z² in the exponent), so tails like
  /// erfc(5) ≈ 1.5e-12 keep their precision rather than rounding to 0.
  ///
  /// Numerical Recipes' `erfcc` (Chebyshev fit): erfc(z) = t·exp(−z² + P(t)), t = 1/(1 + z/2).
  @_transparent
  static func erfcNonNegative(_ z: SIMD16<Float>) -> SIMD16<Float> {
    let t = 1 / (1 + 0.5 * z)
    var p = SIMD16<Float>(repeating: 0.170_872_77)
    p = SIMD16(repeating: -0.822_152_23).addingProduct(p, t)
    p = SIMD16(repeating: 1.488_515_87).addingProduct(p, t)
    p = SIMD16(repeating: -1.135_203_98).addingProduct(p, t)
    p = SIMD16(repeating: 0.278_868_07).addingProduct(p, t)
    p = SIMD16(repeating: -0.186_288_06).addingProduct(p, t)
    p = SIMD16(repeating: 0.096_784_18).addingProduct(p, t)
    p = SIMD16(repeating: 0.374_091_96).addingProduct(p, t)
    p = SIMD16(repeating: 1.000_023_68).addingProduct(p, t)
    p = SIMD16(repeating: -1.265_512_23).addingProduct(p, t)
    return t * exp(p.addingProduct(-z, z))
  }

  /// The standard normal CDF Φ(x) = ½·erfc(−x/√2), lane-wise; accurate in relative terms in the
  /// left tail (Φ(−8) ≈ 6e-16 is not rounded to 0).
  @_transparent
  static func normalCDF(_ x: SIMD16<Float>) -> SIMD16<Float> {
    let z = x.replacing(with: -x, where: x .< 0) * 0.707_106_77
    let half = 0.5 * erfcNonNegative(z)
    return half.replacing(with: 1 - half, where: x .>= 0)
  }
}

extension VectorMath {
  /// Sum of the 16 lanes, in a fixed pairwise order.
  @inline(__always)
  static func horizontalSum(_ v: SIMD16<Float>) -> Float {
    let a = v.lowHalf + v.highHalf
    let b = a.lowHalf + a.highHalf
    let c = b.lowHalf + b.highHalf
    return c[0] + c[1]
  }

  /// Elements per thread below which an element-wise kernel stays on one thread: splitting
  /// memory-bound work smaller than this costs more in dispatch than it saves.
  static let elementwiseGrain = 1 << 15

  /// Runs `body` over `0..<count` split into contiguous ranges whose interior boundaries are
  /// multiples of 16, in parallel when each thread gets at least `grain` elements.
  @inline(__always)
  static func forEachRange(
    _ count: Int, grain: Int = elementwiseGrain, _ body: (Range<Int>) -> Void
  ) {
    let blocks = (count + width - 1) / width
    parallelForRanges(blocks, minimumPerThread: Swift.max(1, grain / width)) { blockRange in
      body(blockRange.lowerBound * width..<Swift.min(count, blockRange.upperBound * width))
    }
  }

  // The maps below call `op` from a single place, with a full or a partial vector, so that the
  // compiler inlines `op` (and any `exp` inside it) rather than calling it from two sites.

  /// `y[i] = op(x[i])` over `range`, 16 lanes at a time; `y` may be `x`.
  @inline(__always)
  static func map(
    _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ range: Range<Int>,
    _ op: (SIMD16<Float>) -> SIMD16<Float>
  ) {
    var i = range.lowerBound
    while i < range.upperBound {
      let lanes = Swift.min(width, range.upperBound - i)
      store(op(load(x, i, count: lanes)), y, i, count: lanes)
      i += width
    }
  }

  /// `y[i] = op(a[i], b[i])` over `range`.
  @inline(__always)
  static func map(
    _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
    _ range: Range<Int>, _ op: (SIMD16<Float>, SIMD16<Float>) -> SIMD16<Float>
  ) {
    var i = range.lowerBound
    while i < range.upperBound {
      let lanes = Swift.min(width, range.upperBound - i)
      store(op(load(a, i, count: lanes), load(b, i, count: lanes)), y, i, count: lanes)
      i += width
    }
  }

  /// `y[i] = op(a[i], b[i], c[i])` over `range` (`c` may be `y`, for accumulation).
  @inline(__always)
  static func map(
    _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>,
    _ y: UnsafeMutablePointer<Float>, _ range: Range<Int>,
    _ op: (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>) -> SIMD16<Float>
  ) {
    var i = range.lowerBound
    while i < range.upperBound {
      let lanes = Swift.min(width, range.upperBound - i)
      store(
        op(load(a, i, count: lanes), load(b, i, count: lanes), load(c, i, count: lanes)), y, i,
        count: lanes)
      i += width
    }
  }

  /// `y[i] = op(a[i], b[i], c[i], d[i])` over `range` (`d` may be `y`, for accumulation).
  @inline(__always)
  static func map(
    _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>,
    _ d: UnsafePointer<Float>,
    _ y: UnsafeMutablePointer<Float>, _ range: Range<Int>,
    _ op: (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>) -> SIMD16<Float>
  ) {
    var i = range.lowerBound
    while i < range.upperBound {
      let lanes = Swift.min(width, range.upperBound - i)
      let v = op(
        load(a, i, count: lanes), load(b, i, count: lanes), load(c, i, count: lanes),
        load(d, i, count: lanes))
      store(v, y, i, count: lanes)
      i += width
    }
  }

  /// Σ over `range` of `term(v, lanes)`, v the next (up to) 16 elements of `x` (unused lanes 0)
  /// and `lanes` how many of them are real: one 16-lane accumulator, then a fixed-order
  /// horizontal sum. `term` must map unused lanes to 0 (use `lanesPast(lanes)`).
  @inline(__always)
  static func sum(
    _ x: UnsafePointer<Float>, _ range: Range<Int>, _ term: (SIMD16<Float>, Int) -> SIMD16<Float>
  ) -> Float {
    var total = SIMD16<Float>()
    var i = range.lowerBound
    while i < range.upperBound {
      let lanes = Swift.min(width, range.upperBound - i)
      total += term(load(x, i, count: lanes), lanes)
      i += width
    }
    return horizontalSum(total)
  }
}

/// Stops the program with `message` when `condition` is false, in every build configuration.
///
/// The Tensors target is compiled with `-Ounchecked`, which removes `precondition`; the shape and
/// index checks that guard raw memory use this instead, so a wrong shape traps instead of
/// corrupting memory. The check is O(rank) or O(ids), never per element.
@inline(__always)
func kernelPrecondition(_ condition: Bool, _ message: @autoclosure () -> String) {
  if !condition { fatalError(message()) }
}
