import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A file as the file system knows it (device and inode), so that two spellings of one file
/// (`a.txt`, `./a.txt`, a symbolic link, a hard link) compare equal.
public struct FileIdentity: Equatable, Hashable, Sendable {
  public let device: UInt64
  public let inode: UInt64

  /// The file `path` names, following symbolic links; nil when it does not exist.
  public init?(path: String) {
    var status = stat()
    guard stat(path, &status) == 0 else { return nil }
    device = UInt64(status.st_dev)
    inode = UInt64(status.st_ino)
  }

  /// Whether `first` and `second` name one existing file.
  public static func same(_ first: String, _ second: String) -> Bool {
    guard let a = FileIdentity(path: first), let b = FileIdentity(path: second) else {
      return false
    }
    return a == b
  }

  /// Whether the existing directory `ancestor` is `path` or holds it at any depth. Compared by
  /// identity, directory by directory up from `path`, so no spelling of either can hide it.
  public static func contains(_ ancestor: String, _ path: String) -> Bool {
    guard let target = FileIdentity(path: ancestor) else { return false }
    var url = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath()
    while true {
      if FileIdentity(path: url.path) == target { return true }
      let parent = url.deletingLastPathComponent()
      if parent.path == url.path { return false }
      url = parent
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
      // Walk up to the first component that exists to say what is in the way.
      var url = URL(fileURLWithPath: directory)
      var directoryMissing = false
      while true {
        var status = stat()
        if stat(url.path, &status) == 0 {
          if status.st_mode & S_IFMT != S_IFDIR {
            return "'\(url.path)' is a file, not a directory"
          }
          break
        }
        directoryMissing = true
        let parent = url.deletingLastPathComponent()
        if parent.path == url.path { break }
        url = parent
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
