import Tensors

/// The self-attention keys and values of every decoder layer for the positions decoded so far,
/// so that each incremental step projects only the one new position (Vaswani et al. §3.2.3;
/// fairseq's `incremental_state`, marian's decoder state).
///
/// Each layer holds two buffers `[R, H, C, K]` (R rows, C the capacity in positions); a step
/// writes position `length` of every row with `append`, then `advance()` makes it visible.
/// `reorder` gathers rows (beam search keeps the rows of the surviving hypotheses, or drops
/// finished sentences) into spare buffers that are swapped in, so no step allocates.
///
/// Shapes: R rows (sentences × beams), H heads, C capacity, K head size, D = H·K.
public struct KeyValueCache {
  /// The number of decoder layers.
  public let layerCount: Int
  /// H.
  public let headCount: Int
  /// K.
  public let headSize: Int
  /// C: the most positions a row can hold.
  public let capacity: Int
  /// The most rows the buffers hold.
  public let maxRowCount: Int
  /// R: the rows in use.
  public private(set) var rowCount: Int
  /// The positions every row holds.
  public private(set) var length = 0

  /// Per layer `[maxRows, H, C, K]`, of which rows `0..<rowCount` and positions `0..<length`
  /// are meaningful.
  private var keys: [TensorStorage]
  private var values: [TensorStorage]
  /// Where `reorder` gathers into before swapping.
  private var spareKeys: [TensorStorage]
  private var spareValues: [TensorStorage]

  /// An empty cache.
  ///
  /// - Parameters:
  ///   - layerCount: the decoder layers.
  ///   - headCount: H.
  ///   - headSize: K.
  ///   - rowCount: R, also the most rows the cache will ever hold.
  ///   - capacity: C, the most positions (target length) a row will hold.
  public init(layerCount: Int, headCount: Int, headSize: Int, rowCount: Int, capacity: Int) {
    precondition(
      layerCount > 0 && headCount > 0 && headSize > 0 && rowCount >= 0 && capacity > 0,
      "KeyValueCache: bad sizes \(layerCount) layers, \(headCount)×\(headSize), "
        + "\(rowCount) rows, \(capacity) positions")
    self.layerCount = layerCount
    self.headCount = headCount
    self.headSize = headSize
    self.capacity = capacity
    self.maxRowCount = rowCount
    self.rowCount = rowCount
    let count = rowCount * headCount * capacity * headSize
    func buffers() -> [TensorStorage] {
      (0..<layerCount).map { _ in TensorStorage(count: count, zeroed: false) }
    }
    keys = buffers()
    values = buffers()
    spareKeys = buffers()
    spareValues = buffers()
  }

  /// Elements between consecutive rows.
  var rowStride: Int { headCount * capacity * headSize }
  /// Elements between consecutive heads of a row.
  var headStride: Int { capacity * headSize }

  /// Layer `layer`'s keys, `[R, H, C, K]`.
  func keys(layer: Int) -> UnsafeMutablePointer<Float> { keys[layer].pointer }
  /// Layer `layer`'s values, `[R, H, C, K]`.
  func values(layer: Int) -> UnsafeMutablePointer<Float> { values[layer].pointer }

  /// Writes the new position's keys and values of layer `layer` at position `length`.
  ///
  /// - Parameters:
  ///   - key: `[R, D]`, the key projection of the new position of every row.
  ///   - value: `[R, D]`.
  public mutating func append(layer: Int, key: UnsafePointer<Float>, value: UnsafePointer<Float>) {
    precondition(length < capacity, "KeyValueCache: all \(capacity) positions are used")
    let (heads, size, position) = (headCount, headSize, length)
    let (rowStride, headStride) = (self.rowStride, self.headStride)
    let (keyBase, valueBase) = (keys[layer].pointer, values[layer].pointer)
    let width = heads * size
    for row in 0..<rowCount {
      for head in 0..<heads {
        let target = row * rowStride + head * headStride + position * size
        (keyBase + target).update(from: key + row * width + head * size, count: size)
        (valueBase + target).update(from: value + row * width + head * size, count: size)
      }
    }
  }

  /// Makes the position written by `append` part of every row; call once per step, after
  /// every layer has appended.
  public mutating func advance() {
    precondition(length < capacity, "KeyValueCache: all \(capacity) positions are used")
    length += 1
  }

  /// Keeps the rows `rows`, in that order: new row i is old row `rows[i]`. Rows may repeat
  /// (two hypotheses extending one prefix) and the count may shrink.
  ///
  /// - Parameter rows: each in `0..<rowCount`; at most `maxRowCount` of them.
  public mutating func reorder(_ rows: [Int]) {
    precondition(
      rows.count <= maxRowCount && rows.allSatisfy { (0..<rowCount).contains($0) },
      "KeyValueCache.reorder: rows \(rows) do not fit \(rowCount) rows")
    if rows == Array(0..<rowCount) { return }
    let (rowStride, headStride, used) = (self.rowStride, self.headStride, length * headSize)
    for layer in 0..<layerCount {
      for (source, target) in [
        (keys[layer], spareKeys[layer]), (values[layer], spareValues[layer]),
      ] {
        for (newRow, oldRow) in rows.enumerated() {
          for head in 0..<headCount {
            let offset = head * headStride
            (target.pointer + newRow * rowStride + offset).update(
              from: source.pointer + oldRow * rowStride + offset, count: used)
          }
        }
      }
      swap(&keys[layer], &spareKeys[layer])
      swap(&values[layer], &spareValues[layer])
    }
    rowCount = rows.count
  }
}
