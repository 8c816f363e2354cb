import Foundation
import NN
import Support

/// The checks that involve more than one value, and the checks against the file system.
///
/// Each throws ``ConfigError/invalid(source:path:message:)`` naming the first path involved;
/// `origin` maps that path to the file or `--set` argument its value came from.
extension RunConfig {
  /// Checks the values against each other.
  func validate(origin: (String) -> String) throws(ConfigError) {
    func fail(_ path: String, _ message: String) -> ConfigError {
      .invalid(source: origin(path), path: path, message: message)
    }
    if model.modelWidth % model.headCount != 0 {
      throw fail(
        "model.d_model", "\(model.modelWidth) is not divisible by model.heads (\(model.headCount))")
    }
    if model.modelWidth % 2 != 0 {
      throw fail(
        "model.d_model",
        "\(model.modelWidth) is odd; the sinusoidal positional encoding pairs each sine with a cosine"
      )
    }
    if let kv = model.keyValueHeads, model.headCount % kv != 0 {
      throw fail(
        "model.kv_heads",
        "\(kv) does not divide model.heads (\(model.headCount)); heads must be a multiple of "
          + "kv_heads")
    }
    if model.positions == .rope && (model.modelWidth / model.headCount) % 2 != 0 {
      throw fail(
        "model.positions",
        "\"rope\" rotates pairs of a head's dimensions, but the head size d_model/heads = "
          + "\(model.modelWidth / model.headCount) is odd")
    }
    if model.tieEmbeddings && !data.jointVocabulary {
      throw fail(
        "model.tie_embeddings",
        "true needs data.joint_vocabulary true (one table serves both languages); set one of "
          + "them to the other value")
    }
    for (key, window) in [
      ("attention_window", model.attentionWindow),
      ("encoder_attention_window", model.encoderAttentionWindow),
    ] {
      if let window, model.attention == .standard {
        throw fail(
          "model.\(key)",
          "\(window) needs model.attention \"memory_efficient\" or \"auto\"; the standard "
            + "kernel has no window")
      }
    }
    // The fields' upper bounds (ConfigLimits) keep these sums and products far from Int.max.
    if data.maxLength + 1 > model.maxPositions {
      throw fail(
        "data.max_length",
        "\(data.maxLength) needs \(data.maxLength + 1) positions (with <s> or </s>) "
          + "but model.max_positions is \(model.maxPositions)")
    }
    if model.architecture == .decoderOnly {
      // One sequence holds the source with </s> and the target with <s>.
      let needed = 2 * data.maxLength + 2
      if model.maxPositions < needed {
        throw fail(
          "model.max_positions",
          "\(model.maxPositions) cannot hold a decoder-only sequence: source + </s> + <s> + "
            + "target needs 2 × data.max_length (\(data.maxLength)) + 2 = \(needed); raise it or "
            + "lower data.max_length")
      }
      if !data.jointVocabulary {
        throw fail(
          "model.architecture",
          "\"decoder-only\" needs data.joint_vocabulary true: one stack reads source and target "
            + "pieces with one embedding table")
      }
      if let window = model.encoderAttentionWindow {
        throw fail(
          "model.encoder_attention_window",
          "\(window) has no encoder to act on in a \"decoder-only\" model; use "
            + "model.attention_window for its one causal stack, or null")
      }
    }
    if data.testSource.isEmpty != data.testTarget.isEmpty {
      let (empty, set) =
        data.testSource.isEmpty ? ("test_source", "test_target") : ("test_target", "test_source")
      throw fail("data.\(empty)", "empty, but data.\(set) is set; give both or neither")
    }
    if training.maxSteps == 0, training.maxEpochs == 0, training.maxTimeMinutes == 0 {
      throw fail(
        "training.max_steps",
        "0, and so are training.max_epochs and training.max_time_minutes: training would never "
          + "stop; set at least one of them")
    }
    if training.schedule == .linear, let steps = training.maxSteps.fixedSteps,
      steps <= training.warmupSteps
    {
      throw fail(
        "training.max_steps",
        "\(steps), but the linear schedule decays to 0 at training.max_steps, "
          + "which must be above training.warmup_steps (\(training.warmupSteps))")
    }
    if let replan = training.replanned {
      // A member's value comes from wherever the whole object came from.
      func failMember(_ member: String, _ message: String) -> ConfigError {
        .invalid(
          source: origin("training.replanned"), path: "training.replanned.\(member)",
          message: message)
      }
      guard let steps = training.maxSteps.fixedSteps, steps > 0 else {
        let limit = training.maxSteps == .auto ? "\"auto\", which plans afresh" : "0"
        throw fail(
          "training.replanned",
          "set, but training.max_steps is \(limit); replanned goes with the number the re-plan "
            + "chose: give max_steps that number, or set replanned to null")
      }
      if replan.step <= training.warmupSteps {
        throw failMember(
          "at_step",
          "\(replan.step), but the re-plan comes after the warm-up, so it must be above "
            + "training.warmup_steps (\(training.warmupSteps))")
      }
      if replan.firstTotalSteps <= replan.step {
        throw failMember(
          "from_max_steps",
          "\(replan.firstTotalSteps), but the first line must still be above 0 at the re-plan, so "
            + "it must be above training.replanned.at_step (\(replan.step))")
      }
      if steps <= replan.step {
        throw fail(
          "training.max_steps",
          "\(steps), but the re-planned decay runs from training.replanned.at_step "
            + "(\(replan.step)) to 0 at max_steps, which must be above it")
      }
    }
    if training.maxSteps == .auto {
      if training.maxTimeMinutes == 0 {
        throw fail(
          "training.max_steps",
          "\"auto\" plans the steps that fit training.max_time_minutes, which is 0; set it, or "
            + "give max_steps a number")
      }
      // The plan is fixed at the end of the warm-up from what it measured, validations included.
      if training.validationInterval == 0 || training.validationInterval > training.warmupSteps {
        throw fail(
          "training.valid_every",
          "\(training.validationInterval), but training.max_steps \"auto\" measures the time of "
            + "a validation during the warm-up, so it must be between 1 and "
            + "training.warmup_steps (\(training.warmupSteps))")
      }
    }
    // Each rate field is checked in Float on its own (ConfigField.number's usedAsFloat); the
    // schedule's peak combines lr_scale with d_model and warmup_steps, and a nonzero scale can
    // still give a peak that is 0 in Float, where no weight would ever change.
    let peak = training.learningRateSchedule(modelWidth: model.modelWidth).peakRate
    if Float(peak) == 0 {
      let key = training.schedule == .noam ? "lr_scale" : "peak_lr"
      let value =
        training.schedule == .noam
        ? training.learningRateScale : training.peakLearningRate
      throw fail(
        "training.\(key)",
        "\(value) gives a peak learning rate of \(peak), which rounds to 0 in 32-bit "
          + "floating point")
    }
  }

