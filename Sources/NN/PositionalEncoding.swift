import Autograd
import Tensors

/// The fixed sinusoidal positional encoding of Vaswani et al. §3.5,
/// `PE(pos, 2i) = sin(pos / 10000^(2i/D))`, `PE(pos, 2i+1) = cos(pos / 10000^(2i/D))`,
/// computed once for `maxPositions` positions and sliced per call. It has no parameters.
public struct PositionalEncoding {
  /// `[maxPositions, D]`, row `t` the encoding of position `t`.
  public let table: Tensor

  /// The table for positions `0..<maxPositions` at width `width`.
  public init(maxPositions: Int, width: Int) {
    table = sinusoidalPositionalEncoding(maxLength: maxPositions, width: width)
  }

  /// The number of positions covered.
  public var maxPositions: Int { table.shape[0] }
  /// D.
  public var width: Int { table.shape[1] }

  /// The encodings of positions `0..<length`, a constant to add to `[B, length, D]`.
  ///
  /// - Parameter length: T, at most `maxPositions`.
  /// - Returns: `[T, D]`.
  public func callAsFunction(length: Int) -> Variable {
    precondition(
      (0...maxPositions).contains(length),
      "PositionalEncoding: length \(length) exceeds max_positions \(maxPositions)")
    if length == maxPositions { return Variable(table) }
    var rows = Tensor(uninitializedShape: [length, width])  // [T, D]
    rows.withUnsafeMutableBufferPointer { rows in
      rows.baseAddress!.update(from: table.storage.pointer, count: length * width)
    }
    return Variable(rows)
  }

  /// The encoding of one position, to add to every row of an inference step `[R, D]`.
  ///
  /// - Parameter position: t, in `0..<maxPositions`.
  /// - Returns: `[D]`.
  public func callAsFunction(position: Int) -> Tensor {
    precondition(
      (0..<maxPositions).contains(position),
      "PositionalEncoding: position \(position) is past max_positions \(maxPositions)")
    var row = Tensor(uninitializedShape: [width])  // [D]
    row.withUnsafeMutableBufferPointer { row in
      row.baseAddress!.update(from: table.storage.pointer + position * width, count: width)
    }
    return row
  }
}
