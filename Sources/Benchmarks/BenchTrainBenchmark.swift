import Autograd
import Foundation
import NN
import Support
import Tensors

/// Times full training steps of a Transformer on one fixed synthetic batch: forward with the
/// label-smoothed loss, backward, and the Adam update, each phase timed on its own.
///
/// The batch is `batchSize` pairs of `sourceLength` source and `targetLength` target ids drawn
/// uniformly from the non-special ids (4 ..< V), with no padding, so every step does the same
/// work; dropout is on, as in training.
public struct BenchTrainBenchmark {
  /// The model size.
  public var preset: BenchTrainPreset
  /// Timed steps; the medians are taken over these.
  public var steps = 10
  /// Untimed steps first (page faults, scratch buffers, the thread pool, Adam's moments).
  public var warmUpSteps = 3
  /// B: sentence pairs per batch.
  public var batchSize = 64
  /// S.
  public var sourceLength = 24
  /// T.
  public var targetLength = 24
  /// Seeds the weights, the batch and dropout.
  public var seed: UInt64 = 0x5EED
  /// Whether the timed steps also time each shape of matrix product (`MatmulTally.profile`).
  public var profilesProducts = false

  /// A benchmark of `preset` timing `steps` steps; the other settings keep their defaults.
  public init(preset: BenchTrainPreset, steps: Int = 10) {
    self.preset = preset
    self.steps = steps
  }

  /// Builds the model and the batch, runs the warm-up steps, then times `steps` steps.
  public func measure() -> BenchTrainMeasurement {
    let model = Transformer(configuration: preset.configuration, seed: seed)
    let batch = syntheticBatch(vocabularySize: preset.configuration.vocabularySize)
    let parameters = model.parameters
    var adam = Adam(parameters: parameters)
    // A constant 1e-4: the rate does not change the work, and the PyTorch script uses none.
    let schedule = LearningRateSchedule.inverseSquareRoot(peak: 1e-4, warmupSteps: 0)
    let clock = ContinuousClock()

    func step() -> BenchTrainMeasurement.Step {
      var loss: Variable! = nil
      let tape = Tape()
      let forward = clock.measure {
        loss = tape.record {
          model.loss(
            sourceIDs: batch.sourceIDs, targetInputIDs: batch.targetInputIDs,
            targetOutputIDs: batch.targetOutputIDs, sourceLengths: batch.sourceLengths,
            targetLengths: batch.targetLengths, labelSmoothing: 0.1
          ).loss
        }
      }
      let backward = clock.measure { tape.backward(from: loss) }
      let update = clock.measure {
        _ = adam.update(parameters, step: 1, schedule: schedule, clipNorm: 0)
      }
      return .init(
        forwardSeconds: forward.seconds, backwardSeconds: backward.seconds,
        adamSeconds: update.seconds, loss: loss.value[flat: 0])
    }

    // Every step runs the same products; the last warm-up step counts them.
    for _ in 0..<warmUpSteps - 1 { _ = step() }
    let multiplyAdds = MatmulTally.count { step() }.multiplyAdds
    var products: [ProductTime]? = nil
    let timed: [BenchTrainMeasurement.Step]
    if profilesProducts {
      let profile = MatmulTally.profile { (0..<steps).map { _ in step() } }
      timed = profile.result
      products = ProductTime.list(profile.products, units: steps)
    } else {
      timed = (0..<steps).map { _ in step() }
    }
    // After the steps, so that the peak loop does not warm or heat the steps it is compared with.
    let peak = FMAPeakBenchmark(threads: Parallel.threadCount).measure()
    return BenchTrainMeasurement(
      preset: preset, threads: Parallel.threadCount, parameterCount: model.parameterCount,
      targetTokens: batchSize * targetLength, steps: timed,
      peakResidentMegabytes: ProcessMemory.peakResidentMegabytes(),
      matmulMultiplyAdds: multiplyAdds, peakGFLOPS: peak.gflops, products: products)
  }

  /// Source, target input and target output ids `[B, S]` and `[B, T]`, no padding.
  public func syntheticBatch(vocabularySize: Int) -> (
    sourceIDs: [Int], targetInputIDs: [Int], targetOutputIDs: [Int], sourceLengths: [Int],
    targetLengths: [Int]
  ) {
    var generator = RandomGenerator(seed: seed)
    let firstOrdinary = min(4, vocabularySize - 1)
    func ids(_ count: Int) -> [Int] {
      (0..<count).map { _ in Int.random(in: firstOrdinary..<vocabularySize, using: &generator) }
    }
    let source = ids(batchSize * sourceLength)
    let target = ids(batchSize * targetLength)
    // The decoder reads <s> y1 … and predicts y1 … </s>: the output is the input shifted left.
    var input = target
    for row in 0..<batchSize {
      input.insert(1, at: row * targetLength)
      input.remove(at: row * targetLength + targetLength)
    }
    return (
      source, input, target, Array(repeating: sourceLength, count: batchSize),
      Array(repeating: targetLength, count: batchSize)
    )
  }
}

extension Duration {
  /// The duration in seconds.
  fileprivate var seconds: Double {
    Double(components.seconds) + Double(components.attoseconds) * 1e-18
  }
}
