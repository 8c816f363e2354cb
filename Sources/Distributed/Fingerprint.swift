import Foundation

/// 64-bit FNV-1a hashes, to compare the build and the config across ranks cheaply: one number
/// per rank goes over the network instead of the files.
public enum Fingerprint {
  /// The FNV-1a hash of `bytes`.
  public static func of<Bytes: Sequence>(_ bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes {
      hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
    }
    return hash
  }

  /// The hash of the running executable's file: ranks started from different builds (a
  /// rebuilt binary on one node) would compute different gradients, or different batches.
  public static func ofExecutable() -> UInt64 {
    let path =
      FileManager.default.fileExists(atPath: "/proc/self/exe")
      ? "/proc/self/exe" : CommandLine.arguments[0]
    guard let data = FileManager.default.contents(atPath: path) else { return 0 }
    return data.withUnsafeBytes { of($0) }
  }
}
