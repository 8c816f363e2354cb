import Checkpoints
import Foundation
import Support

/// `transformer-cli average`: averages the weights of several checkpoints of one run into a new
/// checkpoint directory (Vaswani et al. 2017, §6.1). The math is ``CheckpointAverage``.
struct AverageCommand: Command {
  static var configuration: CommandConfiguration {
    CommandConfiguration(
      name: "average",
      abstract: "Average the weights of the last checkpoints of a run.",
      discussion: """
        Writes the element-wise mean of the parameters of the given checkpoint
        directories (such as runs/x/checkpoints/step-000500 or runs/x/best, or a
        file in one such as its model.safetensors), as Vaswani et al. 2017
        (section 6.1) average the last checkpoints of a run before decoding. With
        --last N the single argument is a run directory and its newest N step
        checkpoints (checkpoints/step-*/, by step) are averaged; step checkpoints
        of a later step than its last/ are left out, with a warning:
          transformer-cli average --last 5 --output runs/m30k/averaged runs/m30k

        Every checkpoint must hold the same model configuration, the same tensor
        names and shapes and the same BPE model as the newest one (the last given);
        the error names the checkpoint and the field or tensor that differs. Sums
        are taken in double precision.

        --output gets model.safetensors and, copied from the newest checkpoint,
        config.json and the BPE model: a checkpoint for 'translate --checkpoint'
        and 'eval --checkpoint'. Adam's moments are not averaged, so it has no
        trainer.safetensors and cannot be resumed. The directory is written under
        a hidden name beside it and renamed into place; an existing non-empty one
        is replaced only with --force, and only when it is a checkpoint (it holds
        model.safetensors and no file a checkpoint does not have).
        """,
      options: [
        .option(
          "output", value: "dir", help: "The checkpoint directory to write.", required: true),
        .option(
          "last", value: "count",
          help: "Average the newest <count> step checkpoints of the run directory given."),
        .flag("force", help: "Replace --output if it exists."),
      ],
      arguments: [
        ArgumentDescription(
          "checkpoint",
          help: "Checkpoint directories, oldest first; with --last, one run "
            + "directory.", repeating: true)
      ])
  }

  /// The checkpoint directories, or the run directory with `--last`.
  var inputs: [String] = []
  /// `--output`.
  var outputPath: String?
  /// `--last`, nil to average the directories given.
  var lastCount: Int?
  /// `--force`.
  var force = false

  mutating func parse(_ arguments: Arguments) throws {
    inputs = arguments.positionals
    outputPath = arguments.value(of: "output")
    lastCount = try arguments.positiveInteger("last")
    force = arguments.contains("force")
  }

  func validate() throws {
    try OutputPolicy.checkOption(outputPath, force: force)
    if outputPath == nil {
      throw UsageError("'--output <dir>' is required: the directory of the averaged checkpoint")
    }
    if lastCount != nil, inputs.count != 1 {
      throw UsageError(
        "'--last <count>' takes one run directory, not \(inputs.count) arguments")
    }
  }

  mutating func run(_ console: inout Console) throws {
    let output = outputPath ?? ""
    let checkpoints: [String]
    // Steps after last/'s are from a state of the run that last/ no longer continues; they are
    // named once the output is known to be acceptable.
    var aheadWarning: String?
    if let count = lastCount {
      let store = CheckpointStore(directory: inputs[0])
      let newest = CheckpointLocation.step(of: store.lastPath)
      if let newest, case let ahead = store.steps(after: newest), !ahead.isEmpty {
        let them = ahead.count == 1 ? "it" : "them"
        aheadWarning =
          "warning: left out \(CheckpointStore.listed(ahead)): of a later step than last/ "
          + "(step \(newest)), so left from a later state of the run; name \(them) to "
          + "average \(them), or remove \(them)"
      }
      checkpoints = try CheckpointAverage.lastSteps(count, inRun: inputs[0], through: newest)
    } else {
      checkpoints = try inputs.map { (given) throws(RuntimeError) in
        try CheckpointLocation.averaged(given)
      }
    }
    var read = CommandInputs()
    for checkpoint in checkpoints {
      read.add(checkpoint, as: "the checkpoint '\(checkpoint)' being averaged")
    }
    if lastCount != nil {
      read.add(inputs[0], as: "the run '\(inputs[0])' whose checkpoints are averaged")
    }
    try Self.checkOutput(output, against: read, replacing: force)
    if let aheadWarning { console.writeErrorLine(aheadWarning) }
    let average = try CheckpointAverage(checkpoints: checkpoints)
    try average.write(to: output, replacing: force)
    console.writeLine(
      "averaged \(counted(checkpoints.count, "checkpoint")) into "
        + "'\(output)': \(checkpoints.joined(separator: ", "))")
  }

  /// Throws unless `output` may become the averaged checkpoint: it must not be or hold a
  /// checkpoint being averaged (or the run holding them, with `--last`), a file there is not a
  /// checkpoint directory to replace, and `--force` replaces only an empty directory or a
  /// checkpoint (``CheckpointAverage/checkReplaceable(_:replacing:)``). Checked before
  /// averaging, which can take a while.
  static func checkOutput(_ output: String, against inputs: CommandInputs, replacing: Bool)
    throws
  {
    var status = stat()
    if lstat(output, &status) == 0, status.st_mode & S_IFMT != S_IFDIR {
      throw RuntimeError(
        "'--output \(output)' exists and is not a directory; --output names the checkpoint "
          + "directory to write, so choose another path")
    }
    try inputs.check(output)
    try CheckpointAverage.checkReplaceable(output, replacing: replacing)
  }
}
