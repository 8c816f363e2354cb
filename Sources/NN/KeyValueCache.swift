import Autograd
import Tensors

/// The self-attention keys and values of every decoder layer for the positions decoded so far,
/// so that each incremental step projects only the one new position (Vaswani et al. §3.2.3;
/// fairseq's `incremental_state`, marian's decoder state).
///
/// Each layer's `Layer` holds two buffers `[R, H, C, K]` (R rows, C the capacity in positions);
/// `MultiHeadAttention.callAsFunction(step:cache:mask:packed:)` appends the new position of
/// every row to it. `reorder` gathers rows (beam search keeps the rows of the surviving
/// hypotheses, or drops finished sentences) in place, writing only the rows that change; rows
/// that are read after being written over are first saved in a spare pair of buffers,
/// allocated by the first reorder that needs it.
///
/// Shapes: R rows (sentences × beams), H heads, C capacity, K head size, D = H·K. With
/// grouped-query attention (`model.kv_heads` G < H) the layers hold G heads, so "H" below is G
/// and the cache is H/G times smaller.
public struct KeyValueCache {
  /// The keys and values of one attention by head, `[R, H, C, K]` each, of which rows
  /// `0..<rowCount` and positions `0..<length` are written.
  ///
  /// The same type holds the encoder–decoder attention's keys and values `[B, H, S, K]`,
  /// projected once from the encoder output and full from the start (`init(keys:values:)`).
  public struct Layer {
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
    public private(set) var length: Int

    /// `[maxRows, H, C, K]`.
    private(set) var keys: TensorStorage
    private(set) var values: TensorStorage
    /// Where `reorder` saves the rows it reads after writing over them, allocated by the first
    /// reorder that needs it.
    private var spare: (keys: TensorStorage, values: TensorStorage)?

    /// An empty layer of `rowCount` rows and `capacity` positions.
    public init(rowCount: Int, headCount: Int, headSize: Int, capacity: Int) {
      precondition(
        headCount > 0 && headSize > 0 && rowCount >= 0 && capacity > 0,
        "KeyValueCache: bad sizes \(headCount)×\(headSize), \(rowCount) rows, "
          + "\(capacity) positions")
      self.headCount = headCount
      self.headSize = headSize
      self.capacity = capacity
      maxRowCount = rowCount
      self.rowCount = rowCount
      length = 0
      let count = rowCount * headCount * capacity * headSize
      keys = TensorStorage(count: count, zeroed: false)
      values = TensorStorage(count: count, zeroed: false)
    }

    /// A full layer holding `keys` and `values`, `[R, H, L, K]` each: capacity and length L.
    public init(keys: consuming Tensor, values: consuming Tensor) {
      precondition(
        keys.rank == 4 && keys.shape == values.shape,
        "KeyValueCache.Layer: keys \(keys.shape) and values \(values.shape) must be [R, H, L, K]")
      (rowCount, headCount, capacity, headSize) = (
        keys.shape[0], keys.shape[1], keys.shape[2], keys.shape[3]
      )
      maxRowCount = rowCount
      length = capacity
      // `reorder` compacts the buffers in place: copied unless this layer is their only owner.
      keys.makeUnique()
      values.makeUnique()
      self.keys = keys.storage
      self.values = values.storage
    }

    /// The bytes of the keys and values buffers (`2·maxRows·H·C·K` floats; a reorder's spare
    /// pair, when allocated, doubles it).
    public var byteCount: Int {
      2 * maxRowCount * headCount * capacity * headSize * MemoryLayout<Float>.size
    }

    /// Elements between consecutive rows.
    var rowStride: Int { headCount * capacity * headSize }
    /// Elements between consecutive heads of a row.
    var headStride: Int { capacity * headSize }

    /// Writes the new position's keys and values at position `length` of every row and makes
    /// it part of the layer: the split of their heads (`splitHeads`) into the cache's layout.
    ///
    /// - Parameters:
    ///   - keys: `[R, D]`, the key projection of the new position of every row.
    ///   - values: `[R, D]`.
    public mutating func append(keys newKeys: Tensor, values newValues: Tensor) {
      precondition(length < capacity, "KeyValueCache: all \(capacity) positions are used")
      let width = headCount * headSize
      precondition(
        newKeys.shape == [rowCount, width] && newValues.shape == [rowCount, width],
        "KeyValueCache.append: keys \(newKeys.shape) and values \(newValues.shape) must be "
          + "[\(rowCount), \(width)]")
      for (source, target) in [(newKeys, keys), (newValues, values)] {
        splitHeads(
          source.storage.pointer, into: target.pointer + length * headSize, batch: rowCount,
          length: 1, heads: headCount, headSize: headSize, capacity: capacity)  // [R, H, C, K]
      }
      length += 1
    }

    /// Keeps the rows `rows`, in that order: new row i is old row `rows[i]`. Rows may repeat
    /// (two hypotheses extending one prefix), and the count may shrink or grow (up to
    /// `maxRowCount`: one sentence's row repeated for each of its hypotheses).
    ///
    /// - Parameter rows: each in `0..<rowCount`; at most `maxRowCount` of them.
    public mutating func reorder(_ rows: [Int]) {
      reorder(ReorderPlan(rows))
    }

