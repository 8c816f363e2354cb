import Tensors

/// Compares the gradients backward computes with central finite differences.
///
/// The checked function's output `y` is reduced to the scalar `L = Σ yᵢ·rᵢ` with fixed random
/// weights `r` (a random projection), so that every output element contributes and a pullback
/// that mishandles any of them shows. The analytic gradient is backward seeded with `r`; the
/// numeric one perturbs each input element by ±h and ±h/2 and combines the two central
/// differences by Richardson extrapolation,
///
///     D(h) = (L(x + h) − L(x − h)) / 2h,      dL/dx ≈ (4·D(h/2) − D(h)) / 3,
///
/// whose truncation error is O(h⁴). `L` is summed in Double, so the only rounding is Float32's
/// inside the forward pass; with h = 1e-2 that noise is ~1e-5 of the output's scale. An element
/// passes when `|analytic − numeric| ≤ absoluteTolerance·scale + relativeTolerance·|numeric|`,
/// `scale` being the largest numeric gradient of that input (at least `minimumScale`).
///
/// The tests prove this is strict enough: a wrong sign, a missing term of a pullback and a
/// transposed gradient are each rejected while the correct gradient passes.
public struct GradientCheck {
  /// The finite-difference step h.
  public var step: Float = 1e-2
  /// The allowed error relative to each element's numeric gradient.
  public var relativeTolerance: Double = 1e-2
  /// The allowed error relative to the input's largest numeric gradient.
  public var absoluteTolerance: Double = 1e-3
  /// The floor of `scale`, so that an input whose gradient is all but zero is not held to an
  /// impossible absolute tolerance.
  public var minimumScale: Double = 1e-3
  /// Seeds the projection weights.
  public var seed: UInt64 = 0x5EED

  /// A checker with the default step and tolerances.
  public init() {}

  /// A checker with the given step and tolerances.
  public init(
    step: Float = 1e-2, relativeTolerance: Double = 1e-2, absoluteTolerance: Double = 1e-3,
    seed: UInt64 = 0x5EED
  ) {
    self.step = step
    self.relativeTolerance = relativeTolerance
    self.absoluteTolerance = absoluteTolerance
    self.seed = seed
  }

  /// The comparison for one input.
  public struct InputReport: CustomStringConvertible {
    /// The input's name, or its position when unnamed.
    public var name: String
    /// backward's gradient and the finite-difference gradient, flattened.
    public var analytic: [Double], numeric: [Double]
    /// The flat index of the worst element and its error as a multiple of its tolerance.
    public var worstIndex: Int, worstRatio: Double
    /// Whether every element is within tolerance.
    public var passed: Bool { worstRatio <= 1 }

    public var description: String {
      guard !analytic.isEmpty else { return "\(name): empty" }
      return "\(name): \(passed ? "ok" : "FAILED"), worst element \(worstIndex) "
        + "analytic \(analytic[worstIndex]) numeric \(numeric[worstIndex]) "
        + "(error \(String(format: "%.3g", worstRatio))× tolerance)"
    }
  }

  /// The comparison for every input.
  public struct Report: CustomStringConvertible {
    /// One entry per checked input, in the order given.
    public var inputs: [InputReport]
    /// Whether every input passed.
    public var passed: Bool { inputs.allSatisfy(\.passed) }
    /// The worst error of any input, as a multiple of its tolerance.
    public var worstRatio: Double { inputs.map(\.worstRatio).max() ?? 0 }

    public var description: String { inputs.map(\.description).joined(separator: "\n") }
  }

  /// Checks the gradient of `function` with respect to each of `inputs`.
  ///
  /// - Parameters:
  ///   - inputs: leaves with `requiresGradient`; their values are perturbed in place and
  ///     restored, and their gradients are nil before and after the check.
  ///   - function: builds the output from `inputs` with recorded operations. It is called once
  ///     recording and then once per perturbation without recording, so it must be
  ///     deterministic (seed any dropout afresh inside it).
  public func check(_ inputs: [Variable], _ function: () -> Variable) -> Report {
    for input in inputs {
      precondition(
        input.requiresGradient && !input.isIntermediate,
        "GradientCheck: input \(input.name) must be a leaf that requires a gradient")
      input.zeroGradient()
    }
    let tape = Tape()
    let output = tape.record(function)
    let projection = GradientCheck.projection(shape: output.shape, seed: seed)
    tape.backward(from: output, seed: projection)

    let weights = projection.scalars.map(Double.init)
    func loss() -> Double {
      let y = Tape.withoutRecording(function).value
      return y.withUnsafeBufferPointer { values in
        var sum = 0.0
        for i in values.indices { sum += Double(values[i]) * weights[i] }
        return sum
      }
    }

    var reports: [InputReport] = []
    for (position, input) in inputs.enumerated() {
      let analytic = (input.gradient?.scalars ?? [Float](repeating: 0, count: input.count))
        .map(Double.init)
      var numeric = [Double](repeating: 0, count: input.count)
      let h = step
      for i in 0..<input.count {
        let original = input.value[flat: i]
        func centralDifference(_ h: Float) -> Double {
          input.value[flat: i] = original + h
          let plus = loss()
          input.value[flat: i] = original - h
          let minus = loss()
          // The step actually taken, after rounding x ± h to Float.
          let taken = Double(original + h) - Double(original - h)
          return (plus - minus) / taken
        }
        let coarse = centralDifference(h)
        let fine = centralDifference(h / 2)
        input.value[flat: i] = original
        numeric[i] = (4 * fine - coarse) / 3
      }
      let scale = max(numeric.map(abs).max() ?? 0, minimumScale)
      var worstIndex = 0
      var worstRatio = 0.0
      for i in 0..<input.count {
        let tolerance = absoluteTolerance * scale + relativeTolerance * abs(numeric[i])
        let ratio = abs(analytic[i] - numeric[i]) / tolerance
        if ratio > worstRatio || ratio.isNaN {
          worstRatio = ratio.isNaN ? .infinity : ratio
          worstIndex = i
        }
      }
      input.zeroGradient()
      reports.append(
        InputReport(
          name: input.name.isEmpty ? "input \(position)" : input.name,
          analytic: analytic, numeric: numeric, worstIndex: worstIndex, worstRatio: worstRatio))
    }
    return Report(inputs: reports)
  }

  /// Fixed random weights in [-1, 1) of `shape`, the same for the same seed.
  static func projection(shape: [Int], seed: UInt64) -> Tensor {
    var generator = RandomGenerator(seed: seed)
    var weights = Tensor(uninitializedShape: shape)
    weights.withUnsafeMutableBufferPointer { buffer in
      for i in buffer.indices { buffer[i] = 2 * generator.nextUniform() - 1 }
    }
    return weights
  }
}
