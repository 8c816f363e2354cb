import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The temporary files being written that must not outlive the process: Ctrl-C or SIGTERM
/// during a long `translate --output` would otherwise leave `.NAME.tmp-PID` behind, since the
/// default action of those signals ends the process without unwinding.
///
/// While at least one file is registered, SIGINT and SIGTERM run a handler that unlinks the
/// registered files and then ends the process by the same signal, so the exit status stays the
/// usual 128 + signal. The handler is installed only over the default action: a command that
/// handles the signals itself (`train` ignores them and watches them through dispatch sources)
/// or a parent that made the process ignore them (`nohup`) keeps its behaviour. When the last
/// file is unregistered the earlier actions come back.
public enum TemporaryFiles {
  /// The signals that end a run early and have their files removed.
  public static let signals: [Int32] = [SIGINT, SIGTERM]
  /// At most this many files at once; more are written but not cleaned on a signal.
  static let capacity = 16

  private static let lock = NSLock()
  // The handler may run at any moment on any thread, so the paths live in C memory it can read
  // without taking a lock or touching Swift objects; a slot is written before it is published
  // and cleared before its memory is freed.
  nonisolated(unsafe) private static let slots =
    UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: capacity)
  nonisolated(unsafe) private static var slotsReady = false
  nonisolated(unsafe) private static var registered = 0
  nonisolated(unsafe) private static var installed: [Int32: sigaction] = [:]

  /// Removes `path` if the process is interrupted before ``unregister(_:)``.
  public static func register(_ path: String) {
    lock.lock()
    defer { lock.unlock() }
    if !slotsReady {
      slots.initialize(repeating: nil, count: capacity)
      slotsReady = true
    }
    guard let slot = (0..<capacity).first(where: { slots[$0] == nil }) else { return }
    slots[slot] = strdup(path)
    registered += 1
    if registered == 1 { installHandlers() }
  }

  /// Forgets `path`: it was renamed into place or removed.
  public static func unregister(_ path: String) {
    lock.lock()
    defer { lock.unlock() }
    guard slotsReady else { return }
    for slot in 0..<capacity {
      guard let text = slots[slot], String(cString: text) == path else { continue }
      slots[slot] = nil
      free(text)
      registered -= 1
      if registered == 0 { restoreHandlers() }
      return
    }
  }

  /// Unlinks every registered file; async-signal-safe, for the handler.
  static func removeAll() {
    guard slotsReady else { return }
    for slot in 0..<capacity {
      if let text = slots[slot] { unlink(text) }
    }
  }

  /// Whether the signal handler is in place (for tests).
  static var handlersInstalled: Bool {
    lock.lock()
    defer { lock.unlock() }
    return !installed.isEmpty
  }

  private static func installHandlers() {
    for number in signals {
      var current = sigaction()
      guard sigaction(number, nil, &current) == 0, Self.isDefault(current) else { continue }
      var action = sigaction()
      Self.setHandler(&action) { number in
        TemporaryFiles.removeAll()
        // The default action again, then the same signal: the parent sees the process killed
        // by it, as if there were no handler.
        signal(number, SIG_DFL)
        raise(number)
      }
      sigemptyset(&action.sa_mask)
      var previous = sigaction()
      if sigaction(number, &action, &previous) == 0 { installed[number] = previous }
    }
  }

  private static func restoreHandlers() {
    for (number, previous) in installed {
      var action = previous
      sigaction(number, &action, nil)
    }
    installed.removeAll()
  }

  private static func isDefault(_ action: sigaction) -> Bool {
    #if canImport(Glibc)
      return action.__sigaction_handler.sa_handler == nil
    #else
      return action.__sigaction_u.__sa_handler == nil
    #endif
  }

  private static func setHandler(
    _ action: inout sigaction, _ handler: @escaping @convention(c) (Int32) -> Void
  ) {
    #if canImport(Glibc)
      action.__sigaction_handler.sa_handler = handler
    #else
      action.__sigaction_u.__sa_handler = handler
    #endif
  }
}
