import Foundation
import XCTest
@testable import Metrics


/// The sacreBLEU test vectors under `Fixtures/bleu`, made by `scripts/make-bleu-vectors.py`.
///
/// Each case directory holds hand-written `hyp.txt` and `ref*.txt` and the `expected.json`
/// that sacreBLEU produced from them. Located through `#filePath`, so the package needs no
/// resources.
struct BLEUFixtureCase {
  /// What sacreBLEU reported for one case (keys converted from snake_case).
  struct Expected: Decodable {
    struct BLEUValues: Decodable {
      let score: Double
      let precisions: [Double]
      let bp: Double
      let ratio: Double
      let hypLen: Int
      let refLen: Int
      let counts: [Int]
      let totals: [Int]
      let description: String
      let signature: String
      let textLine: String
    }

    struct CHRFValues: Decodable {
      let score: Double
      let description: String
      let signature: String
      let textLine: String
    }

    let sacrebleuVersion: String
    let hypothesisLines: Int
    let references: [String]
    let bleu: BLEUValues
    let chrf: CHRFValues
  }

  let name: String
  /// Lines exactly as the files hold them (trailing `\r`, spaces and all).
  let hypotheses: [String]
  let references: [[String]]
  let expected: Expected

  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/bleu")

  /// Every case directory that has a `hyp.txt`, in name order.
  static func all() throws -> [BLEUFixtureCase] {
    let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    return try names.compactMap { name in
      let caseDirectory = directory.appendingPathComponent(name)
      let hypothesisFile = caseDirectory.appendingPathComponent("hyp.txt")
      guard FileManager.default.fileExists(atPath: hypothesisFile.path) else { return nil }
      let expected = try decode(Expected.self, from: caseDirectory)
      return BLEUFixtureCase(
        name: name,
        hypotheses: try lines(hypothesisFile),
        references: try expected.references.map {
          try lines(caseDirectory.appendingPathComponent($0))
        },
        expected: expected)
    }
  }

  static func lines(_ file: URL) throws -> [String] {
    MetricLines.split(try String(contentsOf: file, encoding: .utf8))
  }

  static func decode<T: Decodable>(_ type: T.Type, from caseDirectory: URL) throws -> T {
    let data = try Data(contentsOf: caseDirectory.appendingPathComponent("expected.json"))
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    return try decoder.decode(type, from: data)
  }
}
