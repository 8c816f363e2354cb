import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The checkpoint directories of a run, and the file moves that replace them atomically.
///
///     runs/toy/
///       config.json  bpe.model  metrics.jsonl
///       last/                     the newest state: resume from here
///       best/                     the best validation so far: translate with this
///       checkpoints/step-000250/  the newest `keep_last_checkpoints` models, for averaging
///
/// A checkpoint is first written complete into a staging directory, then installed: its files
/// are hard-linked (no copy) into `.last.new/`, the old `last/` is renamed to `.last.old/`, the
/// new one renamed to `last/`, and the old one removed. A crash at any point leaves either the
/// old or the new checkpoint complete under `last/` or `.last.old/`; ``recover()`` puts the
/// survivor back before the next run reads it.
public struct CheckpointStore: Sendable {
  /// The run directory (`output.dir`).
  public let directory: String

  /// The directory holding the newest complete state.
  public static let lastName = "last"
  /// The directory holding the checkpoint with the best validation.
  public static let bestName = "best"
  /// The directory of the per-step model checkpoints.
  public static let stepsName = "checkpoints"
  /// Where a checkpoint is written before it is installed: `.staging-PID`, one per process, so
  /// that two writers (which the run's lock should already keep apart) never share one.
  static var stagingName: String { "\(stagingPrefix)-\(getpid())" }
  /// The start of every staging directory's name (alone, the name before it held the PID).
  static let stagingPrefix = ".staging"

  /// The store of the run in `directory`.
  public init(directory: String) {
    self.directory = directory
  }

  /// `directory/name`.
  public func path(_ name: String) -> String {
    Self.join(directory, name)
  }

  /// `directory/name`, relative when `directory` is, so that messages show paths as the user
  /// wrote them.
  public static func join(_ directory: String, _ name: String) -> String {
    (directory as NSString).appendingPathComponent(name)
  }

  /// `last/`.
  public var lastPath: String { path(Self.lastName) }
  /// `best/`.
  public var bestPath: String { path(Self.bestName) }
  /// `checkpoints/`.
  public var stepsPath: String { path(Self.stepsName) }

  /// `checkpoints/step-000250` for step 250 (six digits, more when needed).
  public func stepPath(_ step: Int) -> String {
    let digits = String(step)
    let padded = String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    return Self.join(stepsPath, "step-\(padded)")
  }

  /// Whether the run directory holds any checkpoint of an earlier run.
  public var holdsCheckpoints: Bool {
    [lastPath, bestPath, stepsPath, path(".\(Self.lastName).old")].contains {
      FileManager.default.fileExists(atPath: $0)
    }
  }

  /// Finishes or undoes an install that a crash interrupted, and removes half-written
  /// directories, so that `last/` and `best/` are complete checkpoints or absent.
  ///
  /// Call it only while holding the run's lock: every staging directory is taken as stale.
  public func recover() throws(CheckpointDirectoryError) {
    let manager = FileManager.default
    for name in [Self.lastName, Self.bestName] {
      let old = path(".\(name).old")
      if !manager.fileExists(atPath: path(name)), manager.fileExists(atPath: old) {
        try move(old, to: path(name))
      }
      try remove(old)
      try remove(path(".\(name).new"))
    }
    try removeStaging()
  }

