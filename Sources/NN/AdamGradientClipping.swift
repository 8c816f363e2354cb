import Tensors
import Autograd

/// Clipping by global gradient norm: when the L2 norm of all gradients together exceeds a
/// limit, every gradient is scaled down by the same factor, so the update keeps its direction.
///
/// The usual use folds the factor into the optimiser step instead of rewriting the gradients:
///
///     let norm = GradientClipping.globalNorm(parameters.map(\.gradient))
///     adam.step(parameters, learningRate: rate,
///               gradientScale: GradientClipping.scale(norm: norm, maxNorm: clipNorm))
public enum GradientClipping {
  /// The L2 norm of all `gradients` taken as one vector; nil entries count as zero.
  ///
  /// Sums squares in `SIMD16<Float>` lanes per tensor (a plain `Float` loop would not vectorise),
  /// then adds the tensors' sums in `Double`.
  public static func globalNorm(_ gradients: [Tensor?]) -> Float {
    var total: Double = 0
    for case let gradient? in gradients {
      total += gradient.withUnsafeBufferPointer { sumOfSquares($0) }
    }
    return Float(total.squareRoot())
  }

  /// The factor that brings a gradient of L2 norm `norm` down to `maxNorm`: 1 when it is
  /// already within the limit or when `maxNorm` is 0 (clipping off).
  public static func scale(norm: Float, maxNorm: Float) -> Float {
    guard maxNorm > 0, norm > maxNorm else { return 1 }
    return maxNorm / norm
  }

  /// Scales `gradients` in place so that their global norm is at most `maxNorm` (0 turns
  /// clipping off) and returns the norm they had before.
  @discardableResult
  public static func clip(_ gradients: inout [Tensor], maxNorm: Float) -> Float {
    let norm = globalNorm(gradients)
    let factor = scale(norm: norm, maxNorm: maxNorm)
    if factor != 1 {
      for index in gradients.indices {
        gradients[index].withUnsafeMutableBufferPointer { elements in
          for i in elements.indices { elements[i] *= factor }
        }
      }
    }
    return norm
  }

  /// Σ x² over `elements`, accumulated in four SIMD16 registers to hide the add latency.
  private static func sumOfSquares(_ elements: UnsafeBufferPointer<Float>) -> Double {
    guard let base = elements.baseAddress else { return 0 }
    let raw = UnsafeRawPointer(base)
    let count = elements.count
    var sums = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
    var i = 0
    while i + 64 <= count {
      let stride = MemoryLayout<Float>.stride
      let a = raw.loadUnaligned(fromByteOffset: i * stride, as: SIMD16<Float>.self)
      let b = raw.loadUnaligned(fromByteOffset: (i + 16) * stride, as: SIMD16<Float>.self)
      let c = raw.loadUnaligned(fromByteOffset: (i + 32) * stride, as: SIMD16<Float>.self)
      let d = raw.loadUnaligned(fromByteOffset: (i + 48) * stride, as: SIMD16<Float>.self)
      sums.0 += a * a
      sums.1 += b * b
      sums.2 += c * c
      sums.3 += d * d
      i += 64
    }
    var total = Double(((sums.0 + sums.1) + (sums.2 + sums.3)).sum())
    while i < count {
      total += Double(base[i]) * Double(base[i])
      i += 1
    }
    return total
  }
}
