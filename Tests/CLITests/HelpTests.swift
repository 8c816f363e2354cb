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
      train                   Train a Transformer translation model.
      translate               Translate text with a trained model.
      eval                    Score translations (BLEU, chrF) or a model's loss.
      average                 Average the weights of the last checkpoints of a run.
      plot                    Draw the training curves of runs as an SVG chart.
      attention               Show a model's attention weights as heatmaps.
      trace                   Print each step of a forward pass with its shape.
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
      train                   Time Transformer training steps on a synthetic batch.
      decode                  Time cached greedy and beam search decoding.
      attention               Time one attention call, standard or memory-efficient.
      allreduce               Time the allreduce of data-parallel training (MPI).

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

    Before the shapes it measures the machine's FMA peak on the same threads: a
    loop of twelve independent fused multiply-adds per thread that touches no
    memory, at 256-bit and 512-bit vector width, the faster counting (--no-peak
    skips it). Each shape's GFLOPS is also given as a fraction of that peak.

    With --json each result is one line {"m","k","n","batch","trans_a","trans_b",
    "threads","gflops","peak_gflops","peak_fraction"} (the last two absent with
    --no-peak), which scripts/bench-matmul-numpy.py reads to time numpy on the
    same shapes.

    USAGE: transformer-cli bench matmul [--json] [--no-peak] [--repeats <count>]
      [--shape <spec> ...] [--threads <count>]

    OPTIONS:
      --json                  Print one JSON object per line instead of a table.
      --no-peak               Do not measure the FMA peak (no fraction of peak).
      --repeats <count>       Timed runs per shape, at most 1000000 (default: enough
                              for about 0.5 s, at least 5).
      --shape <spec>          Time this shape instead of the defaults; repeat to
                              time several.
      --threads <count>       Threads the kernels use (default:
                              $TRANSFORMER_THREADS, else one per processor).
      -h, --help              Show help information.

    """

  static let benchTrainHelp = """
    OVERVIEW: Time Transformer training steps on a synthetic batch.

    Builds a Transformer of the preset size (post-norm, ReLU, tied embeddings,
    dropout 0.1) and times full training steps on one fixed batch of 64 sentence
    pairs of 24 source and 24 target tokens, without padding: forward pass,
    label-smoothed loss, backward pass and Adam update. After 3 warm-up steps it
    reports the median over the timed steps of the milliseconds per step, target
    tokens per second (64·24 / median seconds), and the peak resident memory of
    the process (VmHWM). It also counts the multiply-adds of one step's matrix
    products (forward and backward) and, after the steps, measures the machine's FMA
    peak on the same threads as 'bench matmul' does: the products' GFLOP per step,
    their GFLOPS over the median step and that as a fraction of the peak, and the
    step the products allow at the peak (a lower bound on the step time).

    Presets:
      tiny    d_model 128, 4 heads, d_ff 512, 2+2 layers, vocabulary 1000
      small   d_model 256, 8 heads, d_ff 1024, 3+3 layers, vocabulary 8000
      base    d_model 512, 8 heads, d_ff 2048, 6+6 layers, vocabulary 8000

    With --products the timed steps also time each shape of matrix product
    (M×K×N, ×batch, ta/tb when A/B is stored transposed, and the kernel when it
    is not the blocked GEMM) and list them slowest first: calls and milliseconds
    per step, GFLOPS and fraction of the FMA peak, then the rest of the step
    (its other work). A GEMM's shape is written as 'bench matmul --shape' takes
    it, to time that product alone. Profiling adds two clock reads per product
    to the timed steps.

    With --json the result is one line {"preset","threads","ms_per_step",
    "tokens_per_s","peak_rss_mb","matmul_gflop","peak_gflops","peak_fraction"},
    with --products then "products":[{"shape","kernel","calls","ms","gflops",
    "peak_fraction"},…].

    USAGE: transformer-cli bench train [--preset <name>] [--steps <count>]
      [--products] [--json] [--threads <count>]

    OPTIONS:
      --preset <name>         tiny, small or base (default: tiny).
      --steps <count>         Timed steps (default: 10, at most 1000000).
      --products              Also time each shape of matrix product.
      --json                  Print one JSON object instead of a table.
      --threads <count>       Threads the kernels use (default:
                              $TRANSFORMER_THREADS, else one per processor).
      -h, --help              Show help information.

    """

  static let translateHelp = """
    OVERVIEW: Translate text with a trained model.

    Translates <text>, or with no text each line of stdin (or --input), writing
    one translation a line; an empty line gives an empty line. Lines from stdin
    are answered one at a time, each as soon as it is read (on a terminal, end
    with Ctrl-D). Quote a sentence of several words. --output writes the file
    atomically (aside, then renamed into place); an existing file is replaced
    only with --force, and never when it is the --input or a file of the
    checkpoint.

    The model reads at most model.max_positions - 1 BPE pieces of a sentence; a
    longer one is translated from its first pieces, with a warning on stderr
    naming its line and both lengths.

    Searches with beam search and the length penalty of Wu et al. 2016,
    lp = ((5 + |Y|)/6)^α, output at most source length + 50 pieces; --beam 1 is
    greedy search. With --nbest K each input line gives up to K lines
    "<line number>\\t<translation>\\t<score>", best first, the line numbers
    counting from 0 (fewer when fewer distinct translations fit --max-len). A
    --max-len above model.max_positions - 1 is cut to it, with a warning.

    --checkpoint takes a checkpoint directory, a run directory (its best/ is
    used) or a model.safetensors file (its directory is used). Without it, the
    checkpoint is best/ of the run that runs/.last-run (in the current
    directory) names: the run 'transformer-cli train' saved most recently. The
    checkpoint loaded is named on stderr unless --quiet.

    USAGE: transformer-cli translate [--input <file>] [--output <file>] [--force]
      [--nbest <count>] [--checkpoint <dir>] [--beam <size>] [--alpha <a>]
      [--max-len <count>] [--quiet] [--threads <count>] [<text>]

    ARGUMENTS:
      <text>                  The sentence to translate.

    OPTIONS:
      --input <file>          Translate this file, one sentence a line.
      --output <file>         Write the translations here (default: stdout).
      --force                 Replace the --output file if it exists.
      --nbest <count>         Print this many translations per line with their
                              scores (at most --beam).
      --checkpoint <dir>      The checkpoint directory, or a run directory for its
                              best/ (default: best/ of the run runs/.last-run
                              names).
      --beam <size>           Beam size ≤ 1000; 1 is greedy search (default: 4).
      --alpha <a>             Length penalty exponent α, 0 to 10 (default: 0.6).
      --max-len <count>       The most output pieces (default: source length + 50).
      --quiet                 Do not name the checkpoint loaded on stderr.
      --threads <count>       Threads the kernels use (default:
                              $TRANSFORMER_THREADS, else one per processor).
      -h, --help              Show help information.

    """

  static let benchDecodeHelp = """
    OVERVIEW: Time cached greedy and beam search decoding.

    Builds a Transformer of the preset size (as 'bench train') with random
    weights and translates sources of 24 tokens (23 random pieces and </s>),
    generating exactly 24 pieces per sentence (</s> is suppressed until then)
    with the key-value cache. --batch B sentences are decoded together (1: one
    after another); batches repeat until at least --sentences N (default 20)
    sentences are timed, after one warm-up batch. Reports sentences per second
    and milliseconds per generated piece (total time / pieces of all sentences),
    and the size of one batch's key-value cache: the decoder self-attention's
    keys and values for every step and the cross-attention's keys and values of
    the source, in MiB. --kv-heads G shares each key/value head among heads/G
    query heads (grouped-query attention; 1 is multi-query), which shrinks that
    cache by heads/G; --positions picks sinusoidal, learned, rope or alibi.
    Greedy search takes each step's largest logit and computes no scores, as
    CTranslate2's translate_batch with return_scores=False; --scores adds each
    step's log-softmax over the vocabulary, as 'translate --nbest' needs (beam
    search always computes it).

    It also counts the multiply-adds of one batch's matrix products and measures
    the FMA peak as 'bench matmul' does (GFLOP per sentence, GFLOPS over the
    decoding time, fraction of the peak), and holds the weights a decoder step
    multiplies by (MB per step; at one sentence a step reads every one of them)
    against a plain read of as many bytes on the same threads: the weights are
    read at least at (MB per step x steps / decoding time), a floor, since that
    time also holds the encoder, the attention and the search.

    A batch whose estimated memory (key-value cache, logits, encoder activations)
    exceeds the memory available is refused before it starts.

    With --json the result is one line {"preset","batch","beam","threads",
    "kv_heads","positions","scores","sentences","sentences_per_s","ms_per_token",
    "kv_cache_mb","matmul_gflop_per_sentence","peak_gflops","peak_fraction",
    "weight_mb_per_step","weight_gb_per_s","read_gb_per_s"}, "sentences" being
    those timed.

    --products also times each shape of matrix product of the timed batches, as
    'bench train --products' does, per batch (ms/batch), and adds
    "products":[{"shape","kernel","calls","ms","gflops","peak_fraction"},…] to
    the JSON.

    USAGE: transformer-cli bench decode [--preset <name>] [--batch <count>]
      [--beam <size>] [--sentences <count>] [--kv-heads <count>]
      [--positions <kind>] [--scores] [--products] [--json] [--threads <count>]

    OPTIONS:
      --preset <name>         tiny, small or base (default: small).
      --batch <count>         Sentences decoded together (default: 1).
      --beam <size>           Beam size ≤ 1000; 1 is greedy search (default: 1).
      --sentences <count>     Time at least this many sentences, whole batches
                              (default: 20, at most 10000000).
      --kv-heads <count>      Key/value heads, dividing the preset's heads (default:
                              the heads).
      --positions <kind>      sinusoidal, learned, rope or alibi (default:
                              sinusoidal).
      --scores                Greedy search computes the hypotheses'
                              log-probabilities.
      --products              Also time each shape of matrix product.
      --json                  Print one JSON object instead of a table.
      --threads <count>       Threads the kernels use (default:
                              $TRANSFORMER_THREADS, else one per processor).
      -h, --help              Show help information.

    """

  func testTranslateAndBenchDecodeHelp() {
    for (arguments, expected) in [
      (["translate", "--help"], Self.translateHelp), (["help", "translate"], Self.translateHelp),
      (["bench", "decode", "--help"], Self.benchDecodeHelp),
      (["help", "bench", "decode"], Self.benchDecodeHelp),
    ] {
      var output = ""
      var errors = ""
      let status = TransformerCLI.run(arguments, output: &output, errors: &errors)
      XCTAssertEqual(status, 0, "\(arguments)")
      XCTAssertEqual(output, expected, "\(arguments)")
      XCTAssertEqual(errors, "", "\(arguments)")
    }
  }

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

  func testBenchTrainHelp() {
    for run in [CLIRun("bench", "train", "--help"), CLIRun("help", "bench", "train")] {
      XCTAssertEqual(run.status, 0)
      XCTAssertEqual(run.output, Self.benchTrainHelp)
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
    for text in [Self.topLevelHelp, Self.benchHelp, Self.benchMatmulHelp, Self.benchTrainHelp] {
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
