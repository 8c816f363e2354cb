import XCTest

@testable import Config

/// Numbers that pass their range in `Double` but change meaning where the program uses them:
/// rates in 32-bit floats, counts as exact integers.
final class ConfigPrecisionTests: XCTestCase {
  /// The message `--set path=value` on the defaults throws, or nil.
  private func message(_ override: String) -> String? {
    do {
      _ = try RunConfig(overrides: [override], checkingFiles: false)
      return nil
    } catch {
      return "\(error)"
    }
  }

  func testRatesMustKeepTheirMeaningInFloat() {
    let cases = [
      (
        "training.label_smoothing=0.99999999",
        "training.label_smoothing: 0.99999999 rounds to 1 in 32-bit floating point; use at most "
          + "0.9999999"
      ),
      (
        "training.clip_norm=1e-46",
        "training.clip_norm: 1e-46 rounds to 0 in 32-bit floating point"
      ),
      ("training.peak_lr=1e-46", "training.peak_lr: 1e-46 rounds to 0 in 32-bit floating point"),
      (
        "training.lr_scale=1e-300",
        "training.lr_scale: 1e-300 rounds to 0 in 32-bit floating point"
      ),
      (
        "training.adam_eps=1e50",
        "training.adam_eps: 1e50 is too large for 32-bit floating point, whose largest value is "
          + "3.4e38"
      ),
      (
        "training.peak_lr=1e39",
        "training.peak_lr: 1e39 is too large for 32-bit floating point, whose largest value is "
          + "3.4e38"
      ),
      (
        "training.adam_beta1=0.99999999",
        "training.adam_beta1: 0.99999999 rounds to 1 in 32-bit floating point; use at most "
          + "0.9999999"
      ),
      (
        "model.dropout=0.99999999",
        "model.dropout: 0.99999999 rounds to 1 in 32-bit floating point; use at most 0.9999999"
      ),
    ]
    for (override, expected) in cases {
      XCTAssertEqual(message(override), "--set \(override): \(expected)")
    }
    // Values that stay themselves, 0 for "off" included.
    for override in [
      "training.clip_norm=0", "training.clip_norm=1e-30", "training.label_smoothing=0.9999999",
      "training.peak_lr=1e38", "training.adam_eps=1e-40",
    ] {
      XCTAssertNil(message(override), override)
    }
  }

  /// The noam peak, lr_scale · (d_model · warmup_steps)^-0.5, can be 0 in Float although the
  /// scale is not.
  func testThePeakLearningRateMustNotVanishInFloat() throws {
    let text = try XCTUnwrap(message("training.lr_scale=1e-44"))
    XCTAssertTrue(
      text.hasPrefix("--set training.lr_scale=1e-44: training.lr_scale: 1e-44 gives a peak "),
      text)
    XCTAssertTrue(text.hasSuffix("which rounds to 0 in 32-bit floating point"), text)
    // A warm-up peaks at peak_lr itself, which 1e-44 still is in Float (a subnormal).
    XCTAssertNoThrow(
      try RunConfig(
        overrides: ["training.schedule=inverse_sqrt", "training.peak_lr=1e-44"],
        checkingFiles: false))
  }

  func testIntegersAreReadExactly() throws {
    for (path, text) in [
      ("training.max_steps", "1e-400"), ("training.max_steps", "1.0000000000000001"),
      ("training.warmup_steps", "2.5"), ("training.seed", "1e-1"),
    ] {
      XCTAssertEqual(
        message("\(path)=\(text)"),
        "--set \(path)=\(text): \(path): expected an integer, got \(text)")
    }
    XCTAssertEqual(
      message("training.seed=9223372036854775808"),
      "--set training.seed=9223372036854775808: training.seed: expected an integer <= "
        + "9223372036854775807, got 9223372036854775808")
    XCTAssertEqual(
      message("training.patience=1e400"),
      "--set training.patience=1e400: training.patience: expected an integer <= "
        + "9223372036854775807, got 1e400")
    XCTAssertEqual(
      message("model.heads=1e10"),
      "--set model.heads=1e10: model.heads: expected an integer <= 65536, got 1e10")
    let config = try RunConfig(
      overrides: [
        "training.max_steps=2.50e2", "training.warmup_steps=1E2", "training.seed=0e-999",
      ],
      checkingFiles: false)
    XCTAssertEqual(config.training.maxSteps, 250)
    XCTAssertEqual(config.training.warmupSteps, 100)
    XCTAssertEqual(config.training.seed, 0)
  }

  func testExactIntegerParsing() {
    XCTAssertEqual(ExactInteger(decimal: "9223372036854775807"), .value(.max))
    XCTAssertEqual(ExactInteger(decimal: "-9223372036854775808"), .value(.min))
    XCTAssertEqual(ExactInteger(decimal: "9223372036854775808"), .tooLarge)
    XCTAssertEqual(ExactInteger(decimal: "-1e19"), .tooSmall)
    XCTAssertEqual(ExactInteger(decimal: "1e99999999999"), .tooLarge)
    XCTAssertEqual(ExactInteger(decimal: "1e-99999999999"), .fractional)
    XCTAssertEqual(ExactInteger(decimal: "0.000e-99999999999"), .value(0))
    XCTAssertEqual(ExactInteger(decimal: "120.00"), .value(120))
    XCTAssertEqual(ExactInteger(decimal: "0.5e1"), .value(5))
    XCTAssertEqual(ExactInteger(decimal: "1."), .notANumber)
    XCTAssertEqual(ExactInteger(decimal: "1e"), .notANumber)
    XCTAssertEqual(ExactInteger(decimal: "x"), .notANumber)
  }
}
