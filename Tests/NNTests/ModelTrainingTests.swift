import Autograd
import XCTest

@testable import NN

/// The model as a whole: padding changes nothing, and it can learn.
final class ModelTrainingTests: XCTestCase {
  /// Extra padding columns leave the loss and its totals unchanged, and the batch's totals are
  /// the sums of each sentence's totals computed alone, without any padding: padding positions
  /// neither count nor leak into the other positions (dropout off, since its masks depend on
  /// the tensor's layout).
  func testPaddingDoesNotChangeTheLossOfOtherPositions() {
    for norm in [TransformerConfiguration.NormPlacement.post, .pre] {
      let model = Transformer(configuration: .tiny(norm: norm, activation: .relu), seed: 9)
      model.isTraining = false
      let batch = TinyBatch()
      let (loss, totals) = batch.loss(model)
      let padded = batch.padded(extraSource: 3, extraTarget: 2)
      XCTAssertEqual(padded.sourceLength, 8)
      let (paddedLoss, paddedTotals) = padded.loss(model)
      XCTAssertEqual(paddedTotals.count, totals.count)
      XCTAssertEqual(paddedLoss.value[flat: 0], loss.value[flat: 0], accuracy: 1e-5)
      XCTAssertEqual(paddedTotals.loss, totals.loss, accuracy: 1e-4)
      XCTAssertEqual(
        paddedTotals.negativeLogLikelihood, totals.negativeLogLikelihood, accuracy: 1e-4)

      let rows = (0..<batch.batchSize).map { batch.row($0).loss(model).totals }
      XCTAssertEqual(rows.map(\.count).reduce(0, +), totals.count)
      XCTAssertEqual(rows.map(\.loss).reduce(0, +), totals.loss, accuracy: 1e-4)
      XCTAssertEqual(
        rows.map(\.negativeLogLikelihood).reduce(0, +), totals.negativeLogLikelihood,
        accuracy: 1e-4)
    }
  }

  /// Padding also leaves the gradients alone: the padded batch's gradients equal the
  /// unpadded one's.
  func testPaddingDoesNotChangeTheGradients() {
    let model = Transformer(configuration: .tiny(dropout: 0), seed: 10)
    func gradients(_ batch: TinyBatch) -> [[Float]] {
      for parameter in model.parameters { parameter.zeroGradient() }
      let tape = Tape()
      tape.record { batch.loss(model).loss }.backward()
      return model.parameters.map { $0.gradient!.scalars }
    }
    let batch = TinyBatch()
    let plain = gradients(batch)
    let padded = gradients(batch.padded(extraSource: 2, extraTarget: 3))
    for (name, (a, b)) in zip(model.parameters.map(\.name), zip(plain, padded)) {
      let scale = max(a.map(abs).max() ?? 0, 1e-3)
      for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 1e-4 * scale, name) }
    }
  }

  /// On the whole model (tied embeddings, encoder memory read by every decoder layer) backward
  /// reports every parameter exactly once and each gradient is final when reported: what the
  /// data-parallel buckets rely on to start summing while backward goes on.
  func testBackwardReportsEveryParameterOnceWithItsFinalGradient() {
    let model = Transformer(configuration: .tiny(dropout: 0), seed: 11)
    let parameters = model.parameters
    var reported: [Int] = []
    var atCompletion: [Int: [Float]] = [:]
    let tape = Tape()
    tape.record { TinyBatch().loss(model).loss }.backward(reporting: parameters) { index in
      reported.append(index)
      atCompletion[index] = parameters[index].gradient!.scalars
    }
    XCTAssertEqual(reported.sorted(), Array(parameters.indices))
    for (index, parameter) in parameters.enumerated() {
      XCTAssertEqual(atCompletion[index], parameter.gradient?.scalars, parameter.name)
    }
    // Backward finishes the parameters in reverse order of creation, up to a weight and its
    // bias (one operation, reported together): the buckets' fixed order starts each bucket as
    // soon as backward has finished it.
    let reverse = Array(parameters.indices.reversed())
    for (position, index) in reported.enumerated() {
      XCTAssertLessThanOrEqual(
        abs(reverse.firstIndex(of: index)! - position), 1, parameters[index].name)
    }
  }

  /// A tiny model learns six pairs by heart with Adam: the loss falls from ~ln V to near 0.
  func testTinyModelOverfitsAHandfulOfPairs() {
    let configuration = TransformerConfiguration(
      encoderLayerCount: 2, decoderLayerCount: 2, modelWidth: 32, headCount: 4,
      feedForwardWidth: 64, vocabularySize: 24, dropout: 0, maxPositions: 16)
    let model = Transformer(configuration: configuration, seed: 2017)
    // Six pairs: the target is the source reversed, shifted by one id; lengths 3 to 6.
    let sources: [[Int]] = [
      [4, 5, 6], [7, 8, 9, 10], [11, 12, 13, 14, 15], [16, 17, 18, 19, 20, 21], [5, 9, 13],
      [20, 16, 12, 8],
    ]
    let (batchSize, start, end) = (sources.count, 1, 2)
    let sourceLength = sources.map(\.count).max()! + 1
    let targetLength = sourceLength
    var batch = TinyBatch(
      sourceIDs: [], sourceLengths: [], targetInputIDs: [], targetOutputIDs: [],
      targetLengths: [])
    for source in sources {
      let target = source.reversed().map { $0 + 1 }
      let padding = Array(repeating: 0, count: sourceLength - source.count - 1)
      batch.sourceIDs += source + [end] + padding
      batch.targetInputIDs += [start] + target + padding
      batch.targetOutputIDs += target + [end] + padding
      batch.sourceLengths.append(source.count + 1)
      batch.targetLengths.append(target.count + 1)
    }
    XCTAssertEqual(batch.sourceIDs.count, batchSize * sourceLength)
    XCTAssertEqual(batch.targetInputIDs.count, batchSize * targetLength)

    var adam = Adam(parameters: model.parameters)
    var first: Float = 0
    var last: Float = 0
    for step in 0..<200 {
      for parameter in model.parameters { parameter.zeroGradient() }
      let tape = Tape()
      let loss = tape.record { batch.loss(model, labelSmoothing: 0).loss }
      loss.backward()
      adam.step(model.parameters, learningRate: 3e-3)
      if step == 0 { first = loss.value[flat: 0] }
      last = loss.value[flat: 0]
    }
    XCTAssertEqual(first, log(24), accuracy: 1)
    XCTAssertLessThan(last, 0.02, "loss after 200 steps")
    // Greedy decoding of the full prefix reproduces a target.
    model.isTraining = false
    let memory = model.encode(sourceIDs: [11, 12, 13, 14, 15, end], sourceLengths: [6])
    var prefix = [start]
    while prefix.count < 7 {
      let logits = model.decodeLogits(memory: memory, sourceLengths: [6], targetInputIDs: prefix)
      let row = Array(logits.scalars.suffix(24))
      prefix.append(row.indices.max { row[$0] < row[$1] }!)
    }
    XCTAssertEqual(prefix, [start, 16, 15, 14, 13, 12, end])
  }
}
