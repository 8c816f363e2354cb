import Support
import Tensors

/// Refuses a benchmark whose estimated memory exceeds what the system has available before it
/// starts, as the standard attention kernel's check does: otherwise sizes typed by hand end in
/// an allocation failure, or in the system killing the process after minutes of swapping.
enum BenchMemoryCheck {
  /// The end of a one-line error for an estimate of `bytes` (nil: too large to count), or nil
  /// when it fits in `availableBytes` (by default `MemAvailable`, else the physical memory; a
  /// countable estimate passes when neither can be read).
  static func problem(
    _ bytes: Int?, availableBytes: Int? = ProcessMemory.availableBytes()
  ) -> String? {
    let gigabytes = StandardAttentionMemory.gigabytes
    guard let bytes else { return "need more bytes than a 64-bit integer counts" }
    guard let availableBytes, bytes > availableBytes else { return nil }
    return "need about \(gigabytes(bytes)) (\(bytes) bytes), more than the "
      + "\(gigabytes(availableBytes)) of memory available"
  }
}
