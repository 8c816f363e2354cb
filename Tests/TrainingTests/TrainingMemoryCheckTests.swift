import Data
import NN
import XCTest

@testable import Training

final class TrainingMemoryCheckTests: XCTestCase {
  private let configuration = TransformerConfiguration(
    encoderLayerCount: 2, decoderLayerCount: 2, modelWidth: 128, headCount: 4,
    feedForwardWidth: 512, vocabularySize: 1000, attention: .memoryEfficient)

  /// 1,000 pairs of 5 to 24 source and target pieces.
  private var pairs: [SentencePair] {
    (0..<1000).map { index in
      let length = 5 + index % 20
      return SentencePair(
        source: Array(repeating: 7, count: length), target: Array(repeating: 8, count: length),
        line: index + 1)
    }
  }

  private func problem(
    batchTokens: Int, accumulate: Int = 1, available: Int, processes: Int = 1
  ) -> String? {
    TrainingMemoryCheck.problem(
      configuration: configuration, batchTokens: batchTokens, accumulate: accumulate,
      pairs: pairs, maxRows: 10_000, parameterCount: 1_000_000, availableBytes: available,
      processes: processes)
  }

  func testABatchThatFitsPasses() {
    XCTAssertNil(problem(batchTokens: 4096, available: 8 << 30))
  }

  func testATooLargeBatchIsRefusedWithABudgetThatFits() throws {
    let available = 1 << 30
    let message = try XCTUnwrap(problem(batchTokens: 200_000, accumulate: 2, available: available))
    // All 1,000 pairs fit the budget; the longest rows (25 tokens) make the largest batch.
    XCTAssertTrue(
      message.hasPrefix("a batch of 1000 rows of 25 tokens (training.batch_tokens 200000) needs "),
      message)
    XCTAssertTrue(message.contains("more than the 1.1 GB of memory available"), message)
    let suggestion = try XCTUnwrap(
      message.range(of: "lower training.batch_tokens to ").map {
        Int(message[$0.upperBound...].prefix { $0.isNumber })!
      })
    XCTAssertNil(problem(batchTokens: suggestion, available: available), "the advice fits")
    XCTAssertNotNil(
      problem(batchTokens: suggestion * 2, available: available), "and is not far too low")
    let factor = (200_000 + suggestion - 1) / suggestion
    XCTAssertTrue(
      message.hasSuffix("raise training.accumulate to \(2 * factor) to keep the tokens per step"),
      message)
  }

  func testProcessesOnOneMachineEachCountOnTheirShare() throws {
    // A budget that fits one process with room to spare…
    let available = 1 << 30
    let alone = try XCTUnwrap(problem(batchTokens: 200_000, available: available))
    let fits = Int(
      alone[alone.range(of: "lower training.batch_tokens to ")!.upperBound...]
        .prefix { $0.isNumber })!
    XCTAssertNil(problem(batchTokens: fits, available: available))
    // …does not fit four ranks on the machine, each with a quarter of the memory.
    let shared = try XCTUnwrap(problem(batchTokens: fits, available: available, processes: 4))
    XCTAssertTrue(
      shared.contains(
        "more than 0.3 GB, this process's share of the 1.1 GB of memory available to the 4 "
          + "training processes on this machine"), shared)
    let advice = Int(
      shared[shared.range(of: "lower training.batch_tokens to ")!.upperBound...]
        .prefix { $0.isNumber })!
    XCTAssertLessThan(advice, fits)
    XCTAssertNil(problem(batchTokens: advice, available: available, processes: 4))
  }

  func testAModelTooLargeForAnyBatchSaysSo() throws {
    let message = try XCTUnwrap(problem(batchTokens: 4096, available: 5 << 20))
    XCTAssertTrue(message.contains("even one batch of the longest pair does not fit"), message)
  }

  func testRoundedDown() {
    XCTAssertEqual(TrainingMemoryCheck.roundedDown(26_083), 26_000)
    XCTAssertEqual(TrainingMemoryCheck.roundedDown(99), 99)
    XCTAssertEqual(TrainingMemoryCheck.roundedDown(0), 0)
  }
}
