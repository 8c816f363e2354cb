import Dispatch
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Turns SIGINT, SIGTERM and SIGUSR1 into a flag the training loop checks between steps, so
/// that Ctrl-C lets the current step finish and the checkpoint be saved instead of killing the
/// process.
///
/// SIGUSR1 is the stop request of an MPI run: `mpirun` passes it on to every rank and keeps
/// waiting for them, where on SIGINT or SIGTERM it kills them within about two seconds
/// (`scripts/mpirun-train.sh` turns the user's Ctrl-C into SIGUSR1). A batch scheduler sends it
/// too before a time limit (Slurm's `--signal=USR1@…`).
///
/// The signals are ignored by the process (so that their default action does not end it) and
/// delivered instead to dispatch sources on a background queue. A second signal exits at once
/// with 128 + its number: the user insists, and the last installed checkpoint stays intact
/// because checkpoints are renamed into place.
final class TrainSignalWatcher: @unchecked Sendable {
  /// The signals watched.
  static let signals: [Int32] = [SIGINT, SIGTERM, SIGUSR1]

  private let lock = NSLock()
  private var received: Int32?
  private var sources: [DispatchSourceSignal] = []
  private let queue = DispatchQueue(label: "transformer-cli.train.signals")

  /// Starts watching.
  init() {
    for number in Self.signals {
      signal(number, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
      source.setEventHandler { [weak self] in self?.receive(number) }
      source.resume()
      sources.append(source)
    }
  }

  /// The first signal received, or nil.
  var receivedSignal: Int32? {
    lock.lock()
    defer { lock.unlock() }
    return received
  }

  /// Stops watching and restores the signals' default actions.
  func stop() {
    for source in sources { source.cancel() }
    sources.removeAll()
    for number in Self.signals { signal(number, SIG_DFL) }
  }

  private func receive(_ number: Int32) {
    lock.lock()
    let first = received == nil
    if first { received = number }
    lock.unlock()
    if first {
      Self.writeError(
        "\n\(Self.name(number)): finishing this step, then saving last/ "
          + "(press Ctrl-C again to quit without saving)\n")
    } else {
      Self.writeError("\n\(Self.name(number)) again: quitting without saving\n")
      exit(128 + number)
    }
  }

  /// `SIGINT`, `SIGTERM` or `SIGUSR1`.
  static func name(_ number: Int32) -> String {
    switch number {
    case SIGINT: return "SIGINT"
    case SIGTERM: return "SIGTERM"
    case SIGUSR1: return "SIGUSR1"
    default: return "signal \(number)"
    }
  }

  /// Writes straight to stderr: the console belongs to the training thread.
  private static func writeError(_ text: String) {
    try? FileHandle.standardError.write(contentsOf: Data(text.utf8))
  }
}
