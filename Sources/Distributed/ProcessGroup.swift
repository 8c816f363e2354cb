import Foundation

#if MPI
  import CMPI
#endif

/// The processes that train one model together: `mpirun -np N` starts N copies of the program,
/// each a *rank* from 0 to N − 1, and every collective call here must be made by all of them in
/// the same order.
///
/// Without the `MPI` trait there is only ``single``, whose collectives return their input: a
/// one-process run takes exactly the code path it always did. With it, ``world()`` joins
/// `MPI_COMM_WORLD` and the collectives are MPI's. Errors are returned, not fatal, inside MPI
/// (`MPI_ERRORS_RETURN`), so a failed call prints one line naming the rank and the call before
/// the job is aborted; a rank that dies is noticed by `mpirun`, which ends the others.
public final class ProcessGroup: @unchecked Sendable {
  /// This process's number, from 0.
  public let rank: Int
  /// How many processes train together.
  public let size: Int
  /// How many of them run on this machine, this one included: they share its memory and
  /// cores.
  public let localSize: Int

  /// Rank 0: the one that writes checkpoints, metrics and progress.
  public var isPrimary: Bool { rank == 0 }

  /// Whether the program was built with the `MPI` trait.
  public static var isMPICompiled: Bool {
    #if MPI
      return true
    #else
      return false
    #endif
  }

  /// The one-process group: every collective is the identity.
  public static let single = ProcessGroup(rank: 0, size: 1, localSize: 1)

  private init(rank: Int, size: Int, localSize: Int) {
    self.rank = rank
    self.size = size
    self.localSize = localSize
  }

