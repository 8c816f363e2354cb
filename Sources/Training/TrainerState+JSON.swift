import Data
import NN
import Support

// The trainer state as the JSON of `trainer.safetensors`' metadata `trainer.state`, one line
// with sorted keys:
//
//     {"batch_fingerprint":"fedcba9876543210","best":{"step":40,"valid_bleu":99.9,…},
//      "dropout_generator_state":["ffffffffffffffff",…],"elapsed_seconds":12.3,
//      "position":{"batchIndex":17,"epoch":3},"step":42,"target_tokens":0,
//      "validations_without_improvement":0,"window":{"loss":0.3,…}}
//
// 64-bit words are hexadecimal strings, so no JSON reader rounds them; a non-finite number (a
// diverged loss) is the string "nan", "inf" or "-inf". The keys are those JSONEncoder wrote
// before, so older checkpoints resume.

extension TrainerState {
  /// The state as JSON.
  public var json: JSONValue {
    var members: [(key: String, value: JSONValue)] = [
      ("batch_fingerprint", .string(String(batchFingerprint, radix: 16))),
      ("dropout_generator_state", .strings(dropoutGeneratorState.map { String($0, radix: 16) })),
      ("elapsed_seconds", Self.real(elapsedSeconds)),
      (
        "position",
        .object([
          ("batchIndex", .integer(position.batchIndex)), ("epoch", .integer(position.epoch)),
        ])
      ),
      ("step", .integer(step)),
      ("target_tokens", .integer(targetTokens)),
      ("validations_without_improvement", .integer(validationsWithoutImprovement)),
      (
        "window",
        .object([
          ("loss", Self.real(window.loss)),
          ("negative_log_likelihood", Self.real(window.negativeLogLikelihood)),
          ("steps", .integer(window.steps)), ("target_tokens", .integer(window.targetTokens)),
        ])
      ),
    ]
    if let plannedSteps { members.append(("planned_steps", .integer(plannedSteps))) }
    if let validationFingerprint {
      members.append(("validation_fingerprint", .string(String(validationFingerprint, radix: 16))))
    }
    // Written only once something is measured, so a state without a plan reads and writes
    // the bytes earlier versions wrote.
    if timing != StepTiming() { members.append(("timing", Self.json(timing))) }
    if decayTiming != StepTiming() { members.append(("decay_timing", Self.json(decayTiming))) }
    if let replan {
      members.append(
        (
          "replan",
          .object([
            ("at_step", .integer(replan.step)),
            ("from_planned_steps", .integer(replan.firstTotalSteps)),
          ])
        ))
    }
    if let best { members.append(("best", Self.json(best))) }
    if let lastValidation { members.append(("last_validation", Self.json(lastValidation))) }
    return .object(members.sorted { $0.key < $1.key })
  }

