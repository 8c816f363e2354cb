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
  /// The lock file's path.
  private let path: String
  /// Whether this process made the lock file (it was not there before).
  private let created: Bool

  /// Takes the lock on `directory`, which must exist.
  ///
  /// - Throws: ``TrainingError/runLocked(directory:holder:)`` when another process holds it,
  ///   ``TrainingError/cannotWrite(path:reason:)`` when the lock file cannot be opened.
  public init(directory: String) throws(TrainingError) {
    let path = (directory as NSString).appendingPathComponent(Self.fileName)
    let acquired = try Self.acquire(path, directory: directory)
    descriptor = acquired.descriptor
    created = acquired.created
    self.path = path
    // Who holds it, for the refusal, in place of the previous holder's line.
    let text = "\(getpid()) \(Self.hostName)\n"
    let written = text.withCString { pwrite(descriptor, $0, strlen($0), 0) }
    if written >= 0 { _ = ftruncate(descriptor, off_t(written)) }
  }

  /// Opens (making it if missing) and locks the lock file at `path`: its descriptor, and
  /// whether this process made it.
  private static func acquire(_ path: String, directory: String) throws(TrainingError) -> (
    descriptor: Int32, created: Bool
  ) {
    // Never through a symbolic link: the holder's line would overwrite whatever file it names
    // (a dangling one would create a file outside the run). And only a regular file: a FIFO
    // or a device is no lock.
    let flags = O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK
    for _ in 0..<8 {
      var descriptor = open(path, flags | O_CREAT | O_EXCL, 0o644)
      let created = descriptor >= 0
      if !created && errno == EEXIST { descriptor = open(path, flags) }
      if !created && descriptor < 0 && errno == ENOENT { continue }  // removed meanwhile
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
        throw .cannotWrite(
          path: path, reason: "cannot lock it: \(String(cString: strerror(code)))")
      }
      // A run that could not start removes the lock file it made (``discard()``): if that
      // happened between this open and this lock, the file locked is no longer the one in the
      // directory, and the next run would lock another. Take the one there now.
      var onDisk = stat()
      if lstat(path, &onDisk) == 0, onDisk.st_dev == status.st_dev, onDisk.st_ino == status.st_ino {
        return (descriptor, created)
      }
      close(descriptor)
    }
    throw .cannotWrite(path: path, reason: "it keeps being removed and made again")
  }

  deinit { release() }

  /// Releases the lock (ending the process does too).
  public func release() {
    guard descriptor >= 0 else { return }
    close(descriptor)
    descriptor = -1
  }

  /// Releases the lock and removes the lock file if this process made it: a run that could
  /// not start leaves a directory that existed before as it found it.
  func discard() {
    // Removed while still locked: a run that opened it meanwhile sees it gone once it locks
    // it, and takes the new one (``acquire(_:directory:)``).
    if descriptor >= 0 && created { unlink(path) }
    release()
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
