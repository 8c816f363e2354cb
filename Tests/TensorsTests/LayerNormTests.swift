import XCTest

@testable import Tensors

final class LayerNormTests: XCTestCase {
  private let epsilon: Float = 1e-5

  /// Σ dy · LayerNorm(x; gamma, beta) in Double: the scalar the finite differences differentiate.
  private func objective(
    _ x: [Double], _ gamma: [Double], _ beta: [Double], _ dy: [Float], width: Int
  ) -> Double {
    var total = 0.0
    for r in 0..<x.count / width {
      let row = Array(x[r * width..<(r + 1) * width])
      let mu = row.reduce(0, +) / Double(width)
      let variance = row.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / Double(width)
      let inverse = 1 / (variance + Double(epsilon)).squareRoot()
      for c in 0..<width {
        total += Double(dy[r * width + c]) * ((row[c] - mu) * inverse * gamma[c] + beta[c])
      }
    }
    return total
  }

  func testForwardMatchesReference() {
    for width in [1, 15, 16, 17, 33, 64] {
      for rows in [1, 3, 7] {
        let x = randomArray(rows * width, seed: 1, low: 3, high: 5)  // a mean far from 0
        let gamma = randomArray(width, seed: 2)
        let beta = randomArray(width, seed: 3)
        var mean = [Float](repeating: 0, count: rows)
        var rstd = mean
        var meanRef = mean
        var rstdRef = mean
        let y = [Float](repeating: .nan, count: rows * width).mutated {
          layerNormForward(
            x, gamma: gamma, beta: beta, into: $0, mean: &mean, rstd: &rstd, rows: rows,
            width: width)
        }
        let expected = [Float](repeating: .nan, count: rows * width).mutated {
          layerNormForwardReference(
            x, gamma: gamma, beta: beta, into: $0, mean: &meanRef, rstd: &rstdRef, rows: rows,
            width: width)
        }
        assertClose(y, expected, absolute: 2e-5, relative: 1e-4, "D = \(width) N = \(rows)")
        assertClose(mean, meanRef, absolute: 1e-6, relative: 1e-6)
        assertClose(rstd, rstdRef, absolute: 1e-6, relative: 1e-4)
      }
    }
  }

  func testBackwardMatchesFiniteDifferences() {
    for width in [1, 15, 16, 17, 33] {
      let rows = 3
      let x = randomArray(rows * width, seed: 4)
      let dy = randomArray(rows * width, seed: 5)
      let gamma = randomArray(width, seed: 6)
      let beta = randomArray(width, seed: 7)
      var mean = [Float](repeating: 0, count: rows)
      var rstd = mean
      var y = [Float](repeating: 0, count: rows * width)
      layerNormForward(
        x, gamma: gamma, beta: beta, into: &y, mean: &mean, rstd: &rstd, rows: rows, width: width)
      let xd = x.map(Double.init)
      let gd = gamma.map(Double.init)
      let bd = beta.map(Double.init)
      let numericX = finiteDifferences(xd, step: 1e-3) { objective($0, gd, bd, dy, width: width) }
      let numericGamma = finiteDifferences(gd, step: 1e-3) {
        objective(xd, $0, bd, dy, width: width)
      }
      let numericBeta = finiteDifferences(bd, step: 1e-3) {
        objective(xd, gd, $0, dy, width: width)
      }

      let startX = randomArray(rows * width, seed: 8)
      let startGamma = randomArray(width, seed: 9)
      for accumulate in [false, true] {
        let dx = startX.mutated {
          layerNormBackwardInput(
            outputGradient: dy, input: x, gamma: gamma, mean: mean, rstd: rstd, into: $0,
            rows: rows, width: width, accumulate: accumulate)
        }
        let dgamma = startGamma.mutated {
          layerNormBackwardGamma(
            outputGradient: dy, input: x, mean: mean, rstd: rstd, into: $0, rows: rows,
            width: width, accumulate: accumulate)
        }
        let dbeta = startGamma.mutated {
          columnSums(dy, rows: rows, columns: width, into: $0, accumulate: accumulate)
        }
        let baseX = accumulate ? startX.map(Double.init) : [Double](repeating: 0, count: x.count)
        let baseGamma =
          accumulate ? startGamma.map(Double.init) : [Double](repeating: 0, count: width)
        // width 1 normalises every row to 0: dx is then exactly 0, as the finite differences say.
        assertClose(
          dx, zip(baseX, numericX).map(+), absolute: 1e-4, relative: 1e-3, "dx D = \(width)")
        assertClose(
          dgamma, zip(baseGamma, numericGamma).map(+), absolute: 1e-4, relative: 1e-3,
          "dgamma D = \(width)")
        assertClose(
          dbeta, zip(baseGamma, numericBeta).map(+), absolute: 1e-4, relative: 1e-3,
          "dbeta D = \(width)")
      }
    }
  }

