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
    // dev_t is signed on some systems: keep its bits rather than trap on a negative one.
    device = UInt64(truncatingIfNeeded: status.st_dev)
    inode = UInt64(truncatingIfNeeded: status.st_ino)
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
