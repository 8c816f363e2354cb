// swift-tools-version:6.1
import PackageDescription

// The kernels are compiled for the machine they run on: without `-target-cpu native` the
// compiler lowers SIMD16<Float> FMAs to SSE mulps/addps. `-Ounchecked` drops the bounds and
// overflow checks inside the hot loops; it is applied only to the numeric core, whose inputs
// are validated by the layers above it.
let kernelFlags: [SwiftSetting] = [
  .unsafeFlags(["-Ounchecked", "-target-cpu", "native"], .when(configuration: .release))
]
let nativeFlags: [SwiftSetting] = [
  .unsafeFlags(["-target-cpu", "native"], .when(configuration: .release))
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
