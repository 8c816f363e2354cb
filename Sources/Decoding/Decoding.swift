// The Decoding target: translation with a trained model. Greedy and beam search (with the GNMT
// length penalty) over the cached decoder of NN, n-best lists, and `Translator`, which loads a
// checkpoint and turns lines of text into lines of text.
