/// An n-dimensional array of `Float` in contiguous row-major order.
///
/// `Tensor` is a value: assigning it shares the storage, and the first write through a shared
/// storage copies it. Reshaping never copies.
public struct Tensor {
  /// The extent of each dimension, outermost first.
  public internal(set) var shape: [Int]
  /// The elements, row-major. May be shared with other tensors (see `withUnsafeMutableBufferPointer`).
  public internal(set) var storage: TensorStorage

  /// The number of elements: the product of `shape`.
  public var count: Int { storage.count }
  /// The number of dimensions.
  public var rank: Int { shape.count }

  /// A tensor of `shape` with every element equal to `value`.
  public init(shape: [Int], repeating value: Float = 0) {
    let count = Tensor.elementCount(shape)
    storage = TensorStorage(count: count, zeroed: value == 0)
    self.shape = shape
    if value != 0 { storage.pointer.initialize(repeating: value, count: count) }
  }

  /// A tensor of `shape` holding `scalars` in row-major order.
  public init(shape: [Int], scalars: [Float]) {
    let count = Tensor.elementCount(shape)
    kernelPrecondition(
      scalars.count == count,
      "Tensor(shape:scalars:): shape \(shape) needs \(count) scalars, got \(scalars.count)")
    storage = TensorStorage(count: count, zeroed: false)
    self.shape = shape
    scalars.withUnsafeBufferPointer { source in
      if let base = source.baseAddress { storage.pointer.update(from: base, count: count) }
    }
  }

  /// A tensor of `shape` whose elements are uninitialised; the caller writes every one.
  public init(uninitializedShape shape: [Int]) {
    storage = TensorStorage(count: Tensor.elementCount(shape), zeroed: false)
    self.shape = shape
  }

  /// Wraps an existing storage. `shape` must describe exactly `storage.count` elements.
  public init(shape: [Int], storage: TensorStorage) {
    kernelPrecondition(
      Tensor.elementCount(shape) == storage.count,
      "Tensor(shape:storage:): shape \(shape) does not hold \(storage.count) elements")
    self.shape = shape
    self.storage = storage
  }

  /// The elements in row-major order, copied into an array.
  public var scalars: [Float] {
    Array(UnsafeBufferPointer(start: storage.pointer, count: count))
  }

  /// The same elements viewed with another shape of the same element count. Shares storage.
  public func reshaped(_ newShape: [Int]) -> Tensor {
    kernelPrecondition(
      Tensor.elementCount(newShape) == count,
      "reshaped: cannot view \(shape) (\(count) elements) as \(newShape)")
    return Tensor(shape: newShape, storage: storage)
  }

  /// Calls `body` with the elements, read-only.
  public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
    try body(UnsafeBufferPointer(start: storage.pointer, count: count))
  }

  /// Calls `body` with the elements, writable; copies the storage first if another tensor shares it.
  public mutating func withUnsafeMutableBufferPointer<R>(
    _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
  ) rethrows -> R {
    makeUnique()
    return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: count))
  }

  /// Gives this tensor a storage of its own, copying it if it is shared.
  public mutating func makeUnique() {
    if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
  }

  /// The element at a row-major flat index.
  public subscript(flat index: Int) -> Float {
    get {
      kernelPrecondition(index >= 0 && index < count, "Tensor[flat:]: index \(index) out of 0..<\(count)")
      return storage.pointer[index]
    }
    set {
      kernelPrecondition(index >= 0 && index < count, "Tensor[flat:]: index \(index) out of 0..<\(count)")
      makeUnique()
      storage.pointer[index] = newValue
    }
  }

  /// The element at a multi-dimensional index.
  public subscript(_ indices: Int...) -> Float {
    get { storage.pointer[flatIndex(indices)] }
    set {
      let index = flatIndex(indices)
      makeUnique()
      storage.pointer[index] = newValue
    }
  }

  private func flatIndex(_ indices: [Int]) -> Int {
    kernelPrecondition(indices.count == shape.count, "Tensor subscript: \(indices.count) indices for shape \(shape)")
    var index = 0
    for (axis, i) in indices.enumerated() {
      kernelPrecondition(i >= 0 && i < shape[axis], "Tensor subscript: index \(indices) out of shape \(shape)")
      index = index * shape[axis] + i
    }
    return index
  }

  /// The product of a shape's extents; every extent must be non-negative.
  public static func elementCount(_ shape: [Int]) -> Int {
    var product = 1
    for extent in shape {
      kernelPrecondition(extent >= 0, "Tensor: negative extent in shape \(shape)")
      product *= extent
    }
    return product
  }
}

extension Tensor: CustomStringConvertible {
  public var description: String {
    let preview = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
    return "Tensor(shape: \(shape), [\(preview)\(count > 8 ? ", …" : "")])"
  }
}
