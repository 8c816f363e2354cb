import Foundation
import Support

/// The one overwrite rule of the commands that write a file or directory the user names
/// (`translate --output`, `eval --output`, `plot`, `average --output`): an existing one is
/// replaced only with `--force`. (`train` never replaces a run: it refuses a directory holding
/// checkpoints and continues it with `--resume`.)
enum OutputPolicy {
  /// Throws unless `path` is free or `force` allows replacing it.
  ///
  /// - Throws: `RuntimeError` naming the path and the two ways out.
  static func check(_ path: String, force: Bool, option: String = "--output")
    throws(RuntimeError)
  {
    guard !force, FileManager.default.fileExists(atPath: path) else { return }
    throw RuntimeError(
      "'\(path)' exists; pass --force to replace it, or choose another \(option)")
  }

  /// Whether two paths name the same file: the same device and inode when both exist (so a
  /// hard link counts too), else the same path after `.`/`..` and symbolic links.
  static func sameFile(_ first: String, _ second: String) -> Bool {
    func resolved(_ path: String) -> String {
      URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }
    return FileIdentity.same(first, second) || resolved(first) == resolved(second)
  }
}
