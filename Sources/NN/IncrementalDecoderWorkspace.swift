import Autograd
import Tensors

/// The scratch buffers of one `IncrementalDecoder`, allocated once for its largest row count,
/// and the raw inference forms of the decoder's pieces (linear map, layer norm, feed-forward)
/// that write into them. Nothing here records on a tape or allocates per step.
///
/// Shapes: R rows, D model width, F feed-forward width, H heads, S source length,
/// C cache capacity (positions).
struct IncrementalDecoderWorkspace {
  /// The residual stream of the new position, `[R, D]`.
  let stream: TensorStorage
  /// The normalised stream (pre-norm) or the sum before the norm (post-norm), `[R, D]`.
  let normalized: TensorStorage
  /// Query, key and value projections, `[R, D]` each.
  let query: TensorStorage
  let key: TensorStorage
  let value: TensorStorage
  /// The attended values merged back, `[R, D]`.
  let context: TensorStorage
  /// A sub-layer's output, `[R, D]`.
  let update: TensorStorage
  /// The feed-forward network's hidden layer, `[R, F]`.
  let hidden: TensorStorage
  /// Attention scores, then probabilities: `[R, H, max(C, S)]`.
  let scores: TensorStorage
  /// Layer-norm statistics, `[R]` each (computed, not needed at inference).
  let mean: TensorStorage
  let rstd: TensorStorage

  /// Buffers for up to `rows` rows.
  init(rows: Int, width: Int, feedForwardWidth: Int, heads: Int, keys: Int) {
    func buffer(_ count: Int) -> TensorStorage { TensorStorage(count: count, zeroed: true) }
    stream = buffer(rows * width)
    normalized = buffer(rows * width)
    query = buffer(rows * width)
    key = buffer(rows * width)
    value = buffer(rows * width)
    context = buffer(rows * width)
    update = buffer(rows * width)
    hidden = buffer(rows * feedForwardWidth)
    scores = buffer(rows * heads * keys)
    mean = buffer(rows)
    rstd = buffer(rows)
  }

  /// `y = x·W + b` for `rows` rows: `[R, in] → [R, out]`.
  ///
  /// - Parameter packed: W packed beforehand, used when the rows are many.
  func linear(
    _ layer: Linear, packed: PackedMatrix?, _ x: UnsafePointer<Float>,
    into y: UnsafeMutablePointer<Float>, rows: Int
  ) {
    let (inputWidth, outputWidth) = (layer.inputWidth, layer.outputWidth)
    if rows <= IncrementalDecoderRowProduct.maxRows {
      IncrementalDecoderRowProduct.multiply(
        x, layer.weight.value.storage.pointer, into: y, rows: rows, inner: inputWidth,
        columns: outputWidth)
    } else if let packed {
      gemm(m: rows, a: x, lda: inputWidth, transposeA: false, b: packed, c: y, ldc: outputWidth)
    } else {
      gemm(
        m: rows, n: outputWidth, k: inputWidth, a: x, lda: inputWidth, transposeA: false,
        b: layer.weight.value.storage.pointer, ldb: outputWidth, transposeB: false,
        c: y, ldc: outputWidth)
    }
    if let bias = layer.bias {
      vectorAddRowVector(y, bias.value.storage.pointer, into: y, rows: rows, columns: outputWidth)
    }
  }

  /// Layer norm of each of `rows` rows: `[R, D] → [R, D]`; `y` may be `x`.
  func layerNorm(
    _ norm: LayerNorm, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, rows: Int
  ) {
    layerNormForward(
      x, gamma: norm.weight.value.storage.pointer, beta: norm.bias.value.storage.pointer,
      into: y, mean: mean.pointer, rstd: rstd.pointer, rows: rows, width: norm.weight.count,
      epsilon: norm.epsilon)
  }

  /// The feed-forward network (§3.3) of `x` into `y`: `[R, D] → [R, D]`, through `hidden`.
  ///
  /// - Parameter packed: W₁ and W₂ packed beforehand.
  func feedForward(
    _ network: FeedForward, packed: (inner: PackedMatrix, outer: PackedMatrix)?,
    _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, rows: Int
  ) {
    linear(network.inner, packed: packed?.inner, x, into: hidden.pointer, rows: rows)  // [R, F]
    let count = rows * network.inner.outputWidth
    switch network.activation {
    case .relu: reluForward(hidden.pointer, into: hidden.pointer, count: count)
    case .gelu: geluForward(hidden.pointer, into: hidden.pointer, count: count)
    }
    linear(network.outer, packed: packed?.outer, hidden.pointer, into: y, rows: rows)  // [R, D]
  }

  /// Runs `sublayer` on the stream inside its residual connection, in place:
  /// post-norm `x = LN(x + f(x))`, pre-norm `x = x + f(LN(x))` (§3.1).
  ///
  /// - Parameter sublayer: reads `[R, D]` from its argument and writes `update`.
  func residual(
    _ connection: SublayerConnection, rows: Int, width: Int,
    _ sublayer: (UnsafePointer<Float>) -> Void
  ) {
    let count = rows * width
    switch connection.placement {
    case .post:
      sublayer(stream.pointer)
      vectorAdd(stream.pointer, update.pointer, into: stream.pointer, count: count)
      layerNorm(connection.norm, stream.pointer, into: stream.pointer, rows: rows)
    case .pre:
      layerNorm(connection.norm, stream.pointer, into: normalized.pointer, rows: rows)
      sublayer(normalized.pointer)
      vectorAdd(stream.pointer, update.pointer, into: stream.pointer, count: count)
    }
  }
}
