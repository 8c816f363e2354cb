import Autograd
import Distributed
import Tensors

/// Sums the accumulated gradients of every process of a data-parallel run, between backward
/// and Adam, so that each process takes the same step with the same weights.
///
/// One fused `MPI_Allreduce` after backward, over one flat buffer holding every gradient: the
/// tape's backward has no hook that says when a parameter's gradient is complete (a tied
/// embedding receives its last contribution at the very end), so buckets started during
/// backward would need one; on the machines this runs on the allreduce is a small part of
/// the step (see README, "Training on several processes"). The buffer is kept between steps.
///
/// A gradient that no batch reached is nil in one process (Adam skips it) but may be non-nil in
/// another; the count of processes holding one travels with the loss totals, and a parameter is
/// given a (summed) gradient only when some process had one, so nil stays nil everywhere.
struct GradientAllReduce {
  private let group: ProcessGroup
  private var buffer: [Float] = []

  init(group: ProcessGroup) {
    self.group = group
  }

  /// Sums `parameters`' gradients and `figures` (per-rank totals) over the processes.
  ///
  /// - Parameter figures: small per-process numbers (loss totals, token counts, a stop flag)
  ///   summed in the same exchange as the gradient mask, to spare a round trip.
  mutating func sum(_ parameters: [Variable], figures: inout [Double]) {
    guard group.size > 1 else { return }
    let total = parameters.reduce(0) { $0 + $1.count }
    if buffer.count != total { buffer = [Float](repeating: 0, count: total) }
    var small = figures + parameters.map { $0.gradient == nil ? 0 : 1 }
    buffer.withUnsafeMutableBufferPointer { flat in
      var offset = 0
      for parameter in parameters {
        let slice = UnsafeMutableBufferPointer(rebasing: flat[offset..<offset + parameter.count])
        if let gradient = parameter.gradient {
          gradient.withUnsafeBufferPointer { source in
            _ = slice.initialize(from: source)
          }
        } else {
          slice.update(repeating: 0)
        }
        offset += parameter.count
      }
      group.sum(flat)
    }
    group.sum(&small)
    figures = Array(small[0..<figures.count])
    buffer.withUnsafeBufferPointer { flat in
      var offset = 0
      for (index, parameter) in parameters.enumerated() {
        let range = offset..<offset + parameter.count
        offset += parameter.count
        guard small[figures.count + index] > 0 else { continue }
        parameter.updateGradient { gradient in
          var summed = gradient ?? Tensor(uninitializedShape: parameter.shape)
          summed.withUnsafeMutableBufferPointer { target in
            _ = target.initialize(from: UnsafeBufferPointer(rebasing: flat[range]))
          }
          gradient = summed
        }
      }
    }
  }
}
