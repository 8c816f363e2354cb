import XCTest

@testable import CLI

/// The exact `--help` texts: a change to a command's options must show up here.
final class HelpTests: XCTestCase {
  static let topLevelHelp = """
    OVERVIEW: Train, run and measure Transformer translation models on the CPU.

    USAGE: transformer-cli <subcommand>

    OPTIONS:
      --version               Show the version.
      -h, --help              Show help information.

    SUBCOMMANDS:
      bpe                     Learn a byte-pair-encoding subword model and apply it
                              to text.
      eval                    Score translations with sacreBLEU's BLEU and chrF.
      bench                   Measure the speed of the kernels.

      See 'transformer-cli help <subcommand>' for detailed help.

    """

  static let benchHelp = """
    OVERVIEW: Measure the speed of the kernels.

    USAGE: transformer-cli bench <subcommand>

    OPTIONS:
      -h, --help              Show help information.

    SUBCOMMANDS:
      matmul                  Measure the GFLOPS of the matmul kernel on the model's
                              shapes.

      See 'transformer-cli help bench <subcommand>' for detailed help.

    """

  static let benchMatmulHelp = """
    OVERVIEW: Measure the GFLOPS of the matmul kernel on the model's shapes.

    Times matmul from the Tensors module on float32 operands filled with seeded
    random values: one warm-up run, then timed runs; reports the median time and
    GFLOPS = 2·M·K·N·BATCH / median seconds.

    A shape is MxKxN[xBATCH][:FLAGS], in the order of the JSON keys: op(A) is M×K,
    op(B) is K×N, the product M×N, repeated BATCH times. FLAGS is 'ta' (A stored
    K×M), 'tb' (B stored N×K) or 'ta,tb'. Examples:
      4096x256x768        a linear layer's forward product
      4096x768x256:tb     its input gradient dA = dC·Bᵀ
      256x4096x768:ta     its weight gradient dB = Aᵀ·dC
      24x32x24x512:tb     attention scores Q·Kᵀ of 512 heads

    Without --shape: 512x512x512, 1024x1024x1024; for M = 4096 tokens and K×N =
    256×768, 256×1024, 1024×256 and 256×8000, the forward product and both backward
    products; then 24x32x24x512:tb and 24x24x32x512.

    With --json each result is one line {"m","k","n","batch","transA","transB",
    "threads","gflops"}, which scripts/bench-matmul-numpy.py reads to time numpy
    on the same shapes.

    USAGE: transformer-cli bench matmul [--json] [--repeats <count>]
      [--shape <spec> ...] [--threads <count>]

    OPTIONS:
      --json                  Print one JSON object per line instead of a table.
      --repeats <count>       Timed runs per shape (default: enough for about 0.5 s,
                              at least 5).
      --shape <spec>          Time this shape instead of the defaults; repeat to
                              time several.
      --threads <count>       Threads the kernels use (default:
                              $TRANSFORMER_THREADS, else one per processor).
      -h, --help              Show help information.

    """

  func testTopLevelHelpIsTheSameForEverySpelling() {
    for arguments in [["--help"], ["-h"], ["help"], []] {
      var output = ""
      var errors = ""
      let status = TransformerCLI.run(arguments, output: &output, errors: &errors)
      XCTAssertEqual(status, 0, "\(arguments)")
      XCTAssertEqual(output, Self.topLevelHelp, "\(arguments)")
      XCTAssertEqual(errors, "", "\(arguments)")
    }
  }

  func testBenchWithoutSubcommandPrintsItsHelp() {
    for run in [CLIRun("bench"), CLIRun("bench", "--help"), CLIRun("help", "bench")] {
      XCTAssertEqual(run.status, 0)
      XCTAssertEqual(run.output, Self.benchHelp)
      XCTAssertEqual(run.errors, "")
    }
  }

  func testBenchMatmulHelp() {
    let spellings = [
      CLIRun("bench", "matmul", "--help"), CLIRun("bench", "matmul", "-h"),
      CLIRun("help", "bench", "matmul"),
      // Help wins over everything else on the line, even a malformed value.
      CLIRun("bench", "matmul", "--repeats", "zero", "--help"),
    ]
    for run in spellings {
      XCTAssertEqual(run.status, 0)
      XCTAssertEqual(run.output, Self.benchMatmulHelp)
      XCTAssertEqual(run.errors, "")
    }
  }

  func testHelpAfterTerminatorIsAnArgument() {
    let run = CLIRun("bench", "matmul", "--", "--help")
    XCTAssertEqual(run.status, 64)
    XCTAssertEqual(
      run.errors,
      "Error: unexpected argument '--help' for 'bench matmul'. "
        + "(see 'transformer-cli bench matmul --help')\n")
  }

  func testVersion() {
    let run = CLIRun("--version")
    XCTAssertEqual(run.status, 0)
    XCTAssertEqual(run.output, "0.1.0\n")
    XCTAssertEqual(run.errors, "")
    XCTAssertEqual(TransformerCLI.version, "0.1.0")
  }

  func testEveryHelpLineFitsEightyColumns() {
    for text in [Self.topLevelHelp, Self.benchHelp, Self.benchMatmulHelp] {
      for line in text.split(separator: "\n") {
        XCTAssertLessThanOrEqual(line.count, 80, "\(line)")
      }
    }
  }

  func testLongLabelPutsHelpOnTheNextLine() {
    let lines = HelpFormatter.entry("--a-very-long-option-name <value>", "Help.")
    XCTAssertEqual(
      lines, ["  --a-very-long-option-name <value>", String(repeating: " ", count: 26) + "Help."])
  }
}
