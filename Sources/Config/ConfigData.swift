import Tokenizer
/// The `data` section: where the parallel corpus is and how it becomes tokens.
///
/// Paths are relative to the current directory. The defaults name the toy English→Korean
/// corpus in `data/toy`.
public struct DataConfig: ConfigSection {
  /// The training source sentences, one per line.
  public var trainSource = "data/toy/train.en"
  /// The training target sentences, line by line parallel to ``trainSource``.
  public var trainTarget = "data/toy/train.ko"
  /// The validation source sentences.
  public var validSource = "data/toy/valid.en"
  /// The validation target sentences.
  public var validTarget = "data/toy/valid.ko"
  /// The test source sentences; empty for no test set.
  public var testSource = ""
  /// The test target sentences; empty for no test set.
  public var testTarget = ""
  /// The BPE vocabulary size, reserved pieces included (per language unless joint).
  public var vocabularySize = 8000
  /// Whether source and target share one BPE vocabulary (needed to tie all three embeddings).
  public var jointVocabulary = true
  /// The most BPE pieces a sentence may have, not counting `<s>`/`</s>`; longer pairs are dropped.
  public var maxLength = 100

  /// Every field at its default.
  public init() {}

  public static let name = "data"
  public static let summary = "The parallel corpus and its BPE vocabulary."
  public static let fields: [ConfigField<DataConfig>] = [
    .text(
      "train_source", \.trainSource, allowsEmpty: false, "Training source sentences, one per line."),
    .text(
      "train_target", \.trainTarget, allowsEmpty: false,
      "Training target sentences, line-parallel to `train_source`."),
    .text("valid_source", \.validSource, allowsEmpty: false, "Validation source sentences."),
    .text("valid_target", \.validTarget, allowsEmpty: false, "Validation target sentences."),
    .text(
      "test_source", \.testSource, allowsEmpty: true,
      "Test source sentences, scored after training; empty for none."),
    .text(
      "test_target", \.testTarget, allowsEmpty: true,
      "Test target sentences; set together with `test_source`."),
    .integer(
      "vocab_size", \.vocabularySize, minimum: BPEModel.minimumVocabularySize,
      maximum: ConfigLimits.vocabularySize,
      "BPE vocabulary size, including the \(Vocabulary.reservedCount) reserved pieces (special tokens and bytes)."
    ),
    .boolean(
      "joint_vocabulary", \.jointVocabulary,
      "Learn one BPE vocabulary for both languages instead of one each."),
    .integer(
      "max_length", \.maxLength, minimum: 1, maximum: ConfigLimits.positions,
      "Most BPE pieces per sentence, without `<s>`/`</s>`; training pairs with a longer side are dropped."
    ),
  ]

  /// Decodes the keys present, with the same checks as a config file.
  public init(from decoder: Decoder) throws { try self.init(decodingFieldsFrom: decoder) }
  /// Encodes every field under its JSON key.
  public func encode(to encoder: Encoder) throws { try encodeFields(to: encoder) }
}
