import Autograd
import Support

/// The sizes of one timed product `C = op(A) · op(B)`, repeated `batch` times: op(A) is M×K,
/// op(B) is K×N, C is M×N. `transposeA` means A is stored K×M, `transposeB` that B is stored N×K.
///
/// Written on the command line as `MxKxN[xBATCH][:FLAGS]`, in the key order of the JSON lines,
/// FLAGS being `ta`, `tb` or `ta,tb`: `4096x256x768`, `24x32x24x512:tb`.
public struct MatmulShape: Equatable, CustomStringConvertible {
  public var m: Int
  public var k: Int
  public var n: Int
  public var batch = 1
  public var transposeA = false
  public var transposeB = false

  /// What `--shape` accepts, for help and error messages.
  public static let syntax = "MxKxN[xBATCH][:ta|:tb|:ta,tb], e.g. 4096x256x768 or 24x32x24x512:tb"

  /// The most elements the three operands may hold together (4 GiB of Float), so that a typo
  /// such as `40960x40960x40960` is a usage error instead of an allocation failure.
  public static let maximumElementCount = 1 << 30

  public init(
    m: Int, k: Int, n: Int, batch: Int = 1, transposeA: Bool = false, transposeB: Bool = false
  ) {
    self.m = m
    self.k = k
    self.n = n
    self.batch = batch
    self.transposeA = transposeA
    self.transposeB = transposeB
  }

  /// Parses `MxKxN[xBATCH][:FLAGS]`; nil when the text does not follow the syntax.
  public init?(specification: String) {
    let parts = specification.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
    let sizes = parts[0].split(separator: "x", omittingEmptySubsequences: false)
      .map { Int($0).flatMap { $0 > 0 ? $0 : nil } }
    guard sizes.count == 3 || sizes.count == 4 else { return nil }
    let values = sizes.compactMap { $0 }
    guard values.count == sizes.count else { return nil }
    self.init(m: values[0], k: values[1], n: values[2], batch: values.count == 4 ? values[3] : 1)
    if parts.count == 2 {
      let flags = parts[1].split(separator: ",", omittingEmptySubsequences: false)
      guard !flags.isEmpty, Set(flags).count == flags.count else { return nil }
      for flag in flags {
        switch flag {
        case "ta": transposeA = true
        case "tb": transposeB = true
        default: return nil
        }
      }
    }
  }

  /// The specification that parses back to this shape: `24x32x24x512:tb`.
  public var description: String {
    var text = sizeDescription
    if batch > 1 { text += "x\(batch)" }
    let flags = (transposeA ? ["ta"] : []) + (transposeB ? ["tb"] : [])
    if !flags.isEmpty { text += ":" + flags.joined(separator: ",") }
    return text
  }

  /// `MxKxN`, the table's shape column.
  public var sizeDescription: String { "\(m)x\(k)x\(n)" }

  /// Multiply-adds count twice: 2·M·K·N·batch floating-point operations.
  public var operationCount: Double {
    2 * Double(m) * Double(k) * Double(n) * Double(batch)
  }

  /// The element count of A, B and C together, or nil when it overflows `Int`.
  public var elementCount: Int? {
    MemoryEstimate.sum(
      MemoryEstimate.product(m, k, batch), MemoryEstimate.product(k, n, batch),
      MemoryEstimate.product(m, n, batch))
  }

  /// Why this shape cannot be timed, or nil when it can.
  public var sizeProblem: String? {
    guard let count = elementCount, count <= MatmulShape.maximumElementCount else {
      return "shape '\(self)' needs more than 4 GiB of operands; pick smaller sizes"
    }
    return nil
  }

  /// The shapes a Transformer base-ish model multiplies, timed when no `--shape` is given.
  ///
  /// Square warm-up sizes; then for M = 4096 tokens, each linear layer's forward product and its
  /// two backward products (dA = dC·Bᵀ, dB = Aᵀ·dC); then one attention batch of 512 heads of 24
  /// tokens with head size 32, scores Q·Kᵀ and context P·V.
  public static var defaults: [MatmulShape] {
    var shapes = [MatmulShape(m: 512, k: 512, n: 512), MatmulShape(m: 1024, k: 1024, n: 1024)]
    let tokens = 4096
    for (inputs, outputs) in [(256, 768), (256, 1024), (1024, 256), (256, 8000)] {
      shapes.append(MatmulShape(m: tokens, k: inputs, n: outputs))
      shapes.append(MatmulShape(m: tokens, k: outputs, n: inputs, transposeB: true))
      shapes.append(MatmulShape(m: inputs, k: tokens, n: outputs, transposeA: true))
    }
    shapes.append(MatmulShape(m: 24, k: 32, n: 24, batch: 512, transposeB: true))
    shapes.append(MatmulShape(m: 24, k: 24, n: 32, batch: 512))
    return shapes
  }
}
