import Foundation
import Support

/// A text file written through a temporary file beside it and renamed into place by
/// `commit()`, so that a run that fails half-way never leaves half a file under the real name.
///
/// Writes are buffered; the first write error is kept and thrown by `commit()`.
final class OutputFile {
  /// The path the file gets when committed.
  let path: String
  private let temporaryPath: String
  private var descriptor: Int32
  private var buffer: [UInt8] = []
  private var failure: Int32 = 0
  private static let bufferSize = 1 << 16

  /// Creates the temporary file beside `path`. Throws `RuntimeError` naming `path` when the
  /// directory is missing or not writable.
  init(path: String) throws(RuntimeError) {
    self.path = path
    temporaryPath = AtomicFile.temporaryPath(for: path)
    descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else {
      throw OutputFile.writeError(path: path, reason: OutputFile.openFailureReason(path, errno))
    }
  }

  deinit {
    if descriptor >= 0 { discard() }
  }

  /// Appends `text`.
  func write(_ text: String) {
    buffer.append(contentsOf: text.utf8)
    if buffer.count >= OutputFile.bufferSize { flush() }
  }

  /// Writes what is buffered and renames the file to `path`.
  func commit() throws(RuntimeError) {
    flush()
    let closed = close(descriptor)
    descriptor = -1
    if failure == 0, closed != 0 { failure = errno }
    if failure == 0, rename(temporaryPath, path) != 0 { failure = errno }
    guard failure == 0 else {
      unlink(temporaryPath)
      throw OutputFile.writeError(path: path, reason: String(cString: strerror(failure)))
    }
  }

  /// Closes and deletes the temporary file, leaving `path` as it was.
  func discard() {
    if descriptor >= 0 { close(descriptor) }
    descriptor = -1
    unlink(temporaryPath)
  }

  private func flush() {
    var offset = 0
    while failure == 0, offset < buffer.count {
      let written = buffer.withUnsafeBytes { bytes in
        Foundation.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
      }
      if written >= 0 {
        offset += written
      } else if errno != EINTR {
        failure = errno
      }
    }
    buffer.removeAll(keepingCapacity: true)
  }

  private static func writeError(path: String, reason: String) -> RuntimeError {
    RuntimeError("cannot write '\(path)': \(reason)")
  }

  /// Why the temporary file beside `path` could not be created, in a few words.
  private static func openFailureReason(_ path: String, _ code: Int32) -> String {
    let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
    switch code {
    case ENOENT, ENOTDIR: return "the directory '\(directory)' does not exist"
    case EACCES: return "permission denied in '\(directory)'"
    default: return String(cString: strerror(code))
    }
  }
}