    /// `reorder(plan.rows)`.
    mutating func reorder(_ plan: ReorderPlan) {
      let rows = plan.rows
      precondition(
        rows.count <= maxRowCount && rows.allSatisfy { (0..<rowCount).contains($0) },
        "KeyValueCache.reorder: rows \(rows) do not fit \(rowCount) rows")
      defer { rowCount = rows.count }
      guard !plan.moved.isEmpty && length > 0 else { return }
      let (headCount, headSize, rowStride, headStride) = (
        self.headCount, self.headSize, self.rowStride, self.headStride
      )
      let (length, used) = (self.length, self.length * headSize)
      // Positions `first..<length` of row `from` of `source`'s keys and values into row `to` of
      // `target`'s.
      func copy(
        _ from: Int, of source: (keys: TensorStorage, values: TensorStorage), to: Int,
        of target: (keys: TensorStorage, values: TensorStorage), first: Int = 0
      ) {
        let (start, count) = (first * headSize, (length - first) * headSize)
        for head in 0..<headCount {
          let read = from * rowStride + head * headStride + start
          let write = to * rowStride + head * headStride + start
          (target.keys.pointer + write).update(from: source.keys.pointer + read, count: count)
          (target.values.pointer + write).update(from: source.values.pointer + read, count: count)
        }
      }
      /// The first position row `row` does not already hold.
      func first(_ row: Int) -> Int { Swift.min(plan.unchanged[row], length) }
      let cache = (keys: keys, values: values)
      if plan.isIncreasing {
        for row in plan.moved { copy(rows[row], of: cache, to: row, of: cache, first: first(row)) }
        return
      }
      let count = maxRowCount * rowStride
      let spare =
        self.spare
        ?? (TensorStorage(count: count, zeroed: false), TensorStorage(count: count, zeroed: false))
      self.spare = spare
      // A thread takes at least 16,384 floats of keys (and as many of values) to copy.
      let grain = Swift.max(1, 16_384 / (headCount * used))
      parallelFor(plan.saved.count, minimumPerThread: grain) { slot in
        copy(plan.saved[slot], of: cache, to: slot, of: spare)
      }
      parallelFor(plan.moved.count, minimumPerThread: grain) { index in
        let (row, parent) = (plan.moved[index], rows[plan.moved[index]])
        if let slot = plan.slots[parent] {
          copy(slot, of: spare, to: row, of: cache, first: first(row))
        } else {
          copy(parent, of: cache, to: row, of: cache, first: first(row))
        }
      }
    }
  }

  /// Which rows a reorder writes, and from where; the same for every layer.
  struct ReorderPlan {
    /// New row i is old row `rows[i]`.
    let rows: [Int]
    /// The rows that change (`rows[i] != i`): in beam search most hypotheses extend the one in
    /// their own row, so only these are written.
    let moved: [Int]
    /// Increasing rows (dropping finished sentences) compact forward in place, in order:
    /// rows[i] ≥ i, so a row is read before anything is written over it.
    let isIncreasing: Bool
    /// Any other order may read a row after writing over it (two hypotheses taking each
    /// other's parents): these rows are saved in the spare buffers first (row `saved[s]` in
    /// slot s). Then each moved row is copied from its slot or from its own place, which nothing
    /// writes over; both passes write disjoint rows, so they are spread over threads.
    let saved: [Int]
    /// The slot of each saved row.
    let slots: [Int: Int]
    /// Per new row, its leading positions that already hold what its parent's do (a
    /// hypothesis of the same sentence with the same first tokens): only the rest is copied.
    let unchanged: [Int]

    init(_ rows: [Int], unchanged: [Int]? = nil) {
      self.rows = rows
      self.unchanged = unchanged ?? [Int](repeating: 0, count: rows.count)
      precondition(
        self.unchanged.count == rows.count && self.unchanged.allSatisfy { $0 >= 0 },
        "KeyValueCache.reorder: \(self.unchanged.count) unchanged lengths for \(rows.count) rows")
      moved = rows.indices.filter { rows[$0] != $0 }
      isIncreasing = zip(rows, rows.dropFirst()).allSatisfy { $0 < $1 }
      saved =
        isIncreasing ? [] : Set(moved.map { rows[$0] }).intersection(Set(moved)).sorted()
      slots = Dictionary(uniqueKeysWithValues: saved.enumerated().map { ($0.element, $0.offset) })
    }
  }

  /// Per decoder layer, bottom first.
  public var layers: [Layer]

  /// An empty cache.
  ///
  /// - Parameters:
  ///   - layerCount: the decoder layers.
  ///   - headCount: H.
  ///   - headSize: K.
  ///   - rowCount: R, also the most rows the cache will ever hold.
  ///   - capacity: C, the most positions (target length) a row will hold.
  public init(layerCount: Int, headCount: Int, headSize: Int, rowCount: Int, capacity: Int) {
    precondition(layerCount > 0, "KeyValueCache: \(layerCount) layers")
    layers = (0..<layerCount).map { _ in
      Layer(rowCount: rowCount, headCount: headCount, headSize: headSize, capacity: capacity)
    }
  }

  /// The positions every row holds: the next step feeds position `length`.
  public var length: Int { layers[0].length }
  /// R: the rows in use.
  public var rowCount: Int { layers[0].rowCount }

  /// The bytes of every layer's keys and values.
  public var byteCount: Int { layers.reduce(0) { $0 + $1.byteCount } }

  /// Keeps the rows `rows` of every layer, in that order (see `Layer.reorder`).
  ///
  /// - Parameter unchanged: per new row i, how many leading positions it already holds as old
  ///   row `rows[i]` does (then only the rest is copied); nil: none.
  public mutating func reorder(_ rows: [Int], unchanged: [Int]? = nil) {
    let plan = ReorderPlan(rows, unchanged: unchanged)
    for index in layers.indices { layers[index].reorder(plan) }
  }
}
