import Foundation
import Support

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The exclusive lock a training run holds on its directory from setting up to its end, so that
/// a second `train` (fresh or `--resume`) into the same `output.dir` is refused instead of
/// mixing its checkpoints and metrics with the first's.
///
/// It is `flock(2)` on ``fileName`` in the directory, taken without waiting. The kernel releases
/// it when the process ends, however it ends, so a crashed run leaves no stale lock; the file
/// itself stays (removing it would let a waiting process lock a file no longer in the
/// directory). The holder writes its process id and host name into the file, for the message
/// that refuses the next run. In an MPI run only rank 0 takes it: the other ranks share rank
/// 0's directory and write nothing there.
public final class TrainingRunLock {
  /// The lock file's name in the run directory.
  public static let fileName = ".lock"

  /// The locked file's descriptor; -1 once released.
  private var descriptor: Int32

  /// Takes the lock on `directory`, which must exist.
  ///
  /// - Throws: ``TrainingError/runLocked(directory:holder:)`` when another process holds it,
  ///   ``TrainingError/cannotWrite(path:reason:)`` when the lock file cannot be opened.
  public init(directory: String) throws(TrainingError) {
    let path = (directory as NSString).appendingPathComponent(Self.fileName)
    // Made before locking, so that it is written at once.
    let text = "\(getpid()) \(Self.hostName)\n"
    // Never through a symbolic link: the holder's line would overwrite whatever file it names
    // (a dangling one would create a file outside the run). And only a regular file: a FIFO
    // or a device is no lock.
    let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o644)
    guard descriptor >= 0 else {
      let code = errno
      if code == ELOOP {
        throw .cannotWrite(
          path: path,
          reason: "it is a symbolic link, which a lock file must not be; remove it (the run "
            + "makes its own)")
      }
      throw .cannotWrite(path: path, reason: AtomicFile.createFailureReason(path, code))
    }
    var status = stat()
    guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
      close(descriptor)
      throw .cannotWrite(
        path: path, reason: "it is not a regular file; remove it (the run makes its own)")
    }
    guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
      let code = errno
      let holder = Self.holder(descriptor)
      close(descriptor)
      if code == EWOULDBLOCK {
        throw .runLocked(directory: directory, holder: holder)
      }
      throw .cannotWrite(path: path, reason: "cannot lock it: \(String(cString: strerror(code)))")
    }
    self.descriptor = descriptor
    // Who holds it, for the refusal, in place of the previous holder's line.
    let written = text.withCString { pwrite(descriptor, $0, strlen($0), 0) }
    if written >= 0 { _ = ftruncate(descriptor, off_t(written)) }
  }

  deinit { release() }

  /// Releases the lock (ending the process does too).
  public func release() {
    guard descriptor >= 0 else { return }
    close(descriptor)
    descriptor = -1
  }

  /// This machine's name (`gethostname`, without Foundation's name-service lookups).
  private static var hostName: String {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count - 1) == 0 else { return "?" }
    return String(cString: buffer)
  }

  /// "process 1234" (with " on HOST" when it is another machine's) from the lock file, or nil
  /// when the holder has not written it yet.
  private static func holder(_ descriptor: Int32) -> String? {
    var words: [Substring] = []
    // A holder that has just locked writes its line a moment later: wait up to 0.1 s for it.
    for attempt in 0..<10 {
      if attempt > 0 { usleep(10_000) }
      var buffer = [UInt8](repeating: 0, count: 512)
      let count = pread(descriptor, &buffer, buffer.count, 0)
      guard count > 0 else { continue }
      words = String(decoding: buffer[..<count], as: UTF8.self).split(
        whereSeparator: \.isWhitespace)
      if words.count > 1 { break }
    }
    guard let pid = words.first.flatMap({ Int32($0) }), pid > 0 else { return nil }
    if words.count > 1, words[1] != hostName {
      return "process \(pid) on \(words[1])"
    }
    return "process \(pid)"
  }
}
