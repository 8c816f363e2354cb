import Foundation

/// The memory this process has used, for `train`'s summary and `bench train`.
public enum ProcessMemory {
  /// `VmHWM` from `/proc/self/status` (the peak resident set size, in kB), in MB; nil where
  /// there is no such file (not Linux).
  public static func peakResidentMegabytes(status path: String = "/proc/self/status") -> Double? {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
    return peakResidentMegabytes(statusText: text)
  }

  /// The `VmHWM:   123456 kB` line of a status text, in MB.
  public static func peakResidentMegabytes(statusText text: String) -> Double? {
    for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
      let fields = line.split(separator: " ", omittingEmptySubsequences: true)
      guard fields.count >= 2, let kilobytes = Double(fields[1]) else { return nil }
      return kilobytes * 1024 / 1e6
    }
    return nil
  }
}
