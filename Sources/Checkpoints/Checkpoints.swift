// The Checkpoints target: everything on disk that a model is made of.
//
// - `SafeTensorsFile`: named Float32 tensors in Hugging Face's safetensors layout.
// - `Transformer+Checkpoint`: a model's weights file, its configuration in the metadata.
// - `Checkpoint` and `CheckpointStore`: a checkpoint directory (weights, config, BPE models,
//   trainer state) written aside and renamed into place; `last/`, `best/`, `checkpoints/step-N`.
// - `CheckpointAverage`: the mean of several checkpoints' weights.
// - Adam's moments and step as named tensors, for resuming exactly.