  /// The processes `mpirun` started, read from the launcher's environment (Open MPI's
  /// `OMPI_COMM_WORLD_SIZE`, or `PMI_SIZE` of MPICH and Slurm); nil outside a launcher. A
  /// one-process build uses it to refuse to be started N times.
  public static var launcherSize: Int? {
    let environment = ProcessInfo.processInfo.environment
    for name in ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE"] {
      if let value = environment[name].flatMap({ Int($0) }) { return value }
    }
    return nil
  }

  #if MPI
    nonisolated(unsafe) private static var world_: ProcessGroup?

    /// `MPI_COMM_WORLD`, initialising MPI on first use (from the main thread: the kernels'
    /// worker threads never call MPI, so `MPI_THREAD_FUNNELED` is enough).
    public static func world() -> ProcessGroup {
      if let world_ { return world_ }
      var provided: Int32 = 0
      check(MPI_Init_thread(nil, nil, Int32(MPI_THREAD_FUNNELED), &provided), "MPI_Init_thread")
      check(
        MPI_Comm_set_errhandler(cmpi_comm_world(), cmpi_errors_return()), "MPI_Comm_set_errhandler")
      var rank: Int32 = 0
      var size: Int32 = 0
      check(MPI_Comm_rank(cmpi_comm_world(), &rank), "MPI_Comm_rank")
      check(MPI_Comm_size(cmpi_comm_world(), &size), "MPI_Comm_size")
      // The ranks that can share memory with this one are those on its machine, whatever the
      // launcher (Open MPI, MPICH, Slurm) says in its environment.
      var machine: MPI_Comm?
      check(
        MPI_Comm_split_type(
          cmpi_comm_world(), cmpi_comm_type_shared(), rank, cmpi_info_null(), &machine),
        "MPI_Comm_split_type")
      var localSize: Int32 = 0
      check(MPI_Comm_size(machine, &localSize), "MPI_Comm_size")
      check(MPI_Comm_free(&machine), "MPI_Comm_free")
      let group = ProcessGroup(rank: Int(rank), size: Int(size), localSize: Int(localSize))
      world_ = group
      return group
    }

    /// Ends MPI after a successful run; every rank must call it. Not called on an error path,
    /// so that a failing rank exits at once and `mpirun` ends the job instead of waiting.
    public func finish() {
      guard size > 1 || Self.world_ === self else { return }
      _ = MPI_Finalize()
    }
  #else
    /// The one-process group: the program was built without MPI.
    public static func world() -> ProcessGroup { single }

    /// Nothing to end without MPI.
    public func finish() {}
  #endif

  // MARK: Collectives

  /// Replaces `values` on every rank by their element-wise sum over the ranks, in place.
  public func sum(_ values: UnsafeMutableBufferPointer<Float>) {
    guard size > 1, !values.isEmpty else { return }
    #if MPI
      Self.check(
        MPI_Allreduce(
          cmpi_in_place(), values.baseAddress, Int32(values.count), cmpi_float(), cmpi_sum(),
          cmpi_comm_world()), "MPI_Allreduce", rank: rank)
    #endif
  }

  #if MPI
    /// The sums ``startSum(_:)`` began that ``waitForSums()`` has not yet ended.
    private var pending: [MPI_Request?] = []
  #endif

  /// Begins replacing `values` on every rank by their element-wise sum over the ranks, in
  /// place, and returns at once (`MPI_Iallreduce`): the memory must stay valid and untouched
  /// until ``waitForSums()``. Every rank must start the same sums in the same order.
  public func startSum(_ values: UnsafeMutableBufferPointer<Float>) {
    guard size > 1, !values.isEmpty else { return }
    #if MPI
      var request: MPI_Request? = cmpi_request_null()
      Self.check(
        MPI_Iallreduce(
          cmpi_in_place(), values.baseAddress, Int32(values.count), cmpi_float(), cmpi_sum(),
          cmpi_comm_world(), &request), "MPI_Iallreduce", rank: rank)
      pending.append(request)
    #endif
  }

  /// Lets the started sums move on (`MPI_Testall`): without a progress thread, Open MPI
  /// advances a non-blocking collective only inside MPI calls, so a caller busy with other
  /// work calls this now and then.
  public func progressSums() {
    #if MPI
      guard !pending.isEmpty else { return }
      var done: Int32 = 0
      let count = Int32(pending.count)
      pending.withUnsafeMutableBufferPointer { requests in
        Self.check(
          MPI_Testall(count, requests.baseAddress, &done, nil), "MPI_Testall", rank: rank)
      }
    #endif
  }

  /// Waits until every sum ``startSum(_:)`` began has ended (`MPI_Waitall`).
  public func waitForSums() {
    #if MPI
      guard !pending.isEmpty else { return }
      let count = Int32(pending.count)
      pending.withUnsafeMutableBufferPointer { requests in
        Self.check(MPI_Waitall(count, requests.baseAddress, nil), "MPI_Waitall", rank: rank)
      }
      pending.removeAll(keepingCapacity: true)
    #endif
  }

  /// Replaces `values` on every rank by their element-wise sum over the ranks.
  public func sum(_ values: inout [Double]) {
    guard size > 1, !values.isEmpty else { return }
    #if MPI
      let count = Int32(values.count)
      values.withUnsafeMutableBufferPointer { buffer in
        Self.check(
          MPI_Allreduce(
            cmpi_in_place(), buffer.baseAddress, count, cmpi_double(), cmpi_sum(),
            cmpi_comm_world()), "MPI_Allreduce", rank: rank)
      }
    #endif
  }

  /// Whether `flag` holds on any rank: every rank gets the same answer, so all of them act
  /// on it at the same step (a Ctrl-C seen by one rank stops them all).
  public func any(_ flag: Bool) -> Bool {
    guard size > 1 else { return flag }
    var value = [flag ? 1.0 : 0.0]
    sum(&value)
    return value[0] > 0
  }

  /// `value` from every rank, indexed by rank.
  public func gather(_ value: UInt64) -> [UInt64] {
    guard size > 1 else { return [value] }
    var result = [UInt64](repeating: 0, count: size)
    #if MPI
      var own = value
      result.withUnsafeMutableBufferPointer { buffer in
        Self.check(
          MPI_Allgather(
            &own, 1, cmpi_uint64(), buffer.baseAddress, 1, cmpi_uint64(), cmpi_comm_world()),
          "MPI_Allgather", rank: rank)
      }
    #endif
    return result
  }

  /// Waits until every rank has called it.
  public func barrier() {
    guard size > 1 else { return }
    #if MPI
      Self.check(MPI_Barrier(cmpi_comm_world()), "MPI_Barrier", rank: rank)
    #endif
  }

  /// Checks that every rank holds the same `value` (a hash of the build or of the config).
  ///
  /// - Throws: ``DistributedError/mismatch(what:ranks:)`` on every rank when one differs from
  ///   rank 0, naming the ranks that differ.
  public func checkSame(_ value: UInt64, what: String) throws(DistributedError) {
    let values = gather(value)
    let differing = values.indices.filter { values[$0] != values[0] }
    if !differing.isEmpty { throw .mismatch(what: what, ranks: differing) }
  }

  #if MPI
    /// Ends the job with one line when an MPI call fails: `MPI_Abort` makes `mpirun` stop every
    /// rank, where returning would leave the others waiting in the next collective.
    private static func check(_ code: Int32, _ call: String, rank: Int = -1) {
      guard code != cmpi_success() else { return }
      var text = [CChar](repeating: 0, count: Int(cmpi_max_error_string()) + 1)
      var length: Int32 = 0
      _ = MPI_Error_string(code, &text, &length)
      let message = String(
        decoding: text.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
      let who = rank >= 0 ? "rank \(rank): " : ""
      FileHandle.standardError.write(
        Data("Error: \(who)\(call) failed: \(message); ending the job\n".utf8))
      _ = MPI_Abort(cmpi_comm_world(), 1)
      exit(1)
    }
  #endif
}
