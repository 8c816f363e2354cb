import Autograd

// The NN target: what sits between the autograd and the translation code.
//
// - `SafeTensorsFile` (with `SafeTensorsHeader`, `SafeTensorsError`): named Float32 tensors on
//   disk in Hugging Face's safetensors layout, written atomically and validated on reading.
// - `Adam` (with `AdamState`, `GradientClipping`): the optimiser over `TrainableParameter`s or
//   plain tensors, its checkpointable state, and clipping by global gradient norm.
// - `LearningRateSchedule`: the paper's warm-up schedule and the inverse-square-root one.
