import Foundation
import NN
import Support
import XCTest

@testable import Config

/// Reading configs: defaults, every kind of error with its exact message, `--set`, and the
/// JSON that travels with the weights.
final class ConfigTests: XCTestCase {
  /// The message `body` throws, or nil.
  private func message(_ body: () throws -> RunConfig) -> String? {
    do {
      _ = try body()
      return nil
    } catch {
      return "\(error)"
    }
  }

  /// The message reading `json` (as file `c.json`) with `overrides` throws, or nil.
  private func message(_ json: String, _ overrides: [String] = []) -> String? {
    message {
      try RunConfig(jsonText: json, source: "c.json", overrides: overrides, checkingFiles: false)
    }
  }

  private func read(_ json: String, _ overrides: [String] = []) throws -> RunConfig {
    try RunConfig(jsonText: json, source: "c.json", overrides: overrides, checkingFiles: false)
  }

  func testEmptyObjectGivesTheDefaults() throws {
    let config = try read("{}")
    XCTAssertEqual(config, RunConfig())
    XCTAssertEqual(config.data.trainSource, "data/toy/train.en")
    XCTAssertEqual(config.data.vocabularySize, 8000)
    XCTAssertTrue(config.data.jointVocabulary)
    XCTAssertEqual(config.model.encoderLayerCount, 6)
    XCTAssertEqual(config.model.modelWidth, 512)
    XCTAssertEqual(config.model.headCount, 8)
    XCTAssertEqual(config.model.feedForwardWidth, 2048)
    XCTAssertEqual(config.model.dropout, 0.1)
    XCTAssertEqual(config.model.activation, .relu)
    XCTAssertEqual(config.model.norm, .post)
    XCTAssertEqual(config.model.initialization, .xavierUniform)
    XCTAssertEqual(config.training.adamBeta1, 0.9)
    XCTAssertEqual(config.training.adamBeta2, 0.98)
    XCTAssertEqual(config.training.adamEpsilon, 1e-9)
    XCTAssertEqual(config.training.schedule, .noam)
    XCTAssertEqual(config.training.warmupSteps, 4000)
    XCTAssertEqual(config.training.labelSmoothing, 0.1)
    XCTAssertEqual(config.training.clipNorm, 0)
    XCTAssertEqual(config.output.directory, "runs/default")
  }

