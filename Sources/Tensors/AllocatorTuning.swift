#if canImport(Glibc)
  import Glibc
#endif

/// Keeps freed tensor memory in the process instead of handing it back to the kernel.
///
/// glibc serves large blocks (the `[B·T, V]` logits and their gradient are ~50 MB) with `mmap`
/// and unmaps them on `free`, so every training step page-faults its largest tensors in afresh:
/// measured at ~50 ms of a 700 ms step of the small model. With mmap off and trimming raised,
/// a freed block is reused by the next step's allocation of the same size.
enum AllocatorTuning {
  /// Applies the settings once (true when they took effect); read before the first tensor
  /// allocation.
  static let applied: Bool = {
    #if canImport(Glibc)
      // mallopt is declared in <malloc.h>, which the Glibc module does not import; look it up.
      typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
      guard let symbol = dlsym(nil, "mallopt") else { return false }
      let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
      let mmapMax: Int32 = -4  // M_MMAP_MAX
      let trimThreshold: Int32 = -1  // M_TRIM_THRESHOLD
      return mallopt(mmapMax, 0) == 1 && mallopt(trimThreshold, Int32.max) == 1
    #else
      return false
    #endif
  }()
}
