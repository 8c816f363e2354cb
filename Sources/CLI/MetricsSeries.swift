import Foundation
import Support
import Training

/// The curves of one run's `metrics.jsonl`: for each metric key (`loss`, `lr`, `valid_loss`,
/// `valid_bleu`, …), its (step, value) points in file order.
///
/// Lines are the objects ``MetricsLog`` writes; keys other than `step` whose values are numbers
/// become series, `null` (a non-finite number) and numbers past the `Double` range (`1e400`) are
/// left out and counted by key (``leftOut``), blank lines are ignored.
struct MetricsSeries {
  /// The run's name as a legend shows it (the run directory's last path component).
  var name: String
  /// The `metrics.jsonl` read.
  let path: String
  /// Each metric's points, by key.
  private(set) var points: [String: [(x: Double, y: Double)]] = [:]
  /// For each key, how many of its values were left out for not being finite numbers, and the
  /// line number of the first.
  private(set) var leftOut: [String: (count: Int, firstLine: Int)] = [:]

  /// Reads `runDirectory/metrics.jsonl`.
  ///
  /// - Throws: `RuntimeError` naming the file: missing, unreadable or empty, or naming the
  ///   file and line number of the first line that is not a metrics object.
  init(runDirectory: String) throws(RuntimeError) {
    let name = URL(fileURLWithPath: runDirectory).standardizedFileURL.lastPathComponent
    let path = MetricsLog(directory: runDirectory).path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: runDirectory, isDirectory: &isDirectory),
      isDirectory.boolValue
    else {
      throw RuntimeError(
        "'\(runDirectory)' is not a directory; name a run directory such as runs/toy")
    }
    guard let data = FileManager.default.contents(atPath: path) else {
      var isDirectory: ObjCBool = false
      let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
      let reason =
        !exists ? "no such file" : isDirectory.boolValue ? "it is a directory" : "permission denied"
      throw RuntimeError(
        "cannot read '\(path)': \(reason); is '\(runDirectory)' a run directory of "
          + "'transformer-cli train'?")
    }
    try self.init(name: name, path: path, data: data)
  }

  /// Parses the bytes of a metrics file; `path` is for messages.
  init(name: String, path: String, data: Data) throws(RuntimeError) {
    self.name = name
    self.path = path
    var lineNumber = 0
    var sawLine = false
    for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
      lineNumber += 1
      if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") || $0 == 9 }) {
        continue
      }
      sawLine = true
      try add(Data(line), lineNumber: lineNumber)
    }
    guard sawLine else {
      throw RuntimeError("'\(path)' is empty: the run has logged nothing yet")
    }
  }

  /// `warning: 'runs/toy/metrics.jsonl': 2 values left out of the plot …`: the values of `keys`
  /// (those drawn) left out; nil when there are none.
  func leftOutWarning(keys: [String]) -> String? {
    let counts = keys.compactMap { key in leftOut[key].map { (key, $0.count, $0.firstLine) } }
    let total = counts.reduce(0) { $0 + $1.1 }
    guard let first = counts.min(by: { $0.2 < $1.2 }) else { return nil }
    let what = total == 1 ? "1 value" : "\(total) values"
    let number = total == 1 ? "a finite number" : "finite numbers"
    return "warning: '\(path)': \(what) left out of the plot for not being \(number) (null, or "
      + "past ±1.8e308 such as 1e400), the first \"\(first.0)\" on line \(first.2)"
  }

  /// The points of `key`, empty when the run never logged it.
  func series(_ key: String) -> [(x: Double, y: Double)] {
    points[key] ?? []
  }

  /// Adds the numbers of one line.
  private mutating func add(_ line: Data, lineNumber: Int) throws(RuntimeError) {
    func failure(_ reason: String) -> RuntimeError {
      RuntimeError(
        "'\(path)' line \(lineNumber): \(reason); each line must be one JSON object "
          + "as 'transformer-cli train' writes it")
    }
    guard let object = try? JSONValue.parse(line), let members = object.members else {
      throw failure("not a JSON object")
    }
    guard let step = object["step"]?.double, step.isFinite, step >= 0 else {
      throw failure("no numeric \"step\"")
    }
    for (key, value) in members where key != "step" {
      guard value == .null || value.double != nil else {
        throw failure("\"\(key)\" is not a number")
      }
      guard let number = value.double, number.isFinite else {
        leftOut[key, default: (0, lineNumber)].count += 1
        continue
      }
      points[key, default: []].append((step, number))
    }
  }
}
