import Foundation
import Support

extension RunConfig {
  /// One share of the model's memory and the keys whose product it is, the first the one an
  /// error names as its path.
  struct MemoryTerm {
    var keys: [String]
    var floats: Double
  }

  /// The model's memory in 32-bit floats, share by share, with `floatsPerParameter` for each
  /// trainable scalar (4 in training: weight, gradient and Adam's two moments; 1 to decode).
  ///
  /// Computed in `Double`, so that no choice of sizes can overflow; it counts the large
  /// tensors (matrices, embedding and position tables), not biases or norms.
  func memoryTerms(floatsPerParameter: Double) -> [MemoryTerm] {
    let width = Double(model.modelWidth)
    let vocabulary = Double(data.vocabularySize)
    let positions = Double(model.maxPositions)
    let keyValueWidth =
      width / Double(model.headCount) * Double(model.keyValueHeads ?? model.headCount)
    let decoderOnly = model.architecture == .decoderOnly
    let encoderLayers = decoderOnly ? 0 : Double(model.encoderLayerCount)
    let decoderLayers = Double(model.decoderLayerCount)
    let layerKeys =
      decoderOnly ? ["model.decoder_layers"] : ["model.encoder_layers", "model.decoder_layers"]
    // Query and output projections D×D, key and value projections D×(G·K).
    let attention = 2 * width * width + 2 * width * keyValueWidth
    let attentionCount = encoderLayers + decoderLayers * (decoderOnly ? 1 : 2)
    let tables: Double = model.tieEmbeddings ? 1 : decoderOnly ? 2 : 3
    var positionFloats = positions * width  // the sinusoidal table, built whatever `positions` is
    if model.positions == .learned {
      positionFloats += (decoderOnly ? 1 : 2) * positions * width * floatsPerParameter
    }
    return [
      MemoryTerm(
        keys: ["model.d_ff", "model.d_model"] + layerKeys,
        floats: (encoderLayers + decoderLayers) * 2 * width * Double(model.feedForwardWidth)
          * floatsPerParameter),
      MemoryTerm(
        keys: ["model.d_model"] + layerKeys, floats: attentionCount * attention * floatsPerParameter
      ),
      MemoryTerm(
        keys: ["data.vocab_size", "model.d_model"],
        floats: tables * vocabulary * width * floatsPerParameter),
      MemoryTerm(keys: ["model.max_positions", "model.d_model"], floats: positionFloats),
    ]
  }

  /// Why the model's parameters (with `floatsPerParameter` floats each, see
  /// ``memoryTerms(floatsPerParameter:)``) do not fit in `memoryLimit` bytes, or nil when
  /// they do: the JSON path of the largest share and a one-line message naming its keys.
  func memoryProblem(memoryLimit: UInt64, floatsPerParameter: Double)
    -> (path: String, message: String)?
  {
    let terms = memoryTerms(floatsPerParameter: floatsPerParameter)
    let bytes = 4 * terms.reduce(0) { $0 + $1.floats }
    guard bytes > Double(memoryLimit), let largest = terms.max(by: { $0.floats < $1.floats })
    else { return nil }
    let values = largest.keys.map { "\($0) (\(value(of: $0)))" }
    let listed = values.dropLast().joined(separator: ", ") + " and " + values.last!
    let use =
      floatsPerParameter >= 4
      ? "the parameters with their gradients and Adam moments" : "the parameters"
    return (
      largest.keys[0],
      "\(value(of: largest.keys[0])) makes \(use) need about "
        + "\(gigabytes(bytes)), more than the \(gigabytes(Double(memoryLimit))) of memory "
        + "this process may use; most of it comes from \(listed): lower them"
    )
  }

  /// Refuses a model whose memory (``memoryProblem(memoryLimit:floatsPerParameter:)``)
  /// exceeds what this process may use (the machine's memory, or its control group's limit),
  /// before any of it is allocated: the allocation would abort the
  /// process, or swap for minutes first.
  func checkMemory(floatsPerParameter: Double, origin: (String) -> String) throws(ConfigError) {
    if let problem = memoryProblem(
      memoryLimit: ProcessMemory.totalBytes().map(UInt64.init)
        ?? ProcessInfo.processInfo.physicalMemory,
      floatsPerParameter: floatsPerParameter)
    {
      throw .invalid(source: origin(problem.path), path: problem.path, message: problem.message)
    }
  }

  /// The value at a config path of an integer size key, as text.
  private func value(of path: String) -> String {
    switch path {
    case "model.d_ff": return String(model.feedForwardWidth)
    case "model.d_model": return String(model.modelWidth)
    case "model.encoder_layers": return String(model.encoderLayerCount)
    case "model.decoder_layers": return String(model.decoderLayerCount)
    case "model.max_positions": return String(model.maxPositions)
    case "data.vocab_size": return String(data.vocabularySize)
    default: return "?"
    }
  }

  private func gigabytes(_ bytes: Double) -> String {
    let value = bytes / 1e9
    return String(format: value >= 100 ? "%.0f GB" : "%.1f GB", value)
  }
}
