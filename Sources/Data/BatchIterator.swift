/// Where a training run is in its stream of batches: save it with a checkpoint and pass it back
/// to ``BatchIterator`` to continue with exactly the batch that would have come next.
public struct BatchPosition: Sendable, Equatable, CustomStringConvertible {
  /// The epoch, from 0.
  public var epoch: Int
  /// The index of the batch within the epoch, from 0.
  public var batchIndex: Int

  /// A position; the default is the start of training.
  public init(epoch: Int = 0, batchIndex: Int = 0) {
    self.epoch = epoch
    self.batchIndex = batchIndex
  }

  /// "epoch 3, batch 120".
  public var description: String { "epoch \(epoch), batch \(batchIndex)" }
}

/// An endless stream of batches, epoch after epoch, that can start at any saved position.
///
/// Each epoch's plan depends only on the planner's seed and the epoch number, so an iterator
/// started at a position yields the same batches as one that got there by iterating.
public struct BatchIterator: IteratorProtocol, Sendable {
  /// The planner that orders each epoch.
  public let planner: BatchPlanner
  /// The position of the batch that ``next()`` returns next: the value to save in a checkpoint.
  public private(set) var position: BatchPosition
  private var plan: [[Int]]
  private var planEpoch: Int

  /// An iterator that starts at `position`. A position past the end of its epoch (say, from a
  /// corpus that has since changed) starts the following epoch; a negative one starts at zero.
  public init(planner: BatchPlanner, position: BatchPosition = BatchPosition()) {
    self.planner = planner
    self.position = BatchPosition(
      epoch: max(0, position.epoch), batchIndex: max(0, position.batchIndex))
    planEpoch = self.position.epoch
    plan = planner.plan(epoch: planEpoch)
    if self.position.batchIndex >= plan.count {
      self.position = BatchPosition(epoch: planEpoch + 1, batchIndex: 0)
    }
  }

  /// The number of batches in the current epoch.
  public mutating func batchesInEpoch() -> Int {
    loadPlan()
    return plan.count
  }

  /// The next batch. Never nil: after the last batch of an epoch comes the next epoch.
  public mutating func next() -> Batch? {
    loadPlan()
    let batch = planner.batch(plan[position.batchIndex], position: position)
    position.batchIndex += 1
    if position.batchIndex == plan.count {
      position = BatchPosition(epoch: position.epoch + 1, batchIndex: 0)
    }
    return batch
  }

  /// Passes over the next batch without building it, as a process of a data-parallel run does
  /// with the batches other processes take; returns the skipped batch's position.
  @discardableResult
  public mutating func skip() -> BatchPosition {
    loadPlan()
    let skipped = position
    position.batchIndex += 1
    if position.batchIndex == plan.count {
      position = BatchPosition(epoch: position.epoch + 1, batchIndex: 0)
    }
    return skipped
  }

  /// Makes `plan` the current epoch's plan.
  private mutating func loadPlan() {
    if planEpoch != position.epoch {
      planEpoch = position.epoch
      plan = planner.plan(epoch: planEpoch)
    }
  }
}
