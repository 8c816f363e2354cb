import Foundation
import Support
import Training

/// Shows a training run's ``TrainingEvent``s on stderr: on a terminal a status line redrawn in
/// place (at most ten times a second, fitted to the terminal's width) below permanent lines for
/// setup, every `log_every` steps and validations; elsewhere (a log file, CI) only the
/// permanent lines.
final class TrainProgressReporter {
  /// The streams written to; the command takes them back when the run ends.
  private(set) var console: Console
  private let isTerminal: Bool
  private let logInterval: Int
  private var maxSteps = 0
  /// The latest step's figures, for the ETA of log lines and the redraw after them.
  private var lastProgress: TrainingProgress?
  private let terminalColumns: () -> Int
  /// Whether a live line is on screen and must be cleared before a permanent line.
  private var liveLineShown = false
  private var lastDraw: ContinuousClock.Instant?
  private let clock = ContinuousClock()

  /// A reporter writing to `console.errors`; on a terminal, lines are fitted to
  /// `terminalColumns()`, asked at each draw so that a resized window is followed.
  init(
    console: Console, isTerminal: Bool, logInterval: Int,
    terminalColumns: @escaping () -> Int = { TerminalSize.columns(of: STDERR_FILENO) }
  ) {
    self.console = console
    self.isTerminal = isTerminal
    self.logInterval = logInterval
    self.terminalColumns = terminalColumns
  }

  /// Renders one event.
  func handle(_ event: TrainingEvent) {
    switch event {
    case .vocabulary(let pieces, let learned, let seconds):
      line(
        learned
          ? "vocabulary: learned \(pieces) BPE pieces in \(String(format: "%.1f", seconds)) s"
          : "vocabulary: \(pieces) BPE pieces read from the checkpoint")
    case .corpus(let name, let statistics):
      line("\(name): \(statistics.summary)")
    case .model(let parameterCount, let vocabularySize, let batchesPerEpoch):
      line(
        "model: \(parameterCount) parameters, vocabulary \(vocabularySize), "
          + "\(batchesPerEpoch) batches per epoch")
      line(ProgressLine.legend(logInterval: logInterval))
    case .resumed(let step, let position):
      line(
        "resumed at step \(step); next: batch \(position.batchIndex + 1) of epoch "
          + "\(position.epoch + 1)")
    case .resumedPlan(let steps):
      line("plan:   \(counted(steps, "step")), as planned (training.max_steps \"auto\")")
    case .planned(let plan, let timing):
      line(ProgressLine.plan(plan, timing: timing))
    case .replanned(let replan, let timing, let warmUp):
      line(ProgressLine.replan(replan, timing: timing, warmUp: warmUp))
    case .warning(let message):
      line("warning: \(message)")
    case .step(let progress):
      maxSteps = progress.maxSteps
      lastProgress = progress
      drawLive(progress)
    case .log(let entry):
      // On a terminal too, so that the scrollback keeps the history; then the live line again.
      let remaining = lastProgress?.step == entry.step ? lastProgress?.remainingSeconds : nil
      line(
        ProgressLine.log(
          entry, maxSteps: maxSteps, remainingSeconds: remaining,
          columns: isTerminal ? terminalColumns() : nil))
      if isTerminal, let lastProgress {
        live(ProgressLine.status(lastProgress, columns: terminalColumns()))
      }
    case .validating(let step):
      if isTerminal { live(fitted("validating at step \(step)…")) }
    case .validation(let result, let isBest):
      line(ProgressLine.validation(result, isBest: isBest))
    case .checkpoint:
      break
    case .stopping(let reason):
      line("stopping: \(reason)")
    case .testing(let sentences):
      if isTerminal { live(fitted("translating the \(sentences) test sentences…")) }
    case .test(let bleu, let step, _):
      line("test   step \(step)  BLEU \(ProgressLine.fixed(bleu, 2))")
    }
  }

  /// Ends the live line, if one is shown, so that what follows starts on a fresh line.
  func finishLine() {
    clearLive()
  }

  /// Writes the run's summary to stdout.
  func writeSummary(
    _ summary: TrainingSummary, peakResidentMegabytes: Double?, resumeCommand: String
  ) {
    let lines = ProgressLine.summary(
      summary, peakResidentMegabytes: peakResidentMegabytes, resumeCommand: resumeCommand)
    for text in lines {
      console.writeLine(text)
    }
  }

  /// A permanent line on stderr.
  private func line(_ text: String) {
    clearLive()
    console.writeErrorLine(text)
  }

  /// Redraws the status line, at most ten times a second.
  private func drawLive(_ progress: TrainingProgress) {
    guard isTerminal else { return }
    let now = clock.now
    if let lastDraw, lastDraw.duration(to: now) < .milliseconds(100) { return }
    lastDraw = now
    live(ProgressLine.status(progress, columns: terminalColumns()))
  }

  /// `text` cut to the terminal's width.
  private func fitted(_ text: String) -> String {
    StatusLine(fields: [StatusLine.Field(text: text, dropRank: 0)]).fitted(to: terminalColumns())
  }

  /// Replaces the live line with `text` (carriage return, erase to the end of the line).
  private func live(_ text: String) {
    console.errors.write("\r\u{1B}[K" + text)
    liveLineShown = true
  }

  private func clearLive() {
    guard liveLineShown else { return }
    console.errors.write("\r\u{1B}[K")
    liveLineShown = false
  }
}