  /// The state in `json`, or nil when a member is missing or of the wrong kind.
  public init?(json: JSONValue) {
    self.init()
    guard let step = json["step"]?.integer,
      let epoch = json["position"]?["epoch"]?.integer,
      let batchIndex = json["position"]?["batchIndex"]?.integer,
      let words = json["dropout_generator_state"]?.elements,
      let elapsedSeconds = Self.real(json["elapsed_seconds"]),
      let targetTokens = json["target_tokens"]?.integer,
      let windowSteps = json["window"]?["steps"]?.integer,
      let windowLoss = Self.real(json["window"]?["loss"]),
      let windowLikelihood = Self.real(json["window"]?["negative_log_likelihood"]),
      let windowTokens = json["window"]?["target_tokens"]?.integer,
      let validations = json["validations_without_improvement"]?.integer,
      let fingerprint = json["batch_fingerprint"]?.string.flatMap({ UInt64($0, radix: 16) })
    else { return nil }
    var generator: [UInt64] = []
    for word in words {
      guard let value = word.string.flatMap({ UInt64($0, radix: 16) }) else { return nil }
      generator.append(value)
    }
    self.step = step
    position = BatchPosition(epoch: epoch, batchIndex: batchIndex)
    dropoutGeneratorState = generator
    self.elapsedSeconds = elapsedSeconds
    self.targetTokens = targetTokens
    window.steps = windowSteps
    window.loss = windowLoss
    window.negativeLogLikelihood = windowLikelihood
    window.targetTokens = windowTokens
    validationsWithoutImprovement = validations
    batchFingerprint = fingerprint
    // `planned_steps` and `timing` are absent from checkpoints written before
    // `max_steps: "auto"` existed.
    if let member = json["planned_steps"] {
      guard let planned = member.integer else { return nil }
      plannedSteps = planned
    }
    // `validation_fingerprint` is absent from those written before it was kept.
    if let member = json["validation_fingerprint"] {
      guard let value = member.string.flatMap({ UInt64($0, radix: 16) }) else { return nil }
      validationFingerprint = value
    }
    // `decay_timing` and `replan` are absent from those written before the re-plan existed.
    for (key, value) in [("timing", \Self.timing), ("decay_timing", \Self.decayTiming)] {
      guard let member = json[key] else { continue }
      guard let measured = Self.timing(member) else { return nil }
      self[keyPath: value] = measured
    }
    if let member = json["replan"] {
      guard let step = member["at_step"]?.integer,
        let first = member["from_planned_steps"]?.integer
      else { return nil }
      replan = DecayReplan(step: step, firstTotalSteps: first)
    }
    for (key, value) in [("best", \Self.best), ("last_validation", \Self.lastValidation)] {
      guard let member = json[key] else { continue }
      guard let result = Self.validationResult(member) else { return nil }
      self[keyPath: value] = result
    }
  }

  /// Step and validation times, as sums.
  private static func json(_ timing: StepTiming) -> JSONValue {
    .object([
      ("last_validation_seconds", real(timing.lastValidationSeconds)),
      ("step_seconds", real(timing.stepSeconds)), ("steps", .integer(timing.steps)),
      ("validation_seconds", real(timing.validationSeconds)),
      ("validations", .integer(timing.validations)),
    ])
  }

  private static func timing(_ json: JSONValue) -> StepTiming? {
    guard let steps = json["steps"]?.integer,
      let stepSeconds = real(json["step_seconds"]),
      let validations = json["validations"]?.integer,
      let validationSeconds = real(json["validation_seconds"]),
      let lastValidationSeconds = real(json["last_validation_seconds"])
    else { return nil }
    return StepTiming(
      steps: steps, stepSeconds: stepSeconds, validations: validations,
      validationSeconds: validationSeconds, lastValidationSeconds: lastValidationSeconds)
  }

  /// A validation's figures under the keys of its `metrics.jsonl` line.
  private static func json(_ result: ValidationResult) -> JSONValue {
    var members: [(key: String, value: JSONValue)] = [
      ("step", .integer(result.step)), ("valid_loss", real(result.loss)),
      ("valid_ppl", real(result.perplexity)),
    ]
    if let bleu = result.bleu { members.append(("valid_bleu", real(bleu))) }
    return .object(members.sorted { $0.key < $1.key })
  }

  private static func validationResult(_ json: JSONValue) -> ValidationResult? {
    guard let step = json["step"]?.integer, let loss = real(json["valid_loss"]),
      let perplexity = real(json["valid_ppl"])
    else { return nil }
    var bleu: Double? = nil
    if let member = json["valid_bleu"] {
      guard let value = real(member) else { return nil }
      bleu = value
    }
    return ValidationResult(step: step, loss: loss, perplexity: perplexity, bleu: bleu)
  }

  /// A number that reads back exactly; non-finite ones as strings.
  private static func real(_ value: Double) -> JSONValue {
    if value.isNaN { return .string("nan") }
    if value.isInfinite { return .string(value > 0 ? "inf" : "-inf") }
    return JSONValue.real(value)
  }

  /// The number `real(_:)` wrote, or nil.
  private static func real(_ json: JSONValue?) -> Double? {
    switch json {
    case .number(let text)?: return Double(text)
    case .string("nan")?: return .nan
    case .string("inf")?: return .infinity
    case .string("-inf")?: return -.infinity
    default: return nil
    }
  }
}
