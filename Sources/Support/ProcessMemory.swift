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

  /// The memory the system could give this process now, in bytes: `MemAvailable` from
  /// `/proc/meminfo`, else the physical memory (`sysconf` pages × page size), and no more than
  /// its control group's limit leaves (`CgroupMemory`: a container's `--memory`); nil if none
  /// of them can be read.
  public static func availableBytes(
    meminfo path: String = "/proc/meminfo", cgroupRoot: String = ""
  ) -> Int? {
    var bytes: Int? = nil
    if let text = try? String(contentsOfFile: path, encoding: .utf8) {
      bytes = availableBytes(meminfoText: text)
    }
    return smaller(bytes ?? physicalBytes(), CgroupMemory.current(root: cgroupRoot)?.availableBytes)
  }

  /// The memory this process may use at most, in bytes: the physical memory, or its control
  /// group's limit when that is lower; nil if neither can be read.
  public static func totalBytes(cgroupRoot: String = "") -> Int? {
    smaller(physicalBytes(), CgroupMemory.current(root: cgroupRoot)?.limitBytes)
  }

  private static func smaller(_ a: Int?, _ b: Int?) -> Int? {
    guard let a else { return b }
    guard let b else { return a }
    return Swift.min(a, b)
  }

  /// The `MemAvailable:  123456 kB` line of a meminfo text, in bytes.
  public static func availableBytes(meminfoText text: String) -> Int? {
    for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
      let fields = line.split(separator: " ", omittingEmptySubsequences: true)
      guard fields.count >= 2, let kilobytes = Int(fields[1]) else { return nil }
      return kilobytes * 1024
    }
    return nil
  }

  /// The machine's physical memory in bytes, from `sysconf`; nil if it is not reported.
  public static func physicalBytes() -> Int? {
    let pages = sysconf(Int32(_SC_PHYS_PAGES))
    let pageSize = sysconf(Int32(_SC_PAGESIZE))
    guard pages > 0, pageSize > 0 else { return nil }
    return pages * pageSize
  }
}