  func testSameWithOneAndTwoThreads() {
    let (rows, width) = (700, 64)  // enough rows and column blocks to split
    let x = randomArray(rows * width, seed: 10)
    let dy = randomArray(rows * width, seed: 11)
    let gamma = randomArray(width, seed: 12)
    let beta = randomArray(width, seed: 13)
    assertSameWithOneAndTwoThreads {
      var mean = [Float](repeating: 0, count: rows)
      var rstd = mean
      var y = [Float](repeating: 0, count: rows * width)
      layerNormForward(
        x, gamma: gamma, beta: beta, into: &y, mean: &mean, rstd: &rstd, rows: rows, width: width)
      var dx = [Float](repeating: 0, count: rows * width)
      var dgamma = [Float](repeating: 0, count: width)
      layerNormBackwardInput(
        outputGradient: dy, input: x, gamma: gamma, mean: mean, rstd: rstd, into: &dx, rows: rows,
        width: width, accumulate: true)
      layerNormBackwardGamma(
        outputGradient: dy, input: x, mean: mean, rstd: rstd, into: &dgamma, rows: rows,
        width: width, accumulate: false)
      return y + mean + rstd + dx + dgamma
    }
  }

  /// LayerNorm(x + residual) in one call is the sum, then the norm, bit for bit: on widths
  /// with a tail, over rows that two threads split, and written over the residual.
  func testAddingAResidualEqualsTheSumThenTheNorm() {
    for width in [1, 15, 16, 17, 256] {
      let rows = 300
      let x = Tensor(shape: [rows, width], scalars: randomArray(rows * width, seed: 41))
      let residual = Tensor(shape: [rows, width], scalars: randomArray(rows * width, seed: 42))
      let gamma = Tensor(shape: [width], scalars: randomArray(width, seed: 43))
      let beta = Tensor(shape: [width], scalars: randomArray(width, seed: 44))
      let expected = layerNorm(x + residual, gamma: gamma, beta: beta).output.scalars
      let fused = layerNorm(x, adding: residual, gamma: gamma, beta: beta).scalars
      XCTAssertEqual(fused.map(\.bitPattern), expected.map(\.bitPattern), "D = \(width)")
      var inPlace = residual.scalars
      var caches = [Float](repeating: 0, count: 2 * rows)
      inPlace.withUnsafeMutableBufferPointer { y in
        caches.withUnsafeMutableBufferPointer { c in
          layerNormForward(
            x.scalars, residual: y.baseAddress!, gamma: gamma.scalars, beta: beta.scalars,
            into: y.baseAddress!, mean: c.baseAddress!, rstd: c.baseAddress! + rows, rows: rows,
            width: width)
        }
      }
      XCTAssertEqual(
        inPlace.map(\.bitPattern), expected.map(\.bitPattern), "in place, D = \(width)")
    }
  }

  func testTensorForms() {
    let x = Tensor(shape: [2, 1, 4], scalars: [1, 2, 3, 4, -1, -1, -1, -1])
    let gamma = Tensor(shape: [4], repeating: 2)
    let beta = Tensor(shape: [4], repeating: 1)
    let result = layerNorm(x, gamma: gamma, beta: beta)
    XCTAssertEqual(result.output.shape, [2, 1, 4])
    XCTAssertEqual(result.mean.scalars, [2.5, -1])
    let s = 1 / (1.25 + 1e-5).squareRoot()
    assertClose(
      result.output.scalars, [1 - 3 * s, 1 - s, 1 + s, 1 + 3 * s, 1, 1, 1, 1], absolute: 1e-5)
    var dx = Tensor(shape: [2, 1, 4], repeating: 0)
    var dgamma = Tensor(shape: [4], repeating: 0)
    let dy = Tensor(shape: [2, 1, 4], repeating: 1)
    layerNormBackwardInput(
      outputGradient: dy, input: x, gamma: gamma, mean: result.mean, rstd: result.rstd, into: &dx,
      accumulate: false)
    layerNormBackwardGamma(
      outputGradient: dy, input: x, mean: result.mean, rstd: result.rstd, into: &dgamma,
      accumulate: false)
    assertClose(dx.scalars, [Double](repeating: 0, count: 8), absolute: 1e-5)
    assertClose(dgamma.scalars, [-1.5 * s, -0.5 * s, 0.5 * s, 1.5 * s], absolute: 1e-5)
  }
}
