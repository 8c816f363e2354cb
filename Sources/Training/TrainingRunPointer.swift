import Foundation
import NN
import Support

/// `runs/.last-run`: which run was trained most recently, so that `translate`, `eval`,
/// `attention` and `trace` without `--checkpoint` can use the best checkpoint of that run.
///
/// There is one pointer, `runs/.last-run` relative to the current directory (as the config's
/// data paths are), whatever `output.dir` is: training into `exp/a` points there too. It holds
/// one line: the run directory relative to `runs/` (`toy` for `runs/toy`, `../exp/a` for
/// `exp/a`, so that a project moves as a whole), or its absolute path when the two share no
/// directory below the root. Every checkpoint the trainer installs rewrites it atomically.
///
///     let run = TrainingRunPointer.runDirectory()  // "runs/toy"
///     let checkpoint = run.map { $0 + "/best" }
public enum TrainingRunPointer {
  /// The file's name.
  public static let fileName = ".last-run"
  /// The directory of the pointer, relative to the current directory.
  public static let defaultRunsDirectory = "runs"
  /// `runs/.last-run`, as messages name it.
  public static var defaultPath: String { defaultRunsDirectory + "/" + fileName }

  /// Records `runDirectory` as the most recent run in `directory`'s pointer, creating
  /// `directory` if needed.
  public static func record(runDirectory: String, in directory: String = defaultRunsDirectory)
    throws(TrainingError)
  {
    let run = URL(fileURLWithPath: runDirectory).standardizedFileURL
    let parent = URL(fileURLWithPath: directory).standardizedFileURL
    let path = (directory as NSString).appendingPathComponent(fileName)
    let name = relativePath(of: run.path, from: parent.path)
    do {
      try FileManager.default.createDirectory(
        atPath: parent.path, withIntermediateDirectories: true)
    } catch {
      throw .cannotWrite(path: path, reason: (error as NSError).localizedDescription)
    }
    do {
      try AtomicFile.write(Data((name + "\n").utf8), to: path)
    } catch {
      throw .cannotWrite(path: path, reason: error.reason)
    }
  }

  /// The most recently trained run directory that `directory`'s pointer names, or nil when no
  /// pointer is there or the run it names is gone.
  public static func runDirectory(in directory: String = defaultRunsDirectory) -> String? {
    guard let run = recordedRun(in: directory) else { return nil }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: run, isDirectory: &isDirectory),
      isDirectory.boolValue
    else { return nil }
    return run
  }

  /// The run directory `directory`'s pointer names, whether or not it still exists; nil when no
  /// pointer is there or it is blank. Messages use it to name a run that has gone.
  public static func recordedRun(in directory: String = defaultRunsDirectory) -> String? {
    let parent = URL(fileURLWithPath: directory)
    guard
      let data = FileManager.default.contents(atPath: parent.appendingPathComponent(fileName).path)
    else { return nil }
    let name = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    guard !name.isEmpty else { return nil }
    return name.hasPrefix("/")
      ? name : normalized((directory as NSString).appendingPathComponent(name))
  }

  /// `run` relative to `parent` (`toy`, `../exp/a`), both absolute and standardized; `run`
  /// itself when they share no directory below the root.
  static func relativePath(of run: String, from parent: String) -> String {
    let runParts = run.split(separator: "/").map(String.init)
    let parentParts = parent.split(separator: "/").map(String.init)
    var common = 0
    while common < min(runParts.count, parentParts.count), runParts[common] == parentParts[common] {
      common += 1
    }
    guard common > 1 else { return run }
    let parts =
      Array(repeating: "..", count: parentParts.count - common) + runParts[common...]
    return parts.isEmpty ? "." : parts.joined(separator: "/")
  }

  /// `path` with `.` and `dir/..` removed: `runs/../exp/a` is `exp/a`.
  static func normalized(_ path: String) -> String {
    var parts: [Substring] = []
    for part in path.split(separator: "/") where part != "." {
      if part == "..", let last = parts.last, last != ".." {
        parts.removeLast()
      } else {
        parts.append(part)
      }
    }
    let joined = parts.joined(separator: "/")
    return path.hasPrefix("/") ? "/" + joined : (joined.isEmpty ? "." : joined)
  }
}
