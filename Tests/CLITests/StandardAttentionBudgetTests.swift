import Config
import Tensors
import XCTest

@testable import CLI

/// `train` and `eval --loss` refuse, before any work, a run whose standard-kernel attention
/// matrices cannot fit; the memory available is injected so that no test depends on the
/// machine.
final class StandardAttentionBudgetTests: XCTestCase {
  /// configs/long-copy.json's model: 1 + 1 layers, H 2, D 64; rows of 8,191 tokens.
  private func longCopyModel(_ attention: AttentionImplementation) -> ModelConfig {
    var model = ModelConfig()
    (model.encoderLayerCount, model.decoderLayerCount) = (1, 1)
    (model.modelWidth, model.headCount, model.feedForwardWidth) = (64, 2, 256)
    model.attention = attention
    return model
  }

  func testTrainingCountsEverySavedMatrixPlusTheBackward() throws {
    let matrix = 4 * 1 * 2 * 8191 * 8191  // one [B, H, T, S] Float32 matrix, B 1
    let need = try XCTUnwrap(
      StandardAttentionBudget.requiredBytes(
        model: longCopyModel(.standard), longestRow: 8191, batchTokens: 8192, training: true))
    XCTAssertEqual(need.operations, 3)
    XCTAssertEqual(need.rows, 1)
    XCTAssertEqual(need.bytes, 4 * matrix, "three saved on the tape, one more in the backward")

    var dropout = longCopyModel(.standard)
    dropout.attentionDropout = 0.1
    XCTAssertEqual(
      StandardAttentionBudget.requiredBytes(
        model: dropout, longestRow: 8191, batchTokens: 8192, training: true)?.bytes, 5 * matrix,
      "three saved, the running op's mask and dropped probabilities (or gradient) beside them")
    XCTAssertEqual(
      StandardAttentionBudget.requiredBytes(
        model: dropout, longestRow: 8191, batchTokens: 8192, training: false)?.bytes, matrix,
      "without a tape one op's matrix at a time")
    // As many rows as the token budget holds: B 4 at 1,024 tokens a row.
    XCTAssertEqual(
      StandardAttentionBudget.requiredBytes(
        model: longCopyModel(.standard), longestRow: 1024, batchTokens: 4096, training: false)?
        .bytes, 4 * 4 * 2 * 1024 * 1024)
  }

  func testOnlyTheOpsThatResolveToTheStandardKernelCount() {
    for attention in [AttentionImplementation.memoryEfficient, .auto] {
      XCTAssertNil(
        StandardAttentionBudget.requiredBytes(
          model: longCopyModel(attention), longestRow: 8191, batchTokens: 8192, training: true))
    }
    // At 1,001 positions auto runs the tiled kernel in causal self-attention only.
    XCTAssertEqual(
      StandardAttentionBudget.requiredBytes(
        model: longCopyModel(.auto), longestRow: 1001, batchTokens: 1001, training: true)?
        .operations, 2)
    var windowed = longCopyModel(.auto)
    windowed.attentionWindow = 16
    XCTAssertEqual(
      StandardAttentionBudget.requiredBytes(
        model: windowed, longestRow: 100, batchTokens: 100, training: true)?.operations, 2)
  }

  func testTheProblemNamesBothByteCountsAndTheFix() {
    let bytes = 4 * 4 * 2 * 8191 * 8191
    XCTAssertEqual(
      StandardAttentionBudget.problem(
        model: longCopyModel(.standard), longestRow: 8191, batchTokens: 8192, training: true,
        availableBytes: 2_000_000_000),
      "the standard attention kernel needs 2.1 GB (\(bytes) bytes) for the [B, H, T, S] "
        + "matrices of 3 attention layers at B 1, T = S 8191, more than the 2.0 GB "
        + "(2000000000 bytes) available; set model.attention \"memory_efficient\"")
    XCTAssertNil(
      StandardAttentionBudget.problem(
        model: longCopyModel(.standard), longestRow: 8191, batchTokens: 8192, training: true,
        availableBytes: bytes))
    XCTAssertNil(
      StandardAttentionBudget.problem(
        model: longCopyModel(.standard), longestRow: 8191, batchTokens: 8192, training: true,
        availableBytes: nil), "unknown memory: nothing refused")
  }

  /// `train` stops before reading any data, with one line and exit status 1.
  func testTrainRefusesUpFrontInOneLine() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let config = try directory.write("c.json", "{}")
    StandardAttentionBudget.availableBytesOverride = 1000
    defer { StandardAttentionBudget.availableBytesOverride = nil }
    let run = CLIRun("train", "--config", config, "--set", "model.attention=standard")
    XCTAssertEqual(run.status, 1)
    // The defaults: 6 + 6 layers, H 8, rows of 101 tokens, 40 of them in 4,096 tokens.
    let bytes = 19 * 4 * 40 * 8 * 101 * 101
    XCTAssertEqual(
      run.errors,
      "Error: train: the standard attention kernel needs 0.2 GB (\(bytes) bytes) for the "
        + "[B, H, T, S] matrices of 18 attention layers at B 40, T = S 101, more than the "
        + "0.0 GB (1000 bytes) available; set model.attention \"memory_efficient\"\n")
    XCTAssertEqual(run.output, "")
  }
}
