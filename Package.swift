// swift-tools-version:6.0
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
  targets: [
    .target(name: "Tensors", swiftSettings: kernelFlags),
    .target(name: "Autograd", dependencies: ["Tensors"], swiftSettings: nativeFlags),
    .target(name: "NN", dependencies: ["Autograd"], swiftSettings: nativeFlags),
    .target(name: "Translation", dependencies: ["NN"], swiftSettings: nativeFlags),
    .target(name: "CLI", dependencies: ["Translation"], swiftSettings: nativeFlags),
    .executableTarget(name: "transformer-cli", dependencies: ["CLI"], swiftSettings: nativeFlags),
    .testTarget(name: "TensorsTests", dependencies: ["Tensors"], swiftSettings: nativeFlags),
    .testTarget(name: "AutogradTests", dependencies: ["Autograd"], swiftSettings: nativeFlags),
    .testTarget(
      name: "NNTests", dependencies: ["NN"], exclude: ["Fixtures"], swiftSettings: nativeFlags),
    .testTarget(
      name: "TranslationTests", dependencies: ["Translation"], exclude: ["Fixtures"],
      swiftSettings: nativeFlags),
    .testTarget(name: "CLITests", dependencies: ["CLI"], swiftSettings: nativeFlags),
  ],
  swiftLanguageModes: [.v5]
)
