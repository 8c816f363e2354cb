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

  /// Checks an output option's value before any work: an empty path names no file; `-`, which
  /// many tools read as standard output, is refused rather than written as a file named `-`
  /// (`--output` already defaults to standard output; `./-` still names that file); `--force`
  /// without the option has nothing to replace.
  ///
  /// - Parameters:
  ///   - path: the option's value, nil when not given.
  ///   - option: the option's spelling, `--output` or `--svg`.
  /// - Throws: `UsageError` naming the option.
  static func checkOption(_ path: String?, option: String = "--output", force: Bool)
    throws(UsageError)
  {
    guard let path else {
      if force {
        throw UsageError("'--force' replaces an existing \(option) file; give '\(option) <file>'")
      }
      return
    }
    if path.isEmpty {
      throw UsageError("'\(option)' needs a file name, got an empty one")
    }
    if path == "-" {
      let standardOutput =
        option == "--output" ? "to write to standard output leave out --output; " : ""
      throw UsageError(
        "'\(option) -' would write a file named '-'; \(standardOutput)for a file named '-' "
          + "write './-'")
    }
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
