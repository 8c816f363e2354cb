import Distributed
import Foundation
import Tensors

/// How `train` was started: alone, or as one of several processes under `mpirun`. Decides the
/// ``ProcessGroup`` and refuses or warns about launches that cannot work as meant.
enum TrainLaunch {
  /// The group this process trains in.
  ///
  /// - Throws: a ``RuntimeError`` when `mpirun` started several copies of a build without MPI:
  ///   each would train the whole model alone and overwrite the others' checkpoints.
  static func group() throws -> ProcessGroup {
    let launched = ProcessGroup.launcherSize ?? 1
    if !ProcessGroup.isMPICompiled {
      if launched > 1 {
        // Every copy fails alike; the first says why.
        let environment = ProcessInfo.processInfo.environment
        let rank = (environment["OMPI_COMM_WORLD_RANK"] ?? environment["PMI_RANK"]).flatMap {
          Int($0)
        }
        if let rank, rank > 0 { throw ExitStatus(status: 1) }
        throw RuntimeError(
          "started as one of \(launched) processes (mpirun), but this transformer-cli was built "
            + "without MPI, so each would train alone into the same directory; build with "
            + "'swift build -c release --traits MPI' or run one process")
      }
      return .single
    }
    // Outside a launcher MPI is not initialised at all: one process needs none of it.
    return launched > 1 ? ProcessGroup.world() : .single
  }

  /// A warning when the processes on this machine ask for more threads than it has cores:
  /// oversubscribed ranks wait for each other in every allreduce behind the slowest one.
  static func oversubscription(group: ProcessGroup) -> String? {
    guard group.size > 1 else { return nil }
    let local = group.localSize
    let cores = ProcessInfo.processInfo.activeProcessorCount
    let threads = Parallel.threadCount
    guard local * threads > cores else { return nil }
    return "\(local) processes × \(threads) threads = \(local * threads) threads on "
      + "\(cores) cores; each allreduce waits for the slowest rank, so pass "
      + "'--threads \(max(1, cores / local))'"
  }

  /// Stops every rank with one line (printed by rank 0) unless all run the same executable
  /// and the same complete config.
  static func checkAgreement(group: ProcessGroup, configText: String) throws {
    guard group.size > 1 else { return }
    do {
      try group.checkSame(Fingerprint.ofExecutable(), what: "build of transformer-cli")
      try group.checkSame(Fingerprint.of(configText.utf8), what: "config")
    } catch {
      // Every rank sees the same answer; one line is enough.
      if group.isPrimary { throw RuntimeError(error.description) }
      throw ExitStatus(status: 1)
    }
  }
}
