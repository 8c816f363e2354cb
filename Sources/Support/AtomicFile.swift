import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes files under a temporary name beside them and renames them into place, so that an
/// interrupted write never leaves half a file under the real name (a rename within one
/// directory is atomic). Every file the tool saves goes through here.
public enum AtomicFile {
  /// Why a write failed, in words for a one-line error; the caller adds the path.
  public struct Failure: Error {
    public let reason: String
  }

  /// The temporary name beside `path`: hidden, and unique to this process.
  public static func temporaryPath(for path: String) -> String {
    let url = URL(fileURLWithPath: path)
    return url.deletingLastPathComponent().appendingPathComponent(
      ".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)"
    ).path
  }

  /// Writes `data` to `path` through a temporary file. Refuses to replace anything but a
  /// regular file (see ``replacementProblem(_:)``).
  ///
  /// - Parameter describe: turns the error of writing the temporary file into a reason (by
  ///   default Foundation's description).
  public static func write(
    _ data: Data, to path: String,
    describing describe: (Error) -> String = { ($0 as NSError).localizedDescription }
  ) throws(Failure) {
    if let problem = replacementProblem(path) { throw Failure(reason: problem) }
    let temporary = temporaryPath(for: path)
    TemporaryFiles.register(temporary)
    defer { TemporaryFiles.unregister(temporary) }
    do {
      try data.write(to: URL(fileURLWithPath: temporary))
    } catch {
      try? FileManager.default.removeItem(atPath: temporary)
      throw Failure(reason: describe(error))
    }
    try moveIntoPlace(temporary, at: path)
  }

  /// Renames a finished temporary file onto `path`; on failure removes it.
  public static func moveIntoPlace(_ temporary: String, at path: String) throws(Failure) {
    if rename(temporary, path) != 0 {
      let reason = String(cString: strerror(errno))
      try? FileManager.default.removeItem(atPath: temporary)
      throw Failure(reason: reason)
    }
  }
}

extension AtomicFile {
  /// Why `path` must not be replaced by a renamed file, or nil when it may: it is missing or a
  /// regular file. A rename would put a regular file in place of a symbolic link, a device such
  /// as /dev/null, a FIFO or a directory, so those are refused rather than silently replaced;
  /// a symbolic link is not written through, because its target may be anything, anywhere.
  public static func replacementProblem(_ path: String) -> String? {
    var status = stat()
    guard lstat(path, &status) == 0 else { return nil }
    switch status.st_mode & S_IFMT {
    case S_IFREG: return nil
    case S_IFLNK:
      return "it is a symbolic link, which would be replaced by a file; name its target or "
        + "another file"
    case S_IFDIR: return "it is a directory, not a file"
    case S_IFCHR, S_IFBLK: return "it is a device, not a regular file; choose a regular file"
    case S_IFIFO: return "it is a named pipe, not a regular file; choose a regular file"
    case S_IFSOCK: return "it is a socket, not a regular file; choose a regular file"
    default: return "it is not a regular file; choose a regular file"
    }
  }

  /// Why a file could not be created in the directory of `path`, from the `errno` of the
  /// attempt: says which component is missing or is a file rather than a directory, instead
  /// of one message for all of them.
  public static func createFailureReason(_ path: String, _ code: Int32) -> String {
    let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
    switch code {
    case ENOENT, ENOTDIR:
      // Walk up to the first component that exists to say what is in the way, spelled as the
      // user typed it.
      var component = (path as NSString).deletingLastPathComponent
      var directoryMissing = false
      while !component.isEmpty {
        var status = stat()
        if stat(component, &status) == 0 {
          if status.st_mode & S_IFMT != S_IFDIR {
            return "'\(component)' is a file, not a directory"
          }
          break
        }
        directoryMissing = true
        let parent = (component as NSString).deletingLastPathComponent
        if parent == component { break }
        component = parent
      }
      if directoryMissing { return "the directory '\(directory)' does not exist" }
      return "files cannot be created in '\(directory)' (\(String(cString: strerror(code))))"
    case EACCES, EPERM: return "permission denied in '\(directory)'"
    case EROFS: return "'\(directory)' is on a read-only file system"
    case EISDIR: return "it is a directory, not a file"
    default: return String(cString: strerror(code))
    }
  }
}
