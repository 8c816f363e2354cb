import XCTest

@testable import Support
@testable import Tensors

/// `auto`'s choice of attention kernel and the standard kernel's memory estimate.
final class AttentionKernelChoiceTests: XCTestCase {
  func testExplicitKindsAreKept() {
    XCTAssertEqual(
      AttentionKernelChoice.resolve(
        .standard, queries: 100_000, keys: 100_000, headSize: 64, causal: true),
      .standard)
    XCTAssertEqual(
      AttentionKernelChoice.resolve(
        .memoryEfficient, queries: 1, keys: 1, headSize: 64, causal: false),
      .memoryEfficient)
  }

  func testAutoSwitchesAtTheThresholds() {
    for (causal, side) in [(true, 512), (false, 1024)] {
      let threshold =
        causal ? AttentionKernelChoice.causalMinimumScores : AttentionKernelChoice.fullMinimumScores
      XCTAssertEqual(side * side, threshold)
      XCTAssertEqual(
        AttentionKernelChoice.resolve(
          .auto, queries: side - 1, keys: side, headSize: 64, causal: causal),
        .standard)
      XCTAssertEqual(
        AttentionKernelChoice.resolve(
          .auto, queries: side, keys: side, headSize: 64, causal: causal),
        .memoryEfficient)
      // One step of cached decoding: a single query against a long cache stays standard.
      XCTAssertEqual(
        AttentionKernelChoice.resolve(
          .auto, queries: 1, keys: side * 4, headSize: 64, causal: causal),
        .standard)
    }
    // A window needs the tiled kernel at any length; huge sizes do not overflow.
    XCTAssertEqual(
      AttentionKernelChoice.resolve(
        .auto, queries: 4, keys: 4, headSize: 64, causal: true, window: 2),
      .memoryEfficient)
    XCTAssertEqual(
      AttentionKernelChoice.resolve(.auto, queries: .max, keys: .max, headSize: 64, causal: false),
      .memoryEfficient)
  }

  func testImplementationNamesAreTheConfigWords() {
    XCTAssertEqual(
      AttentionImplementation.allCases.map(\.rawValue), ["standard", "memory_efficient", "auto"])
  }

  func testStandardMemoryCountsWhatTheOpAllocates() {
    let matrix = 2 * 8 * 1000 * 3000 * 4
    XCTAssertEqual(
      StandardAttentionMemory.matrixBytes(batch: 2, heads: 8, queries: 1000, keys: 3000), matrix)
    for (backward, dropout, count) in [
      (false, false, 1), (true, false, 2), (false, true, 3), (true, true, 3),
    ] {
      XCTAssertEqual(
        StandardAttentionMemory.requiredBytes(
          batch: 2, heads: 8, queries: 1000, keys: 3000, backward: backward, dropout: dropout),
        count * matrix)
    }
    XCTAssertEqual(
      StandardAttentionMemory.requiredBytes(
        batch: 1 << 20, heads: 1 << 20, queries: 1 << 20, keys: 1 << 20, backward: true),
      .max)
  }

  func testProblemNamesTheBytes() {
    XCTAssertNil(StandardAttentionMemory.problem(requiredBytes: 100, availableBytes: 100))
    XCTAssertNil(StandardAttentionMemory.problem(requiredBytes: 100, availableBytes: nil))
    XCTAssertEqual(
      StandardAttentionMemory.problem(requiredBytes: 17_179_869_184, availableBytes: 8_000_000_000),
      "the standard attention kernel needs 17.2 GB (17179869184 bytes) for its [B, H, T, S] "
        + "matrices, more than the 8.0 GB of memory available")
  }

  func testAvailableMemoryIsRead() {
    let meminfo = "MemTotal:       24000000 kB\nMemFree:  100 kB\nMemAvailable:   20000000 kB\n"
    XCTAssertEqual(ProcessMemory.availableBytes(meminfoText: meminfo), 20_000_000 * 1024)
    XCTAssertNil(ProcessMemory.availableBytes(meminfoText: "MemTotal: 1 kB\n"))
    XCTAssertGreaterThan(ProcessMemory.physicalBytes() ?? 0, 0)
    XCTAssertGreaterThan(ProcessMemory.availableBytes() ?? 0, 0)
  }
}
