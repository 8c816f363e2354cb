@testable import CLI

/// What one in-process run of `transformer-cli` produced.
struct CLIRun {
  var status: Int32
  var output: String
  var errors: String

  /// Runs the command line `arguments` (without the program name), capturing both streams.
  init(_ arguments: String...) {
    self.init(arguments)
  }

  /// Runs the command line `arguments` given as an array.
  init(_ arguments: [String]) {
    var output = ""
    var errors = ""
    status = TransformerCLI.run(arguments, output: &output, errors: &errors)
    self.output = output
    self.errors = errors
  }
}
