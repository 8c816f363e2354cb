import XCTest

@testable import Autograd
@testable import Tensors

/// The `[B, H, T, S]` matrices a stack of standard attention ops really holds at its peak in
/// training, against `StandardAttentionMemory.trainingMatrixCount`, which `train` uses to
/// refuse a run that cannot fit.
final class AttentionMemoryPeakTests: XCTestCase {
  private func peakMatrices(operations: Int, dropout: Bool) -> Double {
    let (batch, heads, length, headSize) = (1, 4, 256, 4)  // one matrix: 1 MiB; q, k, v: 16 KiB
    var generator = RandomGenerator(seed: 5)
    let shape = [batch, heads, length, headSize]
    let query = Variable(
      Tensor.uniform(shape: shape, low: -1, high: 1, using: &generator), requiresGradient: true)
    let key = Variable(
      Tensor.uniform(shape: shape, low: -1, high: 1, using: &generator), requiresGradient: true)
    let value = Variable(
      Tensor.uniform(shape: shape, low: -1, high: 1, using: &generator), requiresGradient: true)
    let before = TensorMemory.liveBytes
    TensorMemory.resetPeak()
    let tape = Tape()
    let output = tape.record { () -> Variable in
      var x = query
      for _ in 0..<operations {
        x =
          dropout
          ? attention(
            query: x, key: key, value: value, mask: .none, dropout: 0.1, using: &generator)
          : attention(query: x, key: key, value: value, mask: .none)
      }
      return x
    }
    tape.backward(from: output, seed: Tensor(shape: shape))
    let matrix = Double(
      StandardAttentionMemory.matrixBytes(
        batch: batch, heads: heads, queries: length, keys: length))
    return Double(TensorMemory.peakBytes - before) / matrix
  }

  func testTrainingPeakIsOneMatrixPerOpAndTheTransients() {
    for operations in [1, 3] {
      for dropout in [false, true] {
        let measured = peakMatrices(operations: operations, dropout: dropout)
        let counted = Double(
          StandardAttentionMemory.trainingMatrixCount(operations: operations, dropout: dropout))
        // The [B, H, T, K] tensors add a few hundredths of a matrix.
        XCTAssertEqual(measured, counted, accuracy: 0.25, "ops \(operations), dropout \(dropout)")
      }
    }
  }
}
