/// `transformer-cli bench`: the group of speed measurements. Its subcommands are listed in
/// `CommandRegistry.benchCommands`.
struct BenchCommand: Command {
  static var configuration: CommandConfiguration {
    CommandConfiguration(
      name: "bench",
      abstract: "Measure the speed of the kernels.",
      subcommands: CommandRegistry.benchCommands)
  }
}
