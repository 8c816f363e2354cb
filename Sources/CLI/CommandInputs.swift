import Checkpoints
import Foundation
import Support

/// The files a command reads, so that no output of it replaces one: even with `--force`, an
/// output that is one of them (or, for `average --output`, a directory holding one) is refused
/// before anything is written. Every writing command asks this one check.
struct CommandInputs {
  /// A file read, and how a refusal names it (`the --input file`).
  struct Input {
    var path: String
    var role: String
  }

  /// The files, in the order added.
  private(set) var inputs: [Input] = []

  /// No inputs yet.
  init() {}

  /// Adds `path` (nothing when nil), named `role` in a refusal.
  mutating func add(_ path: String?, as role: String) {
    if let path { inputs.append(Input(path: path, role: role)) }
  }

  /// Adds the files of the checkpoint directory `directory`: every one it may hold, as
  /// loading reads them all (the trainer state for the line naming the checkpoint).
  mutating func addCheckpoint(_ directory: String) {
    for name in Checkpoint.fileNames {
      let path = CheckpointStore.join(directory, name)
      add(path, as: "the \(name) of checkpoint '\(directory)'")
    }
  }

  /// Adds the files of the checkpoint `--checkpoint` (or the latest run) names.
  ///
  /// - Throws: `RuntimeError` when there is no such checkpoint (``CheckpointLocation``).
  mutating func addCheckpoint(of options: TranslateOptions) throws(RuntimeError) {
    addCheckpoint(try CheckpointLocation.resolve(options.checkpoint).directory)
  }

  /// Throws unless `output`, the value of `option`, is none of the inputs and, when it is an
  /// existing directory, holds none of them. Compared by device and inode, or by the path
  /// when the output does not exist yet (``OutputPolicy/sameFile(_:_:)``).
  ///
  /// - Throws: `UsageError` naming the option, the output and the input it would replace.
  func check(_ output: String?, option: String = "--output") throws(UsageError) {
    guard let output else { return }
    for input in inputs {
      if OutputPolicy.sameFile(output, input.path) {
        throw UsageError(
          "'\(option) \(output)' is \(input.role), which this command reads; the output "
            + "would replace it, so choose another \(option)")
      }
      if FileIdentity.contains(output, input.path) {
        throw UsageError(
          "'\(option) \(output)' holds \(input.role), which this command reads; replacing it "
            + "would destroy the input, so choose another \(option)")
      }
    }
  }
}
