import Foundation
import XCTest

@testable import Support

/// `CgroupMemory` against fake `/proc` and `/sys/fs/cgroup` trees of both cgroup versions.
final class CgroupMemoryTests: XCTestCase {
  private var root: TemporaryDirectory!

  override func setUpWithError() throws { root = try TemporaryDirectory() }
  override func tearDown() { root.remove() }

  /// Writes `text` to `path` under the fake root, making its directories.
  private func put(_ path: String, _ text: String) throws {
    let url = root.url.appendingPathComponent(path)
    try FileManager.default.createDirectory(
      at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(text.utf8).write(to: url)
  }

  private var current: CgroupMemory? { CgroupMemory.current(root: root.url.path) }

  func testNoCgroupFileMeansNoLimit() {
    XCTAssertNil(current)
  }

  func testVersion2LimitOfTheProcessGroup() throws {
    try put("proc/self/cgroup", "0::/user.slice/job\n")
    try put("sys/fs/cgroup/user.slice/job/memory.max", "4294967296\n")
    try put("sys/fs/cgroup/user.slice/job/memory.current", "1073741824\n")
    XCTAssertEqual(current, CgroupMemory(limitBytes: 4 << 30, usageBytes: 1 << 30))
    XCTAssertEqual(current?.availableBytes, 3 << 30)
  }

  func testVersion2ParentLimitBindsAChildWithout() throws {
    try put("proc/self/cgroup", "0::/a/b\n")
    try put("sys/fs/cgroup/a/b/memory.max", "max\n")
    try put("sys/fs/cgroup/a/b/memory.current", "100\n")
    try put("sys/fs/cgroup/a/memory.max", "2147483648\n")
    try put("sys/fs/cgroup/a/memory.current", "1000\n")
    XCTAssertEqual(current, CgroupMemory(limitBytes: 2 << 30, usageBytes: 1000))
  }

  func testTheTightestOfSeveralLimitsWins() throws {
    try put("proc/self/cgroup", "0::/a/b\n")
    try put("sys/fs/cgroup/a/b/memory.max", "3000\n")
    try put("sys/fs/cgroup/a/b/memory.current", "1000\n")
    try put("sys/fs/cgroup/a/memory.max", "2500\n")
    try put("sys/fs/cgroup/a/memory.current", "2000\n")
    XCTAssertEqual(current?.availableBytes, 500, "the parent has 500 bytes left, the child 2000")
  }

  func testVersion2InsideANamespaceReadsTheRoot() throws {
    try put("proc/self/cgroup", "0::/\n")
    try put("sys/fs/cgroup/memory.max", "8589934592")
    XCTAssertEqual(current, CgroupMemory(limitBytes: 8 << 30, usageBytes: 0))
  }

  func testVersion1MemoryController() throws {
    try put(
      "proc/self/cgroup",
      "9:pids:/docker/abc\n4:cpuacct,memory:/docker/abc\n1:cpu:/docker/abc\n")
    try put("sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes", "1073741824\n")
    try put("sys/fs/cgroup/memory/docker/abc/memory.usage_in_bytes", "536870912\n")
    try put("sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n")
    XCTAssertEqual(current, CgroupMemory(limitBytes: 1 << 30, usageBytes: 1 << 29))
  }

  func testAHierarchyMountedFromAGroupDown() throws {
    // The host's path in /proc/self/cgroup, the container's own subtree mounted at the base.
    try put("proc/self/cgroup", "4:memory:/process_api/a3df/job\n")
    try put("sys/fs/cgroup/memory/job/memory.limit_in_bytes", "1000\n")
    try put("sys/fs/cgroup/memory/job/memory.usage_in_bytes", "10\n")
    try put("sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n")
    XCTAssertEqual(current, CgroupMemory(limitBytes: 1000, usageBytes: 10))
  }

  func testVersion1WithoutALimit() throws {
    try put("proc/self/cgroup", "4:memory:/process_api/x\n0::/\n")
    try put("sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n")
    try put("sys/fs/cgroup/memory/memory.usage_in_bytes", "3058507776\n")
    XCTAssertNil(current, "v1 writes no limit as the largest page-aligned Int64")
  }

  func testUnreadableOrNegativeValuesAreNoLimit() throws {
    try put("proc/self/cgroup", "0::/a\n")
    try put("sys/fs/cgroup/a/memory.max", "lots\n")
    try put("sys/fs/cgroup/memory.max", "-1\n")
    XCTAssertNil(current)
  }

  func testAvailableMemoryIsTheSmallerOfMeminfoAndTheLimit() throws {
    try put("meminfo", "MemTotal:  24683792 kB\nMemAvailable:   4194304 kB\n")
    let meminfo = root.path("meminfo")
    // No cgroup: MemAvailable (4 GiB).
    XCTAssertEqual(
      ProcessMemory.availableBytes(meminfo: meminfo, cgroupRoot: root.url.path), 4 << 30)
    try put("proc/self/cgroup", "0::/\n")
    try put("sys/fs/cgroup/memory.max", "\(3 << 30)\n")
    try put("sys/fs/cgroup/memory.current", "\(1 << 30)\n")
    XCTAssertEqual(
      ProcessMemory.availableBytes(meminfo: meminfo, cgroupRoot: root.url.path), 2 << 30)
    XCTAssertEqual(ProcessMemory.totalBytes(cgroupRoot: root.url.path), 3 << 30)
    // A group at its limit has nothing left.
    try put("sys/fs/cgroup/memory.current", "\(4 << 30)\n")
    XCTAssertEqual(ProcessMemory.availableBytes(meminfo: meminfo, cgroupRoot: root.url.path), 0)
  }

  func testPageCacheCountsAsAvailable() throws {
    try put("proc/self/cgroup", "0::/\n4:memory:/job\n")
    try put("sys/fs/cgroup/memory.max", "1000000\n")
    try put("sys/fs/cgroup/memory.current", "900000\n")
    try put("sys/fs/cgroup/memory.stat", "anon 300000\nfile 600000\nfile_mapped 0\n")
    XCTAssertEqual(current, CgroupMemory(limitBytes: 1_000_000, usageBytes: 300_000))
    // v1: the hierarchy's total_cache before the group's own cache.
    try put("sys/fs/cgroup/memory.max", "max\n")
    try put("sys/fs/cgroup/memory/job/memory.limit_in_bytes", "2000000\n")
    try put("sys/fs/cgroup/memory/job/memory.usage_in_bytes", "1500000\n")
    try put("sys/fs/cgroup/memory/job/memory.stat", "cache 100\nrss 200\ntotal_cache 1000000\n")
    XCTAssertEqual(current, CgroupMemory(limitBytes: 2_000_000, usageBytes: 500_000))
  }
}
