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
  /// directory is missing or not writable, when `path` is not a regular file (a symbolic link,
  /// a device, a directory: committing would replace it), or when this process has `path` open,
  /// which means it is an input of the command that the output would replace.
  init(path: String) throws(RuntimeError) {
    self.path = path
    temporaryPath = AtomicFile.temporaryPath(for: path)
    if let problem = AtomicFile.replacementProblem(path) {
      throw OutputFile.writeError(path: path, reason: problem)
    }
    if OutputFile.isOpenInThisProcess(path) {
      throw OutputFile.writeError(
        path: path,
        reason: "it is an input of this command, which the output would replace; write to "
          + "another file")
    }
    // Registered before it exists, so that no signal between the two leaves it behind
    // (unlinking a file not yet created is harmless).
    TemporaryFiles.register(temporaryPath)
    descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else {
      let reason = AtomicFile.createFailureReason(path, errno)
      TemporaryFiles.unregister(temporaryPath)
      throw OutputFile.writeError(path: path, reason: reason)
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
    TemporaryFiles.unregister(temporaryPath)
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
    TemporaryFiles.unregister(temporaryPath)
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

  /// Whether one of this process's file descriptors (the `--input` being read, or standard
  /// input redirected from the file) is the existing file `path`. Streaming commands read
  /// their input while writing the output, so comparing the open files by identity catches
  /// every spelling of the same file. Linux only (/proc); elsewhere false.
  static func isOpenInThisProcess(_ path: String) -> Bool {
    #if os(Linux)
      guard let target = FileIdentity(path: path),
        let descriptors = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")
      else { return false }
      return descriptors.contains { name in
        // Only descriptors open for reading: stdout redirected to the file is not an input.
        guard let number = Int32(name), fcntl(number, F_GETFL) & O_ACCMODE != O_WRONLY else {
          return false
        }
        return FileIdentity(path: "/proc/self/fd/\(name)") == target
      }
    #else
      return false
    #endif
  }
}
