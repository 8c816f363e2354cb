/// A command of `transformer-cli`: a small declarative type in the shape of swift-argument-parser's
/// `ParsableCommand`, without the dependency.
///
/// The runner creates the command with `init()`, hands it the parsed command line with
/// `parse(_:)`, calls `validate()`, and only then `run(_:)`. Everything a user can get wrong
/// should be caught by `parse` or `validate` (throw `UsageError`, exit 64) so that `run` starts
/// only on a well-formed request; `run` throws `RuntimeError` (exit 1) for what goes wrong later.
///
/// A command with `subcommands` in its configuration is a group (`bench`): it needs nothing but
/// its configuration, and invoking it without a subcommand prints its help.
///
/// ```swift
/// struct Greet: Command {
///   static var configuration: CommandConfiguration {
///     CommandConfiguration(
///       name: "greet", abstract: "Say hello.",
///       options: [.option("name", value: "text", help: "Who to greet.")])
///   }
///   var name = "world"
///   mutating func parse(_ arguments: Arguments) throws {
///     name = arguments.value(of: "name") ?? name
///   }
///   mutating func run(_ console: inout Console) throws { console.writeLine("hello \(name)") }
/// }
/// ```
/// Register it with one line in `CommandRegistry.swift`.
public protocol Command {
  /// The name, help text and accepted options, used both to parse and to render `--help`.
  static var configuration: CommandConfiguration { get }

  /// A command holding its defaults; `parse(_:)` then overrides them from the command line.
  init()

  /// Reads this command's options and positional arguments. Throws `UsageError` for a value
  /// that does not parse (the runner has already rejected unknown options).
  mutating func parse(_ arguments: Arguments) throws

  /// Checks the parsed values against each other and against limits; throws `UsageError`.
  func validate() throws

  /// Does the work, writing results to `console.output` and diagnostics to `console.errors`.
  mutating func run(_ console: inout Console) throws
}

extension Command {
  /// Nothing to parse: the default for groups and for commands without options.
  public mutating func parse(_ arguments: Arguments) throws {}

  /// Nothing to check.
  public func validate() throws {}

  /// Prints this command's help, as swift-argument-parser does for a command without `run()`.
  public mutating func run(_ console: inout Console) throws {
    throw HelpRequest()
  }
}

/// Thrown by the default `run(_:)`: the runner prints the current command's help and exits 0.
struct HelpRequest: Error {}

/// A set of options several commands share (swift-format's `@OptionGroup`), such as
/// `GlobalOptions`.
///
/// A command accepts a group by appending `Group.options` to its configuration's `options` and
/// calling `Group(arguments)` from `parse(_:)`.
public protocol OptionGroup {
  /// The options of the group, listed in each command's help after the command's own.
  static var options: [OptionDescription] { get }

  /// Reads the group's options; throws `UsageError` for a value that does not parse.
  init(_ arguments: Arguments) throws

  /// Checks the values; throws `UsageError`.
  func validate() throws
}
