import Autograd
import XCTest

@testable import NN

/// The memory-efficient attention kernel trains the whole model as the standard one does.
final class AttentionKernelTrainingTests: XCTestCase {
  /// Ten Adam steps of the same seeded model on one padded batch with each kernel; the losses
  /// agree within 1e-4 (the kernels differ only in the order of float additions).
  func testMemoryEfficientTrainingFollowsStandardLosses() {
    compareKernels(positions: .sinusoidal, keyValueHeads: nil)
  }

  /// The same for every position variant with grouped (2 of 4) and shared (1) key/value heads:
  /// RoPE, ALiBi and GQA go through both kernels the same way.
  func testMemoryEfficientTrainingFollowsStandardLossesForEveryVariant() {
    for positions in TransformerConfiguration.Positions.allCases {
      compareKernels(positions: positions, keyValueHeads: positions == .alibi ? 1 : 2)
    }
  }

  private func compareKernels(
    positions: TransformerConfiguration.Positions, keyValueHeads: Int?
  ) {
    func losses(_ attention: AttentionImplementation) -> [Float] {
      let configuration = TransformerConfiguration(
        encoderLayerCount: 2, decoderLayerCount: 2, modelWidth: 16, headCount: 4,
        feedForwardWidth: 32, vocabularySize: 23, dropout: 0, norm: .pre,
        maxPositions: 16, attention: attention, positions: positions,
        keyValueHeadCount: keyValueHeads)
      let model = Transformer(configuration: configuration, seed: 11)
      let parameters = model.parameters
      var adam = Adam(parameters: parameters)
      let schedule = LearningRateSchedule.inverseSquareRoot(peak: 3e-3, warmupSteps: 4)
      var result: [Float] = []
      for step in 1...10 {
        let tape = Tape()
        let loss = tape.record {
          model.loss(
            sourceIDs: [5, 9, 12, 7, 2, 14, 6, 2, 0, 0], targetInputIDs: [1, 4, 8, 9, 1, 6, 0, 0],
            targetOutputIDs: [4, 8, 9, 2, 6, 2, 0, 0], sourceLengths: [5, 3],
            targetLengths: [4, 2], labelSmoothing: 0.1
          ).loss
        }
        loss.backward()
        result.append(loss.value[flat: 0])
        _ = adam.update(parameters, step: step, schedule: schedule, clipNorm: 1)
      }
      return result
    }
    let standard = losses(.standard)
    let memoryEfficient = losses(.memoryEfficient)
    XCTAssertLessThan(
      standard.last!, standard.first! - 0.1, "\(positions): the model learns: \(standard)")
    for (a, b) in zip(standard, memoryEfficient) {
      XCTAssertEqual(a, b, accuracy: 1e-4, "\(positions): \(standard) against \(memoryEfficient)")
    }
  }
}
