import Foundation

// The tensor-level entry points of the memory-efficient attention kernel: shapes checked,
// outputs allocated, then the pointer kernels of MemoryEfficientAttentionForward/Backward.

extension AttentionShape {
  /// The sizes of `query [B, H, T, K]`, `key [B, G, S, K]` and `value [B, G, S, K]`, checked.
  public init(query: [Int], key: [Int], value: [Int]) {
    kernelPrecondition(
      query.count == 4 && key.count == 4 && key == value && query[0] == key[0]
        && query[3] == key[3] && key[1] >= 1 && query[1] % key[1] == 0,
      "memoryEfficientAttention: query \(query), key \(key) and value \(value) must be "
        + "[B, H, T, K], [B, G, S, K], [B, G, S, K] with G dividing H")
    self.init(
      batch: query[0], heads: query[1], keyValueHeads: key[1], queries: query[2], keys: key[2],
      headSize: query[3])
  }
}

/// Memory-efficient attention on tensors (see `memoryEfficientAttentionForward`).
///
/// - Parameters:
///   - query: `[B, H, T, K]`.
///   - key: `[B, G, S, K]`, G dividing H.
///   - value: `[B, G, S, K]`.
/// - Returns: the output `[B, H, T, K]` and the log-sum-exp `[B, H, T]` its backward needs.
public func memoryEfficientAttention(
  query: Tensor, key: Tensor, value: Tensor, mask: AttentionMask = .none,
  modifiers: AttentionModifiers = .none
) -> (output: Tensor, logSumExp: Tensor) {
  let shape = AttentionShape(query: query.shape, key: key.shape, value: value.shape)
  var output = Tensor(uninitializedShape: query.shape)  // [B, H, T, K]
  var logSumExp = Tensor(uninitializedShape: Array(query.shape[0..<3]))  // [B, H, T]
  output.withUnsafeMutableBufferPointer { out in
    logSumExp.withUnsafeMutableBufferPointer { lse in
      guard let out = out.baseAddress, let lse = lse.baseAddress else { return }
      memoryEfficientAttentionForward(
        query: query.storage.pointer, key: key.storage.pointer, value: value.storage.pointer,
        output: out, logSumExp: lse, shape: shape, mask: mask, modifiers: modifiers)
    }
  }
  return (output, logSumExp)
}

/// Memory-efficient attention backward on tensors: the gradients of query `[B, H, T, K]`, key
/// and value `[B, G, S, K]` for the output gradient `[B, H, T, K]`.
public func memoryEfficientAttentionBackward(
  query: Tensor, key: Tensor, value: Tensor, output: Tensor, logSumExp: Tensor,
  outputGradient: Tensor, mask: AttentionMask = .none, modifiers: AttentionModifiers = .none
) -> (query: Tensor, key: Tensor, value: Tensor) {
  let shape = AttentionShape(query: query.shape, key: key.shape, value: value.shape)
  kernelPrecondition(
    output.shape == query.shape && outputGradient.shape == query.shape
      && logSumExp.shape == Array(query.shape[0..<3]),
    "memoryEfficientAttentionBackward: output \(output.shape), output gradient "
      + "\(outputGradient.shape) and log-sum-exp \(logSumExp.shape) must be [B, H, T, K], "
      + "[B, H, T, K], [B, H, T] for query \(query.shape)")
  var dq = Tensor(shape: query.shape)  // [B, H, T, K]
  var dk = Tensor(shape: key.shape)  // [B, G, S, K]
  var dv = Tensor(shape: value.shape)  // [B, G, S, K]
  dq.withUnsafeMutableBufferPointer { dq in
    dk.withUnsafeMutableBufferPointer { dk in
      dv.withUnsafeMutableBufferPointer { dv in
        guard dq.baseAddress != nil, dk.baseAddress != nil else { return }
        memoryEfficientAttentionBackward(
          query: query.storage.pointer, key: key.storage.pointer, value: value.storage.pointer,
          output: output.storage.pointer, logSumExp: logSumExp.storage.pointer,
          outputGradient: outputGradient.storage.pointer, queryGradient: dq.baseAddress,
          keyGradient: dk.baseAddress, valueGradient: dv.baseAddress, shape: shape, mask: mask,
          modifiers: modifiers)
      }
    }
  }
  return (dq, dk, dv)
}
