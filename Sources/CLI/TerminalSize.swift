import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The width of the terminal a stream is shown on, for lines that must not wrap (the live
/// training line, the attention heatmap, the trace table).
enum TerminalSize {
  /// What is assumed when neither the terminal nor `$COLUMNS` says: the classic 80 columns.
  static let defaultColumns = 80

  /// The columns of the terminal behind `descriptor` (`TIOCGWINSZ`), else `$COLUMNS`, else 80.
  /// Asked afresh on each call, so a resized window is followed.
  static func columns(of descriptor: Int32) -> Int {
    var size = winsize()
    if ioctl(descriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 {
      return Int(size.ws_col)
    }
    return columns(environment: ProcessInfo.processInfo.environment)
  }

  /// `$COLUMNS` when it is a positive number, else 80.
  static func columns(environment: [String: String]) -> Int {
    if let text = environment["COLUMNS"], let value = Int(text), value > 0 { return value }
    return defaultColumns
  }
}