  /// Checks that every data file exists and can be read, and that the output directory is not
  /// a file. Relative paths are resolved against the current directory.
  ///
  /// - Parameter source: the config file's name, for messages.
  public func checkFiles(source: String) throws(ConfigError) {
    try checkFiles { _ in source }
  }

  func checkFiles(origin: (String) -> String) throws(ConfigError) {
    let files = [
      ("data.train_source", data.trainSource), ("data.train_target", data.trainTarget),
      ("data.valid_source", data.validSource), ("data.valid_target", data.validTarget),
      ("data.test_source", data.testSource), ("data.test_target", data.testTarget),
    ]
    let manager = FileManager.default
    for (path, file) in files where !file.isEmpty {
      var isDirectory: ObjCBool = false
      guard manager.fileExists(atPath: file, isDirectory: &isDirectory) else {
        throw .invalid(
          source: origin(path), path: path, message: "no such file \(jsonStringLiteral(file))")
      }
      if isDirectory.boolValue {
        throw .invalid(
          source: origin(path), path: path,
          message: "\(jsonStringLiteral(file)) is a directory, not a file")
      }
      if !manager.isReadableFile(atPath: file) {
        throw .invalid(
          source: origin(path), path: path,
          message: "cannot read \(jsonStringLiteral(file)): permission denied")
      }
      // A pipe (`<(command)`) could be read only once, and training reads each data file more
      // than once (the vocabulary, then the pairs) and again on --resume.
      var status = stat()
      if stat(file, &status) == 0, status.st_mode & S_IFMT != S_IFREG {
        throw .invalid(
          source: origin(path), path: path,
          message: "\(jsonStringLiteral(file)) is not a regular file (a pipe or a device); "
            + "training reads the data files more than once, so save it to a file first")
      }
    }
    var isDirectory: ObjCBool = false
    if manager.fileExists(atPath: output.directory, isDirectory: &isDirectory),
      !isDirectory.boolValue
    {
      throw .invalid(
        source: origin("output.dir"), path: "output.dir",
        message: "\(jsonStringLiteral(output.directory)) is a file, not a directory")
    }
  }
}
