// The Training target: `Trainer` (one step: forward, label-smoothed loss, backward, gradient
// clipping, Adam, the schedule), `TrainingRun` (the loop around it: vocabulary, corpus,
// validation loss and BLEU, checkpoints, resume, Ctrl-C, the metrics log, the summary) and the
// events it reports to the command line.
