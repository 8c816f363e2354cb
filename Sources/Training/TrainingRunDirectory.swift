import Foundation
import Support

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Creates a run directory (`output.dir`) and its missing parents so that a failure leaves
/// nothing behind: each missing component is made in turn and recorded, and when one cannot
/// be made those made before it are removed again. The caller removes them (``remove()``) when
/// the run fails later, before it has written anything worth keeping.
struct TrainingRunDirectory {
  /// The directories this run made, outermost first; empty when `output.dir` existed already.
  let made: [String]

  /// Makes `path` and its missing parents.
  ///
  /// - Throws: ``TrainingError/cannotWrite(path:reason:)`` naming the path and why: too long,
  ///   a component that is a file, permission denied, a file system that makes none (`/proc`).
  init(path: String) throws(TrainingError) {
    // Checked first rather than found after thousands of levels (the kernel's limit).
    if path.utf8.count >= Int(PATH_MAX) {
      throw .cannotWrite(
        path: Self.shortened(path),
        reason: "the path is \(path.utf8.count) bytes long; the system allows \(Int(PATH_MAX) - 1)")
    }
    var made: [String] = []
    for prefix in Self.prefixes(of: path) {
      if mkdir(prefix, 0o777) == 0 {
        made.append(prefix)
        continue
      }
      let code = errno
      var status = stat()
      if code == EEXIST, stat(prefix, &status) == 0, status.st_mode & S_IFMT == S_IFDIR {
        continue
      }
      for directory in made.reversed() { rmdir(directory) }
      throw .cannotWrite(path: Self.shortened(path), reason: Self.reason(prefix, code))
    }
    self.made = made
  }

  /// Removes what ``init(path:)`` made, with everything the run wrote into it since.
  func remove() {
    guard let outermost = made.first else { return }
    try? FileManager.default.removeItem(atPath: outermost)
  }

  /// Removes what ``init(path:)`` made as far as it is still empty.
  func removeIfEmpty() {
    for directory in made.reversed() { rmdir(directory) }
  }

  /// `a`, `a/b`, `a/b/c` for `a/b/c` (`/a`, `/a/b` for `/a/b`).
  static func prefixes(of path: String) -> [String] {
    var prefixes: [String] = []
    var current = path.hasPrefix("/") ? "/" : ""
    for component in path.split(separator: "/") {
      current += (current.isEmpty || current.hasSuffix("/") ? "" : "/") + component
      prefixes.append(current)
    }
    return prefixes
  }

  /// Why `directory` could not be made, from `mkdir`'s `errno`.
  private static func reason(_ directory: String, _ code: Int32) -> String {
    let parent = (directory as NSString).deletingLastPathComponent
    let shown = shortened(directory)
    switch code {
    case EEXIST, ENOTDIR:
      return "'\(shown)' is a file, not a directory"
    case ENOENT:
      // The parent exists (it was made or found just before): its file system makes none.
      return "'\(shortened(parent.isEmpty ? "." : parent))' does not allow new directories"
    case ENAMETOOLONG:
      return "a component of the path is longer than the system allows (\(Int(NAME_MAX)) bytes)"
    default:
      return AtomicFile.createFailureReason(directory, code)
    }
  }

  /// `path` itself, or its start and end when it is too long to read on one line.
  static func shortened(_ path: String) -> String {
    guard path.count > 160 else { return path }
    return "\(path.prefix(70))…\(path.suffix(70))"
  }
}