  /// Removes the staging directories that crashed runs left (`.staging`, `.staging-PID`).
  ///
  /// Call it only while holding the run's lock, which no writer of them can still hold.
  public func removeStaging() throws(CheckpointDirectoryError) {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
      return
    }
    for name in names.sorted()
    where name == Self.stagingPrefix || name.hasPrefix("\(Self.stagingPrefix)-") {
      try remove(path(name))
    }
  }

  /// An empty staging directory to write the next checkpoint into.
  public func makeStaging() throws(CheckpointDirectoryError) -> String {
    let staging = path(Self.stagingName)
    try remove(staging)
    try makeDirectory(staging)
    return staging
  }

  /// Replaces `directory/name` with the files of `staging`, atomically (see the type's notes).
  /// `staging` is left as it was.
  public func install(_ staging: String, as name: String) throws(CheckpointDirectoryError) {
    let target = path(name)
    let fresh = path(".\(name).new")
    let old = path(".\(name).old")
    try remove(fresh)
    try makeDirectory(fresh)
    for file in try contents(of: staging) {
      try hardLink(
        Self.join(staging, file), to: Self.join(fresh, file))
    }
    try remove(old)
    if FileManager.default.fileExists(atPath: target) { try move(target, to: old) }
    try move(fresh, to: target)
    try remove(old)
  }

  /// Moves `staging` to `checkpoints/step-…/` without the files named in `excluding` (the
  /// optimiser state, which averaging does not need), then removes the oldest step checkpoints
  /// beyond the newest `keep` (0 keeps them all).
  ///
  /// Only the step checkpoints up to `step` count: one of a later step is left from a later
  /// state of the run (its `last/` was replaced by an older checkpoint, and the run resumed
  /// from there), so it is neither counted nor removed, and the one just written always stays.
  /// The run replaces such a checkpoint when it reaches its step; ``steps(after:)`` names them.
  public func keepStep(_ step: Int, from staging: String, excluding: [String], keep: Int)
    throws(CheckpointDirectoryError)
  {
    for file in excluding {
      try remove(Self.join(staging, file))
    }
    try makeDirectory(stepsPath)
    let target = stepPath(step)
    try remove(target)
    try move(staging, to: target)
    guard keep > 0 else { return }
    let steps = try contents(of: stepsPath).compactMap(Self.stepNumber)
      .filter { $0.step <= step }.sorted { $0.step < $1.step }
    for old in steps.dropLast(keep) where old.name != (target as NSString).lastPathComponent {
      try remove(Self.join(stepsPath, old.name))
    }
  }

  /// The step checkpoints of steps after `step` (`checkpoints/step-000500` for a run at step
  /// 20), by step: left from a later state of the run than the one at `step`. Empty when there
  /// are none or `checkpoints/` cannot be listed.
  public func steps(after step: Int) -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: stepsPath)) ?? []
    return names.compactMap(Self.stepNumber).filter { $0.step > step }
      .sorted { ($0.step, $0.name) < ($1.step, $1.name) }.map { Self.join(stepsPath, $0.name) }
  }

  /// `'a'`, `'a' and 'b'`, `'a', 'b' and 3 more` for the step checkpoints `paths`, for a
  /// warning that names the stale ones without filling the screen.
  public static func listed(_ paths: [String]) -> String {
    let quoted = paths.prefix(paths.count > 3 ? 2 : 3).map { "'\($0)'" }
    let rest = paths.count - quoted.count
    if rest > 0 { return quoted.joined(separator: ", ") + " and \(rest) more" }
    guard let last = quoted.last, quoted.count > 1 else { return quoted.first ?? "" }
    return quoted.dropLast().joined(separator: ", ") + " and " + last
  }

  /// The step of the step checkpoint `name` (`step-000250`: 250), nil for another name.
  public static func stepNumber(_ name: String) -> (step: Int, name: String)? {
    guard name.hasPrefix("step-"), let step = Int(name.dropFirst(5)), step >= 0 else {
      return nil
    }
    return (step, name)
  }

  /// Removes `staging` (after a checkpoint that keeps no step copy).
  public func discard(_ staging: String) throws(CheckpointDirectoryError) {
    try remove(staging)
  }

  // MARK: File operations with one-line errors

  private func makeDirectory(_ path: String) throws(CheckpointDirectoryError) {
    do {
      try FileManager.default.createDirectory(
        atPath: path, withIntermediateDirectories: true)
    } catch {
      throw .cannotWrite(path: path, reason: Self.failure(error))
    }
  }

  private func remove(_ path: String) throws(CheckpointDirectoryError) {
    guard FileManager.default.fileExists(atPath: path) else { return }
    do {
      try FileManager.default.removeItem(atPath: path)
    } catch {
      throw .cannotWrite(path: path, reason: "cannot remove it: \(Self.failure(error))")
    }
  }

  private func move(_ source: String, to target: String) throws(CheckpointDirectoryError) {
    if rename(source, target) != 0 {
      throw .cannotWrite(
        path: target, reason: "cannot rename '\(source)' to it: \(String(cString: strerror(errno)))"
      )
    }
  }

  /// A hard link when the file system allows one, else a copy.
  private func hardLink(_ source: String, to target: String) throws(CheckpointDirectoryError) {
    if link(source, target) == 0 { return }
    do {
      try FileManager.default.copyItem(atPath: source, toPath: target)
    } catch {
      throw .cannotWrite(path: target, reason: Self.failure(error))
    }
  }

  private func contents(of directory: String) throws(CheckpointDirectoryError) -> [String] {
    do {
      return try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    } catch {
      throw .cannotWrite(path: directory, reason: "cannot list it: \(Self.failure(error))")
    }
  }

  private static func failure(_ error: Error) -> String {
    (error as NSError).localizedDescription
  }
}
