// The Tokenizer target: byte-level BPE (Sennrich et al. 2016) learned from text, its model
// file, encoding and decoding, the special tokens (`Vocabulary`) and the source/target pair of
// models a run uses (`TrainingVocabulary`).
