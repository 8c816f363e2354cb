import Foundation

/// The memory limit of the control group this process runs in: a container's `--memory`, a
/// systemd unit's `MemoryMax`, a batch scheduler's allocation. `/proc/meminfo` and `sysconf`
/// report the whole machine, so a process inside a 4 GB container that trusted them would be
/// killed by the kernel's OOM killer instead of refused with a message.
///
/// Both cgroup versions, as `/proc/self/cgroup` names them: v2 (`0::/path`, files `memory.max`
/// and `memory.current` under `/sys/fs/cgroup`) and v1 (`N:memory:/path` or a list holding
/// `memory`, files `memory.limit_in_bytes` and `memory.usage_in_bytes` under
/// `/sys/fs/cgroup/memory`). A limit set on a parent group binds the children too, so every
/// group from the process's up to the root counts, and the tightest wins. Inside a cgroup
/// namespace the path reads `/` and the process's own group is the hierarchy's root directory;
/// in a container without one, the path is the host's and only its tail is mounted.
public struct CgroupMemory: Equatable, Sendable {
  /// The tightest limit in bytes.
  public var limitBytes: Int
  /// What the group with that limit has in use now, in bytes, less its page cache (which the
  /// kernel reclaims before it kills anything; counting it would refuse runs that fit).
  public var usageBytes: Int

  public init(limitBytes: Int, usageBytes: Int) {
    self.limitBytes = limitBytes
    self.usageBytes = usageBytes
  }

  /// What this process could still allocate before the group's limit.
  public var availableBytes: Int { Swift.max(0, limitBytes - usageBytes) }

  /// The limit of this process's groups, or nil when none is set (or there are no cgroups).
  ///
  /// - Parameter root: the file system's root, a directory of fake `proc` and `sys` trees in
  ///   tests.
  public static func current(root: String = "") -> CgroupMemory? {
    guard let text = try? String(contentsOfFile: root + "/proc/self/cgroup", encoding: .utf8)
    else { return nil }
    var tightest: CgroupMemory? = nil
    for group in groups(cgroupText: text) {
      let base = root + (group.version2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/memory")
      let limitFile = group.version2 ? "memory.max" : "memory.limit_in_bytes"
      let usageFile = group.version2 ? "memory.current" : "memory.usage_in_bytes"
      // The page cache in `memory.stat`: v2 "file", v1 "total_cache" (with its children's).
      let cacheKeys = group.version2 ? ["file"] : ["total_cache", "cache"]
      for directory in ancestors(of: group.path, under: base) {
        guard let limit = readInteger(directory + "/" + limitFile) else { continue }
        let usage = readInteger(directory + "/" + usageFile) ?? 0
        let cache = statistic(cacheKeys, file: directory + "/memory.stat") ?? 0
        let found = CgroupMemory(limitBytes: limit, usageBytes: Swift.max(0, usage - cache))
        if tightest == nil || found.availableBytes < tightest!.availableBytes {
          tightest = found
        }
      }
    }
    return tightest
  }

  /// The memory groups a `/proc/self/cgroup` text names: the v2 line (`0::/path`) and the v1
  /// line whose controllers include `memory`.
  static func groups(cgroupText text: String) -> [(version2: Bool, path: String)] {
    var result: [(version2: Bool, path: String)] = []
    for line in text.split(separator: "\n") {
      let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
      guard fields.count == 3 else { continue }
      if fields[0] == "0" && fields[1].isEmpty {
        result.append((true, String(fields[2])))
      } else if fields[1].split(separator: ",").contains("memory") {
        result.append((false, String(fields[2])))
      }
    }
    return result
  }

  /// The directories of `path`'s group and of each parent up to `base` itself, which exist.
  ///
  /// The hierarchy may be mounted from one of its groups down (a container sees only its own
  /// subtree at `base`, while `/proc/self/cgroup` names the full path), so the group's directory
  /// is the longest tail of `path` found under `base`.
  static func ancestors(of path: String, under base: String) -> [String] {
    let full = path.split(separator: "/").map(String.init)
    var components: [String] = []
    for start in full.indices where isDirectory(([base] + full[start...]).joined(separator: "/")) {
      components = Array(full[start...])
      break
    }
    var result: [String] = []
    while true {
      let directory = ([base] + components).joined(separator: "/")
      if isDirectory(directory) { result.append(directory) }
      if components.isEmpty { break }
      components.removeLast()
    }
    return result
  }

  private static func isDirectory(_ path: String) -> Bool {
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
      && isDirectory.boolValue
  }

  /// The value of the first of `keys` that a `memory.stat` file (lines "key value") holds.
  static func statistic(_ keys: [String], file path: String) -> Int? {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
    var values: [Substring: Int] = [:]
    for line in text.split(separator: "\n") {
      let fields = line.split(separator: " ")
      if fields.count == 2, let value = Int(fields[1]), value >= 0 { values[fields[0]] = value }
    }
    return keys.lazy.compactMap { values[Substring($0)] }.first
  }

  /// A limit or usage file's number; nil for v2's "max" (no limit), for v1's "no limit" (a
  /// number within a page of `Int64.max`), or when the file cannot be read.
  static func readInteger(_ path: String) -> Int? {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
    guard let value = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), value >= 0
    else { return nil }
    // v1 writes "no limit" as the largest page-aligned Int64 (9223372036854771712).
    return value >= Int.max - (1 << 20) ? nil : value
  }
}