  /// Checks that involve the model section and another are made once, when the config is read.
  func testModelChecksAgainstOtherSectionsNameTheKey() {
    XCTAssertEqual(
      message(#"{"data": {"joint_vocabulary": false}, "model": {"tie_embeddings": true}}"#),
      "c.json: model.tie_embeddings: true needs data.joint_vocabulary true (one table serves "
        + "both languages); set one of them to the other value")
    XCTAssertEqual(
      message(#"{"model": {"attention_dropout": 0.99999999}}"#),
      "c.json: model.attention_dropout: 0.99999999 rounds to 1 in 32-bit floating point; use at "
        + "most 0.9999999")
  }

  func testReadsEveryKindOfValue() throws {
    let config = try read(
      """
      {
        "data": {"train_source": "a.en", "joint_vocabulary": false, "vocab_size": 1e3},
        "model": {"d_model": 256, "heads": 4, "activation": "gelu", "norm": "pre", "dropout": 0,
                  "tie_embeddings": false},
        "training": {"seed": 42, "schedule": "inverse_sqrt", "peak_lr": 7e-4, "max_time_minutes": 4.5},
        "output": {"dir": "runs/x"}
      }
      """)
    XCTAssertEqual(config.data.trainSource, "a.en")
    XCTAssertFalse(config.data.jointVocabulary)
    XCTAssertEqual(config.data.vocabularySize, 1000)
    XCTAssertEqual(config.model.modelWidth, 256)
    XCTAssertEqual(config.model.activation, .gelu)
    XCTAssertEqual(config.model.norm, .pre)
    XCTAssertEqual(config.model.dropout, 0)
    XCTAssertEqual(config.training.seed, 42)
    XCTAssertEqual(config.training.schedule, .inverseSquareRoot)
    XCTAssertEqual(config.training.peakLearningRate, 7e-4)
    XCTAssertEqual(config.training.maxTimeMinutes, 4.5)
    XCTAssertEqual(config.output.directory, "runs/x")
    XCTAssertEqual(
      config.training.learningRateSchedule(modelWidth: 256),
      .inverseSquareRoot(peak: 7e-4, warmupSteps: 4000))
  }

  func testUnknownKeysNameTheClosestValidKey() {
    XCTAssertEqual(
      message(#"{"training": {"max_step": 100}}"#),
      #"c.json: training.max_step: unknown key (did you mean "max_steps"?)"#)
    XCTAssertEqual(
      message(#"{"model": {"haeds": 8}}"#),
      #"c.json: model.haeds: unknown key (did you mean "heads"?)"#)
    XCTAssertEqual(
      message(#"{"output": {"xyz": 1}}"#), "c.json: output.xyz: unknown key; output has dir")
    XCTAssertEqual(
      message(#"{"trainig": {}}"#), #"c.json: trainig: unknown section (did you mean "training"?)"#)
    XCTAssertEqual(
      message(#"{"optimizer": {}}"#),
      "c.json: optimizer: unknown section; a config has data, model, training, output")
  }

  func testWrongTypes() {
    XCTAssertEqual(
      message(#"{"model": {"heads": "eight"}}"#),
      #"c.json: model.heads: expected an integer, got "eight""#)
    XCTAssertEqual(
      message(#"{"model": {"heads": 2.5}}"#), "c.json: model.heads: expected an integer, got 2.5")
    XCTAssertEqual(
      message(#"{"model": {"dropout": "0.1"}}"#),
      #"c.json: model.dropout: expected a number, got "0.1""#)
    XCTAssertEqual(
      message(#"{"model": {"tie_embeddings": "yes"}}"#),
      #"c.json: model.tie_embeddings: expected true or false, got "yes""#)
    XCTAssertEqual(
      message(#"{"data": {"train_source": 5}}"#),
      "c.json: data.train_source: expected a string, got 5")
    XCTAssertEqual(
      message(#"{"model": {"activation": "gleu"}}"#),
      #"c.json: model.activation: expected "relu" or "gelu", got "gleu" (did you mean "gelu"?)"#)
    XCTAssertEqual(
      message(#"{"model": {"activation": null}}"#),
      #"c.json: model.activation: expected "relu" or "gelu", got null"#)
    XCTAssertEqual(message(#"{"model": [1]}"#), "c.json: model: expected an object, got an array")
    XCTAssertEqual(message("[]"), "c.json: expected a JSON object at the top level, got an array")
  }

  func testImpossibleValues() {
    XCTAssertEqual(
      message(#"{"model": {"d_model": 250}}"#),
      "c.json: model.d_model: 250 is not divisible by model.heads (8)")
    XCTAssertEqual(
      message(#"{"model": {"dropout": 1.5}}"#),
      "c.json: model.dropout: expected a value in [0, 1), got 1.5")
    XCTAssertEqual(
      message(#"{"model": {"dropout": 1}}"#),
      "c.json: model.dropout: expected a value in [0, 1), got 1")
    XCTAssertEqual(
      message(#"{"model": {"heads": 0}}"#), "c.json: model.heads: expected an integer >= 1, got 0")
    XCTAssertEqual(
      message(#"{"training": {"adam_eps": 0}}"#),
      "c.json: training.adam_eps: expected a number > 0, got 0")
    XCTAssertEqual(
      message(#"{"data": {"vocab_size": 100}}"#),
      "c.json: data.vocab_size: expected an integer >= 262, got 100")
    XCTAssertEqual(
      message(#"{"model": {"d_model": 9, "heads": 3}}"#),
      "c.json: model.d_model: 9 is odd; the sinusoidal positional encoding pairs each sine with a cosine"
    )
    XCTAssertEqual(
      message(#"{"data": {"max_length": 300}}"#),
      "c.json: data.max_length: 300 needs 301 positions (with <s> or </s>) but model.max_positions is 256"
    )
    XCTAssertEqual(
      message(#"{"data": {"test_source": "t.en"}}"#),
      "c.json: data.test_target: empty, but data.test_source is set; give both or neither")
    XCTAssertEqual(
      message(#"{"training": {"max_steps": 0}}"#),
      "c.json: training.max_steps: 0, and so are training.max_epochs and training.max_time_minutes: "
        + "training would never stop; set at least one of them")
    XCTAssertEqual(
      message(#"{"training": {"adam_beta2": 0.999999999}}"#),
      "c.json: training.adam_beta2: 0.999999999 rounds to 1 in 32-bit floating point; use at most 0.9999999"
    )
    XCTAssertEqual(
      message(#"{"training": {"schedule": "linear", "max_steps": 4000, "warmup_steps": 4000}}"#),
      "c.json: training.max_steps: 4000, but the linear schedule decays to 0 at "
        + "training.max_steps, which must be above training.warmup_steps (4000)")
    XCTAssertEqual(message(#"{"output": {"dir": ""}}"#), "c.json: output.dir: must not be empty")
  }

  func testMaxStepsAuto() throws {
    let auto = try read(
      #"{"training": {"max_steps": "auto", "max_time_minutes": 40, "warmup_steps": 400, "#
        + #""valid_every": 200, "schedule": "linear"}}"#)
    XCTAssertEqual(auto.training.maxSteps, .auto)
    XCTAssertNil(auto.training.maxSteps.fixedSteps)
    // config.json keeps the word, and reads back the same.
    XCTAssertTrue(auto.jsonText.contains(#""max_steps": "auto""#), auto.jsonText)
    XCTAssertEqual(try read(auto.jsonText), auto)
    // From --set, without quotes, and back to a number.
    let set = try read(
      #"{"training": {"max_time_minutes": 4, "valid_every": 100}}"#, ["training.max_steps=auto"])
    XCTAssertEqual(set.training.maxSteps, .auto)
    XCTAssertEqual(try read("{}", ["training.max_steps=3600"]).training.maxSteps, .steps(3600))
    // Before the plan, the linear schedule warms up as with any end step.
    XCTAssertEqual(
      auto.training.learningRateSchedule(modelWidth: 256).exactRate(atStep: 200), 0.0005 / 2)

    XCTAssertEqual(
      message(#"{"training": {"max_steps": "auto"}}"#),
      #"c.json: training.max_steps: "auto" plans the steps that fit training.max_time_minutes, "#
        + "which is 0; set it, or give max_steps a number")
    XCTAssertEqual(
      message(#"{"training": {"max_steps": "auto", "max_time_minutes": 40, "valid_every": 5000}}"#),
      #"c.json: training.valid_every: 5000, but training.max_steps "auto" measures the time of "#
        + "a validation during the warm-up, so it must be between 1 and training.warmup_steps "
        + "(4000)")
    XCTAssertEqual(
      message(#"{"training": {"max_steps": "many"}}"#),
      #"c.json: training.max_steps: expected an integer or "auto", got "many""#)
    XCTAssertEqual(
      message("{}", ["training.max_steps=Auto"]),
      #"--set training.max_steps=Auto: training.max_steps: expected an integer or "auto", got "Auto""#
    )
  }

  /// `training.replanned`: what a re-planned `"auto"` run writes reads back equal, from a file
  /// and from `--set`, and gives the bent schedule; every inconsistency is one line naming the
  /// path.
  func testReplannedKey() throws {
    let base =
      #"{"training": {"schedule": "linear", "warmup_steps": 40, "max_steps": 912, "#
      + #""peak_lr": 0.001, "#
    let config = try read(base + #""replanned": {"at_step": 397, "from_max_steps": 754}}}"#)
    let replan = DecayReplan(step: 397, firstTotalSteps: 754)
    XCTAssertEqual(config.training.replanned, replan)
    XCTAssertNil(try read("{}").training.replanned)
    XCTAssertTrue(config.jsonText.contains(#""replanned": {"#), config.jsonText)
    XCTAssertTrue(config.jsonText.contains(#""at_step": 397,"#), config.jsonText)
    XCTAssertTrue(try read("{}").jsonText.contains(#""replanned": null"#))
    XCTAssertEqual(try read(config.jsonText), config)
    XCTAssertEqual(
      try read(
        #"{"training": {"schedule": "linear", "warmup_steps": 40, "max_steps": 912}}"#,
        [#"training.replanned={"from_max_steps": 754, "at_step": 397}"#]
      ).training.replanned, replan)
    XCTAssertNil(try read(config.jsonText, ["training.replanned=null"]).training.replanned)
    XCTAssertEqual(
      config.training.learningRateSchedule(modelWidth: 256),
      .replannedLinear(peak: 0.001, warmupSteps: 40, replan: replan, totalSteps: 912))
    // Codable carries it too.
    let coded = try JSONEncoder().encode(config)
    XCTAssertEqual(try JSONDecoder().decode(RunConfig.self, from: coded), config)

    func member(_ text: String) -> String? { message(base + #""replanned": "# + text + "}}") }
    XCTAssertEqual(
      member("397"),
      #"c.json: training.replanned: expected an object {"at_step": integer ≥ 1, "#
        + #""from_max_steps": integer ≥ 1} or null, got 397"#)
    XCTAssertEqual(
      member(#"{"at_stp": 397, "from_max_steps": 754}"#),
      #"c.json: training.replanned.at_stp: unknown key (did you mean "at_step"?)"#)
    XCTAssertEqual(
      member(#"{"at_step": 397}"#),
      "c.json: training.replanned.from_max_steps: missing; replanned needs at_step and "
        + "from_max_steps")
    XCTAssertEqual(
      member(#"{"at_step": 39.5, "from_max_steps": 754}"#),
      "c.json: training.replanned.at_step: expected an integer, got 39.5")
    XCTAssertEqual(
      member(#"{"at_step": 40, "from_max_steps": 754}"#),
      "c.json: training.replanned.at_step: 40, but the re-plan comes after the warm-up, so it "
        + "must be above training.warmup_steps (40)")
    XCTAssertEqual(
      member(#"{"at_step": 397, "from_max_steps": 397}"#),
      "c.json: training.replanned.from_max_steps: 397, but the first line must still be above 0 "
        + "at the re-plan, so it must be above training.replanned.at_step (397)")
    XCTAssertEqual(
      message(
        #"{"training": {"schedule": "linear", "warmup_steps": 40, "max_steps": 397, "#
          + #""replanned": {"at_step": 397, "from_max_steps": 754}}}"#),
      "c.json: training.max_steps: 397, but the re-planned decay runs from "
        + "training.replanned.at_step (397) to 0 at max_steps, which must be above it")
    XCTAssertEqual(
      message(config.jsonText, ["training.max_steps=auto", "training.max_time_minutes=20"]),
      #"c.json: training.replanned: set, but training.max_steps is "auto", which plans afresh; "#
        + "replanned goes with the number the re-plan chose: give max_steps that number, or set "
        + "replanned to null")
    XCTAssertEqual(
      message("{}", [#"training.replanned={"at_step": 3, "from_max_steps": 9}"#]),
      #"--set training.replanned={"at_step": 3, "from_max_steps": 9}: training.replanned.at_step: "#
        + "3, but the re-plan comes after the warm-up, so it must be above training.warmup_steps "
        + "(4000)")
  }

  func testAttentionKeys() throws {
    let defaults = try read("{}")
    XCTAssertEqual(defaults.model.attention, .auto)
    XCTAssertNil(defaults.model.attentionWindow)
    let long = try read(#"{"model": {"attention": "memory_efficient", "attention_window": 256}}"#)
    XCTAssertEqual(long.model.attention, .memoryEfficient)
    XCTAssertEqual(long.model.attentionWindow, 256)
    let model = long.transformerConfiguration(vocabularySize: 300)
    XCTAssertEqual(model.attention, .memoryEfficient)
    XCTAssertEqual(model.attentionWindow, 256)
    XCTAssertNil(model.encoderAttentionWindow)
    let encoder = try read(#"{"model": {"encoder_attention_window": 128}}"#)
    XCTAssertEqual(encoder.model.encoderAttentionWindow, 128)
    XCTAssertEqual(
      encoder.transformerConfiguration(vocabularySize: 300).encoderAttentionWindow, 128)
    XCTAssertEqual(defaults.transformerConfiguration(vocabularySize: 300).attention, .auto)
    XCTAssertNil(
      try read("{}", ["model.attention_window=64", "model.attention_window=null"])
        .model.attentionWindow)
    XCTAssertEqual(
      try read("{}", ["model.attention=standard"]).transformerConfiguration(vocabularySize: 300)
        .attention, .standard)

    XCTAssertEqual(
      message(#"{"model": {"attention": "flash"}}"#),
      #"c.json: model.attention: expected one of "standard", "memory_efficient", "auto", got "flash""#
    )
    XCTAssertEqual(
      message(#"{"model": {"attention": "memory-efficient"}}"#),
      #"c.json: model.attention: expected one of "standard", "memory_efficient", "auto", got "memory-efficient" (did you mean "memory_efficient"?)"#
    )
    XCTAssertEqual(
      message(#"{"model": {"attention_window": 0}}"#),
      "c.json: model.attention_window: expected an integer >= 1, got 0")
    XCTAssertEqual(
      message(#"{"model": {"attention_window": "64"}}"#),
      #"c.json: model.attention_window: expected an integer or null, got "64""#)
    XCTAssertEqual(
      message(#"{"model": {"attention_window": 1.5}}"#),
      "c.json: model.attention_window: expected an integer, got 1.5")
    XCTAssertEqual(
      message(#"{"model": {"attention": "standard", "encoder_attention_window": 8}}"#),
      #"c.json: model.encoder_attention_window: 8 needs model.attention "memory_efficient" or "auto"; the standard kernel has no window"#
    )
    XCTAssertEqual(
      message(#"{"model": {"attention": "standard", "attention_window": 64}}"#),
      #"c.json: model.attention_window: 64 needs model.attention "memory_efficient" or "auto"; the standard kernel has no window"#
    )
  }

  /// Checkpoints written before `attention` and `attention_window` existed still load.
  func testModelConfigurationWithoutAttentionKeysDecodesToTheDefaults() throws {
    var configuration = TransformerConfiguration()
    configuration.attention = .memoryEfficient
    configuration.attentionWindow = 128
    let text = configuration.jsonText
    XCTAssertTrue(text.contains(#""attention":"memory_efficient""#), text)
    XCTAssertTrue(text.contains(#""attention_window":128"#), text)
    XCTAssertEqual(TransformerConfiguration(jsonText: text), configuration)
    let old =
      #"{"activation":"relu","attention_dropout":0,"d_ff":2048,"d_model":512,"decoder_layers":6,"#
      + #""dropout":0.1,"encoder_layers":6,"heads":8,"max_positions":256,"norm":"post","#
      + #""padding_id":0,"tie_embeddings":true,"vocabulary_size":8000}"#
    let decoded = try XCTUnwrap(TransformerConfiguration(jsonText: old))
    XCTAssertEqual(decoded, TransformerConfiguration())
    XCTAssertEqual(decoded.attention, .auto)
    XCTAssertNil(decoded.attentionWindow)
    XCTAssertNil(TransformerConfiguration(jsonText: #"{"d_model": 8}"#))
    configuration.attention = .standard
    XCTAssertNotNil(configuration.problem)
  }

  func testSyntaxErrorsGiveLineAndColumn() {
    XCTAssertEqual(
      message("{\n  \"model\": {\n    \"heads\": 8\n    \"d_model\": 512\n  }\n}"),
      #"c.json:4:5: expected ',' or '}' after the value of "heads", found '"'"#)
    XCTAssertEqual(
      message("{\n  \"model\": {\"heads\": 8,}\n}"),
      "c.json:2:24: found '}' after ',': JSON allows no trailing comma")
    XCTAssertEqual(
      message("{\n  // the toy model\n}"), "c.json:2:3: found '/': JSON has no comments")
    XCTAssertEqual(
      message(#"{"model": {"activation": gelu}}"#),
      #"c.json:1:26: found 'gelu': strings need double quotes ("gelu")"#)
    XCTAssertEqual(
      message(#"{'model': {}}"#), #"c.json:1:2: found "'": JSON strings use double quotes"#)
    XCTAssertEqual(
      message(#"{model: {}}"#), #"c.json:1:2: found 'model': keys need double quotes ("model")"#)
    XCTAssertEqual(message(#"{"model": {"heads": }}"#), "c.json:1:21: expected a value, found '}'")
    XCTAssertEqual(message(#"{"model": {"heads": 08}}"#), "c.json:1:21: invalid number '08'")
    XCTAssertEqual(
      message(#"{"model": {"heads": 8}"#),
      "c.json:1:23: unexpected end of file; expected ',' or '}' to continue the object")
    XCTAssertEqual(message(#"{"model": {}, "model": {}}"#), #"c.json:1:15: duplicate key "model""#)
    XCTAssertEqual(
      message("{\"a\": \"x\ny\"}"),
      "c.json:1:9: control character in a string; write \\n for a line break, \\t for a tab")
    XCTAssertEqual(message("{} {}"), "c.json:1:4: unexpected '{' after the end of the JSON value")
    XCTAssertEqual(message(""), "c.json:1:1: the file is empty; expected a JSON object")
    XCTAssertEqual(
      message(#"{"é": True}"#),
      "c.json:1:7: found 'True': JSON writes true, false and null in lower case")
  }

  func testParserHandlesEscapesAndNumbers() throws {
    let json = try JSONParser.parse(
      #"{"s": "a\"\\\/\n\u00e9\ud83d\ude00", "n": [-0.5e+3, 0, 12]}"#)
    XCTAssertEqual(json["s"], .string("a\"\\/\né😀"))
    XCTAssertEqual(json["n"], .array([.number("-0.5e+3"), .number("0"), .number("12")]))
  }

  func testOverrides() throws {
    let config = try read(
      #"{"training": {"max_steps": 5}}"#,
      [
        "training.max_steps=100", "output.dir=runs/try", "model.activation=gelu",
        "data.train_source=2024",
        "training.valid_bleu=true", "model.dropout=0.3", "data.test_source=\"t.en\"",
        "data.test_target=t.ko",
      ])
    XCTAssertEqual(config.training.maxSteps, 100)
    XCTAssertEqual(config.output.directory, "runs/try")
    XCTAssertEqual(config.model.activation, .gelu)
    XCTAssertEqual(config.data.trainSource, "2024")
    XCTAssertTrue(config.training.validationBLEU)
    XCTAssertEqual(config.model.dropout, 0.3)
    XCTAssertEqual(config.data.testSource, "t.en")
    // The last override of a path wins.
    XCTAssertEqual(try read("{}", ["training.seed=1", "training.seed=2"]).training.seed, 2)
    XCTAssertEqual(
      try RunConfig(overrides: ["model.heads=4"], checkingFiles: false).model.headCount, 4)
  }

  func testOverrideErrors() {
    XCTAssertEqual(
      message("{}", ["training.max_step=100"]),
      #"--set training.max_step=100: training.max_step: unknown key (did you mean "max_steps"?)"#)
    XCTAssertEqual(
      message("{}", ["trainng.max_steps=100"]),
      #"--set trainng.max_steps=100: trainng: unknown section (did you mean "training"?)"#)
    XCTAssertEqual(
      message("{}", ["model.heads=eight"]),
      #"--set model.heads=eight: model.heads: expected an integer, got "eight""#)
    XCTAssertEqual(
      message("{}", ["training.max_steps"]),
      "--set training.max_steps: expected PATH=VALUE, as in training.max_steps=100")
    XCTAssertEqual(
      message("{}", ["max_steps=100"]),
      #"--set max_steps=100: max_steps: expected SECTION.KEY (did you mean "training.max_steps"?)"#)
    XCTAssertEqual(
      message("{}", ["training=1"]),
      "--set training=1: training: expected SECTION.KEY, as in training.seed=…")
    // A cross-field problem is blamed on the override that set the value at fault.
    XCTAssertEqual(
      message(#"{"model": {"heads": 8}}"#, ["model.d_model=250"]),
      "--set model.d_model=250: model.d_model: 250 is not divisible by model.heads (8)")
  }

  func testMissingDataFilesAreNamed() {
    XCTAssertEqual(
      message {
        try RunConfig(
          jsonText: #"{"data": {"train_source": "data/nowhere/train.en"}}"#, source: "c.json")
      },
      #"c.json: data.train_source: no such file "data/nowhere/train.en""#)
    XCTAssertEqual(
      message {
        try RunConfig(jsonText: "{}", source: "c.json", overrides: ["data.train_source=/"])
      },
      #"--set data.train_source=/: data.train_source: "/" is a directory, not a file"#)
    XCTAssertEqual(
      message { try RunConfig(contentsOf: "configs/does-not-exist.json") },
      "cannot read config 'configs/does-not-exist.json': no such file")
  }

  func testDataFilesResolveAgainstTheCurrentDirectory() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "config-\(UUID().uuidString)")
    /// A config may come through a pipe (`--config /dev/stdin`, `<(command)`); an empty one is
    /// called empty and an endless one stops at the size limit. Data files are read more than
    /// once, so a pipe is refused for them, saying why.
    /// Windows editors start a UTF-8 file with a byte-order mark; it is not part of the JSON.
    func testAConfigWithAByteOrderMarkReads() throws {
      let path = FileManager.default.temporaryDirectory.appendingPathComponent(
        "bom-\(UUID().uuidString).json"
      ).path
      defer { try? FileManager.default.removeItem(atPath: path) }
      try Data([0xEF, 0xBB, 0xBF] + Array(#"{"training": {"max_steps": 7}}"#.utf8))
        .write(to: URL(fileURLWithPath: path))
      let config = try RunConfig(contentsOf: path, checkingFiles: false)
      XCTAssertEqual(config.training.maxSteps, .steps(7))
    }

    func testConfigFromAPipeAndDataFilesThatAreNot() throws {
      let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
        "config-\(UUID().uuidString)")
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
      defer { try? FileManager.default.removeItem(at: directory) }
      let fifo = directory.appendingPathComponent("fifo").path
      guard mkfifo(fifo, 0o600) == 0 else { throw XCTSkip("cannot make a FIFO here") }
      let writer = Thread {
        guard let handle = FileHandle(forWritingAtPath: fifo) else { return }
        handle.write(Data(#"{"training": {"max_steps": 7}}"#.utf8))
        try? handle.close()
      }
      writer.start()
      let config = try RunConfig(contentsOf: fifo, checkingFiles: false)
      XCTAssertEqual(config.training.maxSteps, 7)

      guard FileManager.default.fileExists(atPath: "/dev/null") else { return }
      XCTAssertEqual(
        message { try RunConfig(contentsOf: "/dev/null") },
        "/dev/null:1:1: the file is empty; expected a JSON object")
      XCTAssertEqual(
        message { try RunConfig(contentsOf: "/dev/zero") },
        "cannot read config '/dev/zero': it is larger than 1048576 bytes, too large for a config")
      XCTAssertEqual(
        message {
          try RunConfig(jsonText: "{}", source: "c.json", overrides: ["data.train_source=\(fifo)"])
        },
        "--set data.train_source=\(fifo): data.train_source: \"\(fifo)\" is not a regular file (a "
          + "pipe or a device); training reads the data files more than once, so save it to a "
          + "file first")
    }

    /// A config's own bytes quoted in a message have their control characters escaped: an ESC
    /// written raw to a terminal could clear it.
    func testSyntaxErrorsEscapeControlCharacters() {
      XCTAssertEqual(
        message("{\"model\":\u{1B}[2J}"), "c.json:1:10: expected a value, found '\\u001B'")
      XCTAssertEqual(message("{\u{7}}"), "c.json:1:2: expected a quoted key, found '\\u0007'")
      XCTAssertEqual(message("{\"a\": 1\u{0}}"), "c.json:1:7: invalid number '1\\u0000'")
    }

    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    for name in ["a.en", "a.ko"] {
      try Data("hello\n".utf8).write(to: directory.appendingPathComponent(name))
    }
    let previous = FileManager.default.currentDirectoryPath
    XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(directory.path))
    defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
    let json = #"""
      {"data": {"train_source": "a.en", "train_target": "a.ko", "valid_source": "a.en", "valid_target": "a.ko"}}
      """#
    try Data(json.utf8).write(to: directory.appendingPathComponent("c.json"))
    XCTAssertEqual(try RunConfig(contentsOf: "c.json").data.trainTarget, "a.ko")
  }

  func testJSONTextRoundTripsAndListsEveryField() throws {
    var config = RunConfig()
    config.model.modelWidth = 256
    config.model.activation = .gelu
    config.training.adamEpsilon = 1e-8
    config.training.seed = 12345
    config.data.testSource = "t \"quoted\".en"
    config.data.testTarget = "t.ko"
    let text = config.jsonText
    XCTAssertTrue(
      text.hasPrefix("{\n  \"data\": {\n    \"train_source\": \"data/toy/train.en\",\n"), text)
    XCTAssertTrue(text.contains("\"d_model\": 256,"), text)
    XCTAssertTrue(text.contains("\"adam_eps\": 1e-08,"), text)
    XCTAssertEqual(try read(text), config)
    for section in RunConfig.schema {
      for key in section.keys { XCTAssertTrue(text.contains("\"\(key)\":"), key) }
    }
  }

  func testCodableUsesTheSameKeysAndChecks() throws {
    var config = RunConfig()
    config.training.schedule = .inverseSquareRoot
    config.output.directory = "runs/codable"
    let data = try JSONEncoder().encode(config)
    let object = try JSONSerialization.jsonObject(with: data) as! [String: [String: Any]]
    XCTAssertEqual(object["training"]?["schedule"] as? String, "inverse_sqrt")
    XCTAssertEqual(object["model"]?["d_model"] as? Int, 512)
    XCTAssertEqual(try JSONDecoder().decode(RunConfig.self, from: data), config)
    XCTAssertEqual(
      try JSONDecoder().decode(RunConfig.self, from: Data(#"{"model": {"heads": 4}}"#.utf8)).model
        .headCount, 4)
    XCTAssertThrowsError(
      try JSONDecoder().decode(RunConfig.self, from: Data(#"{"model": {"haeds": 4}}"#.utf8)))
  }

  func testWriteIsAtomic() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "config-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("config.json").path
    try RunConfig().write(to: path)
    XCTAssertEqual(try RunConfig(contentsOf: path, checkingFiles: false), RunConfig())
    XCTAssertEqual(
      try FileManager.default.contentsOfDirectory(atPath: directory.path), ["config.json"])
  }

  func testShippedConfigsAreValid() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent()
      .deletingLastPathComponent()
    let toy = try RunConfig(
      contentsOf: root.appendingPathComponent("configs/toy.json").path, checkingFiles: false)
    XCTAssertLessThanOrEqual(toy.model.modelWidth, 256)
    let base = try RunConfig(
      contentsOf: root.appendingPathComponent("configs/base.json").path, checkingFiles: false)
    XCTAssertEqual(base.model, ModelConfig())
    XCTAssertEqual(base.training.warmupSteps, 4000)
    let multi30k = try RunConfig(
      contentsOf: root.appendingPathComponent("configs/multi30k-en-de.json").path,
      checkingFiles: false)
    XCTAssertEqual(multi30k.model.modelWidth, 192)
    XCTAssertEqual(multi30k.data.vocabularySize, 8000)
    XCTAssertEqual(multi30k.data.trainSource, "data/multi30k/train.en")
    let long = try RunConfig(
      contentsOf: root.appendingPathComponent("configs/long-copy.json").path, checkingFiles: false)
    XCTAssertEqual(long.model.attention, .memoryEfficient)
    XCTAssertGreaterThanOrEqual(long.model.maxPositions, 8192)
  }

  /// `model.architecture`: the default, the mapping (encoder_layers ignored), and one-line
  /// errors naming the key: an unknown value with the closest one, too few positions for
  /// source + target, separate vocabularies.
  func testArchitectureKey() throws {
    XCTAssertEqual(try read("{}").model.architecture, .encoderDecoder)
    let decoderOnly = try read(
      #"{"model": {"architecture": "decoder-only", "max_positions": 130}, "data": {"max_length": 64}}"#
    )
    XCTAssertEqual(decoderOnly.model.architecture, .decoderOnly)
    let model = decoderOnly.transformerConfiguration(vocabularySize: 300)
    XCTAssertEqual(model.architecture, .decoderOnly)
    XCTAssertEqual(model.decoderLayerCount, 6)
    XCTAssertTrue(decoderOnly.jsonText.contains(#""architecture": "decoder-only""#))
    XCTAssertEqual(
      message(#"{"model": {"architecture": "decoder_only"}}"#),
      #"c.json: model.architecture: expected "encoder-decoder" or "decoder-only", got "#
        + #""decoder_only" (did you mean "decoder-only"?)"#)
    XCTAssertEqual(
      message(
        #"{"model": {"architecture": "decoder-only", "max_positions": 129}, "data": {"max_length": 64}}"#
      ),
      "c.json: model.max_positions: 129 cannot hold a decoder-only sequence: source + </s> + <s> "
        + "+ target needs 2 × data.max_length (64) + 2 = 130; raise it or lower data.max_length")
    XCTAssertNoThrow(try read("{}", ["model.architecture=decoder-only"]))
    XCTAssertEqual(
      message("{}", ["model.architecture=decoder-only", "model.max_positions=150"]),
      "--set model.max_positions=150: model.max_positions: 150 cannot hold a decoder-only "
        + "sequence: source + </s> + <s> + target needs 2 × data.max_length (100) + 2 = 202; "
        + "raise it or lower data.max_length")
    XCTAssertEqual(
      message(
        #"{"model": {"architecture": "decoder-only", "max_positions": 402, "tie_embeddings": false}, "data": {"joint_vocabulary": false}}"#
      ),
      #"c.json: model.architecture: "decoder-only" needs data.joint_vocabulary true: one stack "#
        + "reads source and target pieces with one embedding table")
    XCTAssertEqual(
      message(
        #"{"model": {"architecture": "decoder-only", "max_positions": 402, "encoder_attention_window": 16}}"#
      ),
      #"c.json: model.encoder_attention_window: 16 has no encoder to act on in a "decoder-only" "#
        + "model; use model.attention_window for its one causal stack, or null")
  }

  func testReferenceTableListsEveryField() {
    let markdown = RunConfig.referenceMarkdown()
    for section in RunConfig.schema {
      XCTAssertTrue(markdown.contains("### `\(section.name)`"), section.name)
      for key in section.keys { XCTAssertTrue(markdown.contains("| `\(key)` |"), key) }
    }
  }
}
