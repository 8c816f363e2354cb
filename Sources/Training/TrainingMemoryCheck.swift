import Config
import Data
import NN
import Support

/// Refuses a run whose largest batch cannot fit in memory before its first step, with the
/// numbers and the keys to change, instead of letting the system kill the process (perhaps
/// hours in, when the epoch's largest batch comes).
///
/// What a step needs beyond the weights and Adam's moments (already allocated when this runs,
/// so no longer in the available memory): the parameters' gradients (4 bytes each) and the
/// activations of the largest batch the run can form (``ActivationMemory``, over the row
/// lengths the corpus really has), times ``allocatorOverhead``. The attention matrices alone
/// are checked earlier, from `data.max_length` (`StandardAttentionBudget`), where the fix is
/// another kernel.
enum TrainingMemoryCheck {
  /// The process's peak resident memory over the tensors' own peak bytes: freed blocks stay
  /// in the allocator's arenas (`AllocatorTuning` keeps them for reuse) and batches of other
  /// shapes fragment them. Measured 1.14–1.30 on `bench train` (one batch shape) and 1.56 on
  /// a toy run of 26,083-token batches of every shape.
  static let allocatorOverhead = 1.5

  /// One line saying why the largest batch does not fit, or nil when it does (or when the
  /// available memory cannot be read).
  ///
  /// - Parameters:
  ///   - maxRows: the most rows a batch can have (the batcher's chunk of pairs sorted together).
  ///   - availableBytes: by default what the system (and the process's control group) leaves
  ///     available now.
  ///   - processes: the training processes on this machine (MPI ranks), this one included:
  ///     each takes its share of `availableBytes` (each measured it before the others' first
  ///     step).
  static func problem(
    configuration: TransformerConfiguration, batchTokens: Int, accumulate: Int,
    pairs: [SentencePair], maxRows: Int, parameterCount: Int,
    availableBytes: Int? = ProcessMemory.availableBytes(), processes: Int = 1
  ) -> String? {
    guard let availableBytes else { return nil }
    var lengths: [Int: Int] = [:]
    for pair in pairs {
      lengths[BatchPlanner.rowLength(of: pair, joined: configuration.isDecoderOnly), default: 0] +=
        1
    }
    func activations(_ tokens: Int) -> (bytes: Double, rows: Int, length: Int)? {
      ActivationMemory.largestBatch(
        configuration, batchTokens: tokens, rowLengths: lengths, maxRows: maxRows)
    }
    guard let batch = activations(batchTokens) else { return nil }
    let gradients = 4 * Double(parameterCount)
    let processes = max(1, processes)
    let available = Double(availableBytes) / Double(processes)
    let needed = allocatorOverhead * batch.bytes + gradients
    guard needed > available else { return nil }
    let limit =
      processes == 1
      ? "the \(gigabytes(available)) of memory available"
      : "\(gigabytes(available)), this process's share of the "
        + "\(gigabytes(Double(availableBytes))) of memory available to the \(processes) training "
        + "processes on this machine"
    let what =
      "a batch of \(batch.rows) \(batch.rows == 1 ? "row" : "rows") of \(batch.length) tokens "
      + "(training.batch_tokens \(batchTokens)) needs about \(gigabytes(needed)) for the "
      + "training step (activations and gradients), more than \(limit)"
    // The largest budget that fits with a tenth to spare, in two significant figures.
    var low = 0
    var high = batchTokens
    while low < high {
      let middle = (low + high + 1) / 2
      let bytes = activations(middle)?.bytes ?? 0
      if allocatorOverhead * bytes + gradients <= 0.9 * available {
        low = middle
      } else {
        high = middle - 1
      }
    }
    let suggestion = roundedDown(low)
    guard suggestion >= (lengths.keys.max() ?? 1) else {
      return what + "; even one batch of the longest pair does not fit: make the model smaller "
        + "(model.d_model, model.d_ff, the layers, data.vocab_size) or lower data.max_length"
    }
    var advice = "lower training.batch_tokens to \(suggestion)"
    let factor = (batchTokens + suggestion - 1) / suggestion
    if accumulate * factor <= ConfigLimits.accumulationSteps {
      advice +=
        " and raise training.accumulate to \(accumulate * factor) to keep the tokens per step"
    }
    return what + "; " + advice
  }

  /// `value` rounded down to two significant figures (26,083 → 26,000).
  static func roundedDown(_ value: Int) -> Int {
    var unit = 1
    while value / unit >= 100 { unit *= 10 }
    return value / unit * unit
  }

  /// `bytes` as "13.2 GB" (10⁹ bytes), or "4 MB" under 0.1 GB.
  static func gigabytes(_ bytes: Double) -> String {
    let value = bytes / 1e9
    if value < 0.1 { return "\(Int((bytes / 1e6).rounded())) MB" }
    return value >= 100 ? "\(Int(value.rounded())) GB" : "\((value * 10).rounded() / 10) GB"
  }
}
