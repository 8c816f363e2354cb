import Checkpoints
import Config
import Support

/// What may change between a checkpoint's config and the config a run resumes with.
///
/// The model's architecture and the vocabulary layout must match, or the weights and BPE files
/// would not fit: those differences refuse the resume, before any tensor is read (a tensor of
/// another shape would otherwise be taken for damage). Keys the model ignores (encoder_layers
/// of a decoder-only model) are not compared. Limits, intervals and validation
/// settings may change freely (train longer with `--set training.max_steps=…`). Anything else
/// (learning rate, dropout, label smoothing, …) is allowed with a warning, because the resumed
/// run then no longer matches an uninterrupted one. Changed training data is caught separately,
/// by the batches' fingerprint.
enum TrainingResumeCheck {
  /// Keys whose change refuses the resume.
  static let fixedKeys: Set<String> = [
    "data.joint_vocabulary", "model.encoder_layers", "model.decoder_layers", "model.d_model",
    "model.heads", "model.d_ff", "model.activation", "model.norm", "model.tie_embeddings",
    "model.positions", "model.kv_heads", "model.architecture",
  ]
  /// Keys whose change refuses the resume only with learned positions, whose table has
  /// `max_positions` rows; other positions have no tensor of that size.
  static let learnedPositionKeys: Set<String> = ["model.max_positions"]
  /// Keys that may change without a warning.
  static let freeKeys: Set<String> = [
    "data.train_source", "data.train_target", "data.valid_source", "data.valid_target",
    "data.test_source", "data.test_target", "data.max_length",
    "model.max_positions", "training.max_steps", "training.replanned", "training.max_epochs",
    "training.max_time_minutes", "training.valid_every", "training.valid_bleu",
    "training.patience", "training.log_every", "training.keep_last_checkpoints",
    "training.allreduce_bucket_mb",
    "training.seed", "training.batch_tokens", "output.dir", "data.vocab_size",
  ]
  /// Keys a resumed run ignores, because the checkpoint's files decide them.
  static let keptKeys: Set<String> = ["data.vocab_size"]

  /// The differences of `current` from `saved` in ``keptKeys``, as `path: saved → current`.
  static func kept(saved: RunConfig, current: RunConfig) -> [String] {
    DataConfig.fields.compactMap { field -> String? in
      let path = "\(DataConfig.name).\(field.key)"
      guard keptKeys.contains(path), field.value(saved.data) != field.value(current.data)
      else { return nil }
      return "\(path) \(field.value(saved.data).quoted) → \(field.value(current.data).quoted)"
    }
  }

  /// Keys that decide what validation measures, so the best score so far means something only
  /// while they stay: the files, and the longest pair kept (longer ones are left out).
  static let validationKeys: Set<String> = [
    "data.valid_source", "data.valid_target", "data.max_length",
  ]

  /// The differences of `current` from `saved` in ``validationKeys``, as `path 'saved' →
  /// 'current'` texts. Files are compared by device and inode (another spelling of the same
  /// file is no change); their lines are compared later, by the hash the trainer state keeps
  /// (`TrainerState.validationFingerprint`).
  static func validationChanges(saved: RunConfig, current: RunConfig) -> [String] {
    var changes: [String] = []
    func collect<Section: ConfigSection>(_ a: Section, _ b: Section) {
      for field in Section.fields {
        let path = "\(Section.name).\(field.key)"
        let (old, new) = (field.value(a), field.value(b))
        guard validationKeys.contains(path), old != new else { continue }
        if case .string(let x) = old, case .string(let y) = new, FileIdentity.same(x, y) {
          continue
        }
        changes.append("\(path) \(old.quoted) → \(new.quoted)")
      }
    }
    collect(saved.data, current.data)
    collect(saved.training, current.training)
    return changes
  }

  /// The differences of `current` from `saved`, as `path: saved → current` texts.
  ///
  /// - Returns: the refusing differences and the warned ones.
  static func differences(saved: RunConfig, current: RunConfig) -> (
    fixed: [String], warned: [String]
  ) {
    var fixed: [String] = []
    var warned: [String] = []
    let learned = saved.model.positions == .learned
    func sort(_ path: String, _ text: String) {
      if fixedKeys.contains(path) || (learned && learnedPositionKeys.contains(path)) {
        fixed.append(text)
      } else if !freeKeys.contains(path) {
        warned.append(text)
      }
    }
    func compare<Section: ConfigSection>(_ a: Section, _ b: Section) {
      for field in Section.fields where field.value(a) != field.value(b) {
        let path = "\(Section.name).\(field.key)"
        sort(path, "\(path) \(field.value(a).quoted) → \(field.value(b).quoted)")
      }
    }
    compare(saved.data, current.data)
    for difference in saved.model.differences(from: current.model) {
      let path = "\(ModelConfig.name).\(difference.key)"
      sort(path, "\(path) \(difference.value) → \(difference.other)")
    }
    compare(saved.training, current.training)
    compare(saved.output, current.output)
    return (fixed, warned)
  }
}
