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
