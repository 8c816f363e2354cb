import Foundation
import NN
import Support

/// `.last-run`: which run was trained most recently, so that `translate` without
/// `--checkpoint` can use the best checkpoint of that run.
///
/// The file sits in the parent of the run directory (`runs/.last-run` for `runs/toy`) and holds
/// one line: the run directory's name relative to that parent (`toy`), so that the pair moves
/// together. Every checkpoint the trainer installs rewrites it atomically.
///
///     let run = TrainingRunPointer.runDirectory(in: "runs")  // "runs/toy"
///     let checkpoint = run.map { $0 + "/best" }
public enum TrainingRunPointer {
  /// The file's name.
  public static let fileName = ".last-run"
  /// Where runs go by default; `translate` looks for the pointer here.
  public static let defaultRunsDirectory = "runs"

  /// Records `runDirectory` as the most recent run, in its parent directory.
  public static func record(runDirectory: String) throws(TrainingError) {
    let run = URL(fileURLWithPath: runDirectory).standardizedFileURL
    let parent = run.deletingLastPathComponent()
    let path = parent.appendingPathComponent(fileName).path
    do {
      try AtomicFile.write(Data((run.lastPathComponent + "\n").utf8), to: path)
    } catch {
      throw .cannotWrite(path: path, reason: error.reason)
    }
  }

  /// The most recently trained run directory among the runs in `directory`, or nil when no
  /// pointer is there or the run it names is gone.
  public static func runDirectory(in directory: String = defaultRunsDirectory) -> String? {
    let parent = URL(fileURLWithPath: directory)
    guard
      let data = FileManager.default.contents(atPath: parent.appendingPathComponent(fileName).path)
    else { return nil }
    let name = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    guard !name.isEmpty, !name.contains("/") else { return nil }
    let run = (directory as NSString).appendingPathComponent(name)
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: run, isDirectory: &isDirectory),
      isDirectory.boolValue
    else { return nil }
    return run
  }
}
