/// Every command of `transformer-cli`, in the order help lists them.
///
/// To add a command, write its type (conforming to `Command`) in a file of its own and add one
/// line here: to `commands` for a top-level command (`TrainCommand.self`), or to a group's list
/// for a subcommand (`BenchTrainCommand.self` under `bench`).
enum CommandRegistry {
  /// The top-level commands: `transformer-cli <command>`.
  static var commands: [any Command.Type] {
    [
      BPECommand.self,
      TrainCommand.self,
      TranslateCommand.self,
      EvalCommand.self,
      AverageCommand.self,
      PlotCommand.self,
      AttentionCommand.self,
      TraceCommand.self,
      BenchCommand.self,
    ]
  }

  /// The subcommands of `bpe`: `transformer-cli bpe <subcommand>`.
  static var bpeCommands: [any Command.Type] {
    [
      BPELearnCommand.self,
      BPEEncodeCommand.self,
      BPEDecodeCommand.self,
    ]
  }

  /// The subcommands of `bench`: `transformer-cli bench <subcommand>`.
  static var benchCommands: [any Command.Type] {
    [
      BenchMatmulCommand.self,
      BenchTrainCommand.self,
      BenchDecodeCommand.self,
      BenchAttentionCommand.self,
      BenchAllReduceCommand.self,
    ]
  }
}
