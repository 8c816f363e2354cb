import XCTest

@testable import CLI
import Drawing
@testable import Training

/// The live training line fitted to a terminal's width, the log lines' ETA and scrollback, and
/// the legend of the loss's window.
final class ProgressLineTests: XCTestCase {
  private let progress = TrainingProgress(
    step: 1200, epoch: 3, loss: 2.34512, perplexity: 8.123, learningRate: 0.000632,
    tokensPerSecond: 10_512, elapsedSeconds: 83, remainingSeconds: 121, maxSteps: 3000)

  func testStatusFitsTheTerminalByDroppingFieldsInOrder() {
    let full =
      "epoch 3  step 1200/3000  loss 2.3451  ppl 8.12  lr 6.32e-04  10.5k tok/s  1:23  ETA 2:01"
    XCTAssertEqual(ProgressLine.status(progress), full)
    XCTAssertEqual(ProgressLine.status(progress, columns: 200), full)
    XCTAssertEqual(
      ProgressLine.status(progress, columns: 80),
      "epoch 3  step 1200/3000  loss 2.3451  lr 6.32e-04  10.5k tok/s  1:23  ETA 2:01")
    XCTAssertEqual(
      ProgressLine.status(progress, columns: 60),
      "step 1200/3000  loss 2.3451  10.5k tok/s  1:23  ETA 2:01")
    XCTAssertEqual(
      ProgressLine.status(progress, columns: 40), "step 1200/3000  loss 2.3451  ETA 2:01")
    XCTAssertEqual(ProgressLine.status(progress, columns: 20), "step 1200/3000  los")
    for columns in 10...120 {
      XCTAssertLessThan(
        TerminalText.width(ProgressLine.status(progress, columns: columns)), columns)
    }
  }

  func testTerminalWidthFallsBackToColumnsThen80() {
    XCTAssertEqual(TerminalSize.columns(environment: ["COLUMNS": "132"]), 132)
    XCTAssertEqual(TerminalSize.columns(environment: ["COLUMNS": "wide"]), 80)
    XCTAssertEqual(TerminalSize.columns(environment: [:]), 80)
  }

  func testPlainLogLinesHaveAnETAAndALegend() {
    let reporter = TrainProgressReporter(
      console: Console(output: String(), errors: String()), isTerminal: false, logInterval: 50)
    reporter.handle(.model(parameterCount: 1000, vocabularySize: 300, batchesPerEpoch: 10))
    reporter.handle(.step(progress))
    reporter.handle(.log(logEntry))
    let errors = reporter.console.errors as? String ?? ""
    XCTAssertEqual(
      errors,
      """
      model: 1000 parameters, vocabulary 300, 10 batches per epoch
      loss, ppl and tok/s are means since the last log line (every 50 steps, training.log_every)
      epoch 3  step 1200/3000  loss 2.3451  ppl 8.12  lr 6.32e-04  10.5k tok/s  1:23  ETA 2:01

      """)
  }

  func testTerminalKeepsLogLinesInScrollbackBelowTheLiveLine() {
    let reporter = TrainProgressReporter(
      console: Console(output: String(), errors: String()), isTerminal: true, logInterval: 50,
      terminalColumns: { 60 })
    reporter.handle(.step(progress))
    reporter.handle(.log(logEntry))
    reporter.finishLine()
    let live = "\r\u{1B}[Kstep 1200/3000  loss 2.3451  10.5k tok/s  1:23  ETA 2:01"
    XCTAssertEqual(
      reporter.console.errors as? String,
      live + "\r\u{1B}[K" + "step 1200/3000  loss 2.3451  10.5k tok/s  1:23  ETA 2:01\n" + live
        + "\r\u{1B}[K")
  }

  func testSummarySaysOneEpochInTheSingular() {
    let summary = TrainingSummary(
      reason: .maxSteps(10), steps: 10, epochs: 1, elapsedSeconds: 5, epochProgress: 1.5,
      targetTokens: 100, best: nil, lastValidation: nil, bestPath: "b", lastPath: "l",
      metricsPath: "m", testBLEU: nil, testTranslationsPath: nil)
    XCTAssertEqual(
      ProgressLine.summary(summary, resumeCommand: "")[0],
      "stopped: reached training.max_steps (10) after 10 steps, 1 complete epoch, 0:05 of "
        + "training")
  }

  private var logEntry: TrainingLogEntry {
    TrainingLogEntry(
      step: 1200, epoch: 3, loss: 2.34512, perplexity: 8.123, learningRate: 0.000632,
      tokensPerSecond: 10_512, elapsedSeconds: 83)
  }
}
