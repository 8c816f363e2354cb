import Foundation

/// Opens and reads the files a command is given, with errors that name the file and say why in
/// a few words (`cannot read 'ref.txt': no such file`).
///
/// The POSIX calls are used directly, for two reasons: Foundation's messages on Linux are often
/// generic while `errno` says exactly what went wrong, and Foundation's whole-file reads fail on
/// what is not a regular file, while `read(2)` streams a pipe, `/dev/stdin` or `<(command)` as
/// it streams a file.
public enum TextFileDescriptor {
  /// A file descriptor open for reading `path`.
  public static func open(_ path: String) throws(TextFileError) -> Int32 {
    let descriptor = Foundation.open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else {
      throw .cannotRead(path: path, reason: reason(errno))
    }
    return descriptor
  }

  /// Every byte of the file at `path`, read until its end, so a pipe works as a file does.
  ///
  /// Reading stops with ``TextFileError/tooLarge(path:limit:)`` as soon as more than `limit`
  /// bytes came, so an endless source (`/dev/zero`) costs at most `limit` bytes of memory.
  public static func contents(of path: String, limit: Int) throws(TextFileError) -> [UInt8] {
    let descriptor = try open(path)
    defer { close(descriptor) }
    var bytes: [UInt8] = []
    while try read(descriptor, appendingTo: &bytes, path: path) > 0 {
      if bytes.count > limit { throw .tooLarge(path: path, limit: limit) }
    }
    return bytes
  }

  /// Reads the next chunk of `descriptor` onto the end of `bytes` and returns how many bytes came
  /// (0 at the end of the file). `path` names the file in errors.
  public static func read(_ descriptor: Int32, appendingTo bytes: inout [UInt8], path: String)
    throws(TextFileError) -> Int
  {
    let chunkSize = 1 << 16
    let oldCount = bytes.count
    bytes.append(contentsOf: repeatElement(0, count: chunkSize))
    var count: Int
    repeat {
      count = bytes.withUnsafeMutableBytes { buffer in
        Foundation.read(descriptor, buffer.baseAddress! + oldCount, chunkSize)
      }
    } while count < 0 && errno == EINTR
    let failure = count < 0 ? errno : 0
    bytes.removeLast(chunkSize - max(count, 0))
    guard count >= 0 else {
      throw .cannotRead(path: path, reason: reason(failure))
    }
    return count
  }

  /// `errno` in a few words, worded as ``TextFile/readFailureReason(path:error:)`` words the
  /// same failures.
  public static func reason(_ code: Int32) -> String {
    switch code {
    case ENOENT: return "no such file"
    case EACCES: return "permission denied"
    case EISDIR: return "it is a directory, not a file"
    default: return String(cString: strerror(code))
    }
  }
}
