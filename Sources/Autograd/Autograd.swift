// The Autograd target: reverse-mode differentiation over the Tensors kernels.
//
// - `Tape` records each operation with its pullback; `backward()` walks it in reverse.
// - `Variable`: a tensor with an optional gradient cell.
// - The differentiable ops (`*Ops.swift`), each forward beside its pullback, keeping only what
//   backward needs.
// - `GradientCheck`: finite differences against every pullback.
