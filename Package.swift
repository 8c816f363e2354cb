// swift-tools-version:6.1
import Foundation
import PackageDescription

// The kernels are compiled for the machine they run on: without `-target-cpu native` the
// compiler lowers SIMD16<Float> FMAs to SSE mulps/addps. `-Ounchecked` drops the bounds and
// overflow checks inside the hot loops; it is applied only to the numeric core, whose inputs
// are validated by the layers above it.
//
// The GEMM's register tile is chosen here for the same machine (Sources/Tensors/MicroKernel.swift):
// 6×32 when the build machine's FMA units are 512 bits wide (`avx512f` in /proc/cpuinfo: what
// `-target-cpu native` then compiles for), else 6×16. AMD's Zen 4 (AuthenticAMD, cpu family 25
// with avx512f) runs a 512-bit FMA as two 256-bit halves, so six 512-bit accumulators already
// keep its pipes busy, and the 6×16 tile wastes no lanes on 24-wide attention products: it takes
// 6×16 (measured there: geomean 1.11× OpenBLAS against 1.06× with 6×32). TRANSFORMER_GEMM_TILE=wide
// or =narrow overrides the choice; the tile's shape never changes which instructions are emitted,
// so either runs on any machine.
//
// TRANSFORMER_TARGET_CPU=<cpu> (an LLVM processor name: `haswell` for any AVX2 machine,
// `znver3`, `skylake-avx512`, …) compiles for that processor instead of `native`: a build to run
// elsewhere, or the AVX2 code of a Zen 3 built and tested on an AVX-512 machine (.ci/run does).
// The build machine's /proc/cpuinfo then says nothing about the target, so the tile is 6×16
// unless TRANSFORMER_GEMM_TILE=wide.
let environment = ProcessInfo.processInfo.environment
let targetCPU = environment["TRANSFORMER_TARGET_CPU"].flatMap { $0.isEmpty ? nil : $0 } ?? "native"
let wideGEMMTile: Bool = {
  switch environment["TRANSFORMER_GEMM_TILE"] {
  case "wide": return true
  case "narrow": return false
  default:
    guard targetCPU == "native" else { return false }
    guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else {
      return false
    }
    // The first processor's "key : value" lines.
    func field(_ key: String) -> String? {
      guard let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix(key) }),
        let colon = line.firstIndex(of: ":")
      else { return nil }
      return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    guard let flags = field("flags"), flags.split(separator: " ").contains("avx512f") else {
      return false
    }
    let zen4 = field("vendor_id") == "AuthenticAMD" && field("cpu family") == "25"
    return !zen4
  }
}()
let kernelFlags: [SwiftSetting] =
  [.unsafeFlags(["-Ounchecked", "-target-cpu", targetCPU], .when(configuration: .release))]
  + (wideGEMMTile ? [.define("GEMM_WIDE_TILE", .when(configuration: .release))] : [])
let nativeFlags: [SwiftSetting] = [
  .unsafeFlags(["-target-cpu", targetCPU], .when(configuration: .release))
]

let package = Package(
  name: "transformer-cli",
  products: [
    .executable(name: "transformer-cli", targets: ["transformer-cli"])
  ],
  // `swift build --traits MPI` links the system's MPI for data-parallel training under mpirun;
  // without it nothing of MPI is compiled, and `Distributed` is a one-process group.
  traits: [
    .trait(name: "MPI", description: "Data-parallel training over MPI (needs libopenmpi-dev).")
  ],
  targets: [
    // The numeric core: tensors, kernels, gradients, layers.
    .target(name: "Support", swiftSettings: nativeFlags),
    .target(name: "Tensors", dependencies: ["Support"], swiftSettings: kernelFlags),
    .target(name: "Autograd", dependencies: ["Tensors"], swiftSettings: nativeFlags),
    .target(name: "NN", dependencies: ["Autograd"], swiftSettings: nativeFlags),
    // Text: subwords, scores, corpora.
    .target(name: "Tokenizer", dependencies: ["Support"], swiftSettings: nativeFlags),
    .target(name: "Metrics", dependencies: ["Support"], swiftSettings: nativeFlags),
    .target(name: "Data", dependencies: ["Tokenizer", "Support"], swiftSettings: nativeFlags),
    // The run: its configuration, checkpoints, decoding and training.
    .target(name: "Config", dependencies: ["NN", "Tokenizer", "Support"], swiftSettings: nativeFlags),
    .target(
      name: "Checkpoints", dependencies: ["Config", "NN", "Tokenizer", "Support"],
      swiftSettings: nativeFlags),
    .target(
      name: "Decoding", dependencies: ["Checkpoints", "Config", "NN", "Tokenizer", "Support"],
      swiftSettings: nativeFlags),
    // The MPI library, through pkg-config's `mpi` (Open MPI's C bindings on Debian).
    .systemLibrary(name: "CMPI", pkgConfig: "mpi", providers: [.apt(["libopenmpi-dev"])]),
    .target(
      name: "Distributed",
      dependencies: [.target(name: "CMPI", condition: .when(traits: ["MPI"]))],
      swiftSettings: nativeFlags),
    .target(
      name: "Training",
      dependencies: [
        "Distributed", "Decoding", "Checkpoints", "Config", "Data", "Metrics", "NN", "Tokenizer", "Support",
      ],
      swiftSettings: nativeFlags),
    // The command line: drawing and benchmarks beside the commands.
    .target(name: "Drawing", dependencies: ["Support"], swiftSettings: nativeFlags),
    .target(
      name: "Benchmarks",
      dependencies: ["Distributed", "Training", "Decoding", "Checkpoints", "Config", "Data", "NN", "Support"],
      swiftSettings: nativeFlags),
    .target(
      name: "CLI",
      dependencies: [
        "Benchmarks", "Distributed", "Drawing", "Training", "Decoding", "Checkpoints", "Config", "Data",
        "Metrics", "Tokenizer", "NN", "Support",
      ],
      swiftSettings: nativeFlags),
    .executableTarget(name: "transformer-cli", dependencies: ["CLI"], swiftSettings: nativeFlags),
    .testTarget(name: "TensorsTests", dependencies: ["Tensors"], swiftSettings: nativeFlags),
    .testTarget(name: "AutogradTests", dependencies: ["Autograd"], swiftSettings: nativeFlags),
    // The model's tests include its weights' round trip through a checkpoint file.
    .testTarget(
      name: "NNTests", dependencies: ["NN", "Checkpoints", "Config"], exclude: ["Fixtures"],
      swiftSettings: nativeFlags),
    .testTarget(name: "TokenizerTests", dependencies: ["Tokenizer"], swiftSettings: nativeFlags),
    .testTarget(
      name: "MetricsTests", dependencies: ["Metrics"], exclude: ["Fixtures"],
      swiftSettings: nativeFlags),
    .testTarget(name: "DataTests", dependencies: ["Data"], swiftSettings: nativeFlags),
    .testTarget(name: "ConfigTests", dependencies: ["Config"], swiftSettings: nativeFlags),
    .testTarget(
      name: "CheckpointsTests", dependencies: ["Checkpoints"], exclude: ["Fixtures"],
      swiftSettings: nativeFlags),
    .testTarget(name: "DecodingTests", dependencies: ["Decoding"], swiftSettings: nativeFlags),
    .testTarget(name: "TrainingTests", dependencies: ["Training"], swiftSettings: nativeFlags),
    .testTarget(name: "CLITests", dependencies: ["CLI"], swiftSettings: nativeFlags),
  ],
  swiftLanguageModes: [.v5]
)
