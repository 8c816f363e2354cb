/// What a command is called, what it does, and what it accepts: the single source for both
/// parsing its command line and rendering its `--help`.
public struct CommandConfiguration {
  /// The word that selects the command on the command line (`matmul`).
  public var name: String
  /// One line, shown after `OVERVIEW:` and in the parent's list of subcommands.
  public var abstract: String
  /// Longer text shown under the overview, printed as written (wrap it at 80 columns).
  public var discussion: String
  /// The options this command reads, in the order its help lists them. `GlobalOptions` are
  /// added by the runner to every command that has no subcommands.
  public var options: [OptionDescription]
  /// The positional arguments, in order.
  public var arguments: [ArgumentDescription]
  /// The commands nested under this one; non-empty makes this command a group.
  public var subcommands: [any Command.Type]
  /// Whether the runner adds `--threads` (``GlobalOptions``); false for a command that runs
  /// no kernels, such as `plot`.
  public var usesThreads = true

  /// A configuration; only `name` and `abstract` are required.
  public init(
    name: String, abstract: String, discussion: String = "",
    options: [OptionDescription] = [], arguments: [ArgumentDescription] = [],
    subcommands: [any Command.Type] = []
  ) {
    self.name = name
    self.abstract = abstract
    self.discussion = discussion
    self.options = options
    self.arguments = arguments
    self.subcommands = subcommands
  }

  /// True for a group such as `bench`, whose work is done by its subcommands.
  public var isGroup: Bool { !subcommands.isEmpty }

  /// The subcommand called `name`, if there is one.
  func subcommand(named name: String) -> (any Command.Type)? {
    subcommands.first { $0.configuration.name == name }
  }
}

/// One named option: a flag (`--json`) or an option with a value (`--repeats <count>`).
public struct OptionDescription {
  /// The long name without its dashes (`threads`).
  public var name: String
  /// A one-letter alias used as `-x`, if any.
  public var shortName: Character?
  /// The placeholder shown in help (`count` renders as `<count>`); nil for a flag.
  public var valueName: String?
  /// The help text; wrapped to the help column.
  public var help: String
  /// Whether the option may be given several times, each value kept (`--shape A --shape B`).
  /// A non-repeatable option given twice keeps the last value, as swift-argument-parser does.
  public var isRepeatable: Bool
  /// Whether the command refuses to run without it; the usage line shows it without brackets.
  public var isRequired = false

  /// A flag: present or absent, never followed by a value.
  public static func flag(_ name: String, short shortName: Character? = nil, help: String)
    -> OptionDescription
  {
    OptionDescription(
      name: name, shortName: shortName, valueName: nil, help: help, isRepeatable: false)
  }

  /// An option that takes a value, written `--name value` or `--name=value`.
  public static func option(
    _ name: String, short shortName: Character? = nil, value valueName: String, help: String,
    repeatable: Bool = false, required: Bool = false
  ) -> OptionDescription {
    OptionDescription(
      name: name, shortName: shortName, valueName: valueName, help: help, isRepeatable: repeatable,
      isRequired: required)
  }

  /// Whether the option is followed by a value.
  public var takesValue: Bool { valueName != nil }

  /// `--name`, the spelling used in messages.
  public var longForm: String { "--" + name }

  /// The option as its help lists it: `-t, --threads <count>`.
  var helpLabel: String {
    var label = shortName.map { "-\($0), " } ?? ""
    label += longForm
    if let valueName { label += " <\(valueName)>" }
    return label
  }

  /// The option as the usage line shows it: `[--shape <spec> ...]`.
  var usageLabel: String {
    var label = longForm
    if let valueName { label += " <\(valueName)>" }
    if isRepeatable { label += " ..." }
    return isRequired ? label : "[\(label)]"
  }
}

/// One positional argument (`<file>`).
public struct ArgumentDescription {
  /// The placeholder, shown as `<name>`.
  public var name: String
  /// The help text.
  public var help: String
  /// Whether the command runs without it.
  public var isOptional: Bool
  /// Whether it takes every remaining positional value (only the last argument may).
  public var isRepeating: Bool

  /// A positional argument; required and single unless told otherwise.
  public init(_ name: String, help: String, optional: Bool = false, repeating: Bool = false) {
    self.name = name
    self.help = help
    self.isOptional = optional
    self.isRepeating = repeating
  }

  /// The argument as the usage line shows it: `<file>`, `[<file>]`, `<file> ...`.
  var usageLabel: String {
    let label = "<\(name)>" + (isRepeating ? " ..." : "")
    return isOptional ? "[\(label)]" : label
  }
}
