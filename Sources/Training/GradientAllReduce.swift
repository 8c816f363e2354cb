import Autograd
import Distributed
import Tensors

/// Sums the accumulated gradients of every process of a data-parallel run, between backward
/// and Adam, so that each process takes the same step with the same weights.
///
/// The gradients are summed in *buckets* (as PyTorch's DistributedDataParallel does): the
/// parameters in reverse order of creation, which is about the order backward finishes them,
/// cut into groups of about `bucketBytes`. During the step's last backward, the tape reports
/// each parameter whose gradient is final (``parameterCompleted(_:)``); its gradient is copied
/// into the bucket's part of one flat buffer, and a bucket whose parameters are all final is
/// summed with `MPI_Iallreduce` while backward goes on with the rest. ``finish(figures:)``
/// starts what is left, waits for every bucket and writes the sums back.
///
/// Every process must start the same buckets in the same order, whatever order its backward
/// finishes the parameters in, so the buckets are fixed at the start and started strictly in
/// turn: a bucket waits for the ones before it. With `bucketBytes` 0 there is one bucket,
/// started after backward: the fused allreduce.
///
/// A gradient that no batch reached is nil in one process (Adam skips it) but may be non-nil in
/// another; it is sent as zeros, the count of processes holding one travels with the loss
/// totals, and a parameter is given a (summed) gradient only when some process had one, so nil
/// stays nil everywhere.
final class GradientAllReduce {
  private let group: ProcessGroup
  private let parameters: [Variable]
  /// Each parameter's place in `flat`.
  private let ranges: [Range<Int>]
  /// The parameters of each bucket, and its range in `flat`, in the order they are started.
  private let buckets: [(parameters: [Int], range: Range<Int>)]
  /// The bucket of each parameter.
  private let bucketOf: [Int]
  /// Every gradient, bucket after bucket. Allocated once: MPI reads and writes it while
  /// backward runs, so it must not move.
  private let flat: UnsafeMutableBufferPointer<Float>
  /// Per bucket, its parameters not yet final in this step.
  private var waiting: [Int] = []
  /// Per parameter, whether it was copied into `flat` in this step.
  private var copied: [Bool] = []
  /// The buckets started in this step; the next to start is `buckets[started]`.
  private var started = 0

  /// Whether buckets are started during backward (more than one bucket, several processes).
  let overlapsBackward: Bool

  /// - Parameter bucketBytes: the least size of a bucket's gradients in bytes (the last may be
  ///   smaller); 0 for one bucket summed after backward.
  init(group: ProcessGroup, parameters: [Variable], bucketBytes: Int) {
    self.group = group
    self.parameters = parameters
    var buckets: [(parameters: [Int], range: Range<Int>)] = []
    var bucketOf = [Int](repeating: 0, count: parameters.count)
    var ranges = [Range<Int>](repeating: 0..<0, count: parameters.count)
    var offset = 0
    var current: [Int] = []
    var start = 0
    for index in parameters.indices.reversed() {
      current.append(index)
      bucketOf[index] = buckets.count
      ranges[index] = offset..<offset + parameters[index].count
      offset += parameters[index].count
      if bucketBytes > 0, (offset - start) * MemoryLayout<Float>.size >= bucketBytes {
        buckets.append((current, start..<offset))
        current = []
        start = offset
      }
    }
    if !current.isEmpty { buckets.append((current, start..<offset)) }
    self.buckets = buckets
    self.bucketOf = bucketOf
    self.ranges = ranges
    flat = .allocate(capacity: group.size > 1 ? offset : 0)
    overlapsBackward = group.size > 1 && buckets.count > 1
    beginStep()
  }

  deinit {
    flat.deallocate()
  }

  /// The number of buckets (1 when fused).
  var bucketCount: Int { buckets.count }

  /// Forgets the previous step's progress.
  private func beginStep() {
    waiting = buckets.map(\.parameters.count)
    copied = [Bool](repeating: false, count: parameters.count)
    started = 0
  }

  /// Called by backward when `parameters[index]`'s gradient is final for this step: copies it
  /// into its bucket, starts every bucket now complete (in turn) and lets the running sums
  /// progress.
  func parameterCompleted(_ index: Int) {
    guard group.size > 1 else { return }
    copy(index)
    startCompleteBuckets()
    group.progressSums()
  }

  /// Sums every gradient and `figures` over the processes, waiting for the buckets started
  /// during backward and starting the rest.
  ///
  /// - Parameter figures: small per-process numbers (loss totals, token counts) summed in the
  ///   same exchange as the gradient mask, to spare a round trip.
  func finish(figures: inout [Double]) {
    guard group.size > 1 else { return }
    for index in parameters.indices where !copied[index] { copy(index) }
    startCompleteBuckets()
    precondition(started == buckets.count, "GradientAllReduce: a bucket was not started")
    var small = figures + parameters.map { $0.gradient == nil ? 0 : 1 }
    group.waitForSums()
    group.sum(&small)
    figures = Array(small[0..<figures.count])
    for (index, parameter) in parameters.enumerated() {
      guard small[figures.count + index] > 0 else { continue }
      let source = UnsafeBufferPointer(rebasing: flat[ranges[index]])
      parameter.updateGradient { gradient in
        var summed = gradient ?? Tensor(uninitializedShape: parameter.shape)
        summed.withUnsafeMutableBufferPointer { target in _ = target.initialize(from: source) }
        gradient = summed
      }
    }
    beginStep()
  }

  /// Copies `parameters[index]`'s gradient (zeros when it has none) into `flat`.
  private func copy(_ index: Int) {
    guard !copied[index] else { return }
    copied[index] = true
    let slice = UnsafeMutableBufferPointer(rebasing: flat[ranges[index]])
    if let gradient = parameters[index].gradient {
      gradient.withUnsafeBufferPointer { source in _ = slice.initialize(from: source) }
    } else {
      slice.update(repeating: 0)
    }
    waiting[bucketOf[index]] -= 1
  }

  /// Starts the next buckets whose parameters are all copied, in order.
  private func startCompleteBuckets() {
    while started < buckets.count, waiting[started] == 0 {
      group.startSum(UnsafeMutableBufferPointer(rebasing: flat[buckets[started].range]))
      started += 1
    }
  }
}
