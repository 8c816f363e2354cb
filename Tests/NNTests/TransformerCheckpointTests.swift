import Autograd
import Config
import Foundation
import XCTest

@testable import Checkpoints
@testable import NN

/// Saving a Transformer's weights by name and loading them back.
final class TransformerCheckpointTests: XCTestCase {
  var directory: URL!

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("CheckpointTests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws {
    try? FileManager.default.removeItem(at: directory)
  }

  func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

  func evaluationLoss(_ model: Transformer) -> Float {
    model.isTraining = false
    return TinyBatch().loss(model).loss.value[flat: 0]
  }

  func testSaveThenLoadGivesTheIdenticalLoss() throws {
    for configuration in [TransformerConfiguration.tiny(), .tiny(norm: .pre, tied: false)] {
      let original = Transformer(configuration: configuration, seed: 1)
      let file = path("model.safetensors")
      try original.save(to: file)

      let other = Transformer(configuration: configuration, seed: 2)
      XCTAssertNotEqual(evaluationLoss(other), evaluationLoss(original))
      try other.load(from: file)
      XCTAssertEqual(evaluationLoss(other), evaluationLoss(original))
      for (a, b) in zip(original.parameters, other.parameters) {
        XCTAssertEqual(a.value.scalars, b.value.scalars, a.name)
      }

      let rebuilt = try Transformer(contentsOf: file)
      XCTAssertEqual(rebuilt.configuration, configuration)
      XCTAssertEqual(evaluationLoss(rebuilt), evaluationLoss(original))
    }
  }

  func testTheFileHoldsTheParametersByNameAndTheConfiguration() throws {
    let model = Transformer(configuration: .tiny(), seed: 1)
    let file = path("model.safetensors")
    try model.save(to: file)
    let stored = try SafeTensorsFile(contentsOf: file)
    XCTAssertEqual(stored.tensors.map(\.name), model.parameters.map(\.name))
    XCTAssertEqual(stored["embedding.weight"]?.shape, [11, 8])
    XCTAssertEqual(stored["decoder.layers.0.cross_attention.key.weight"]?.shape, [8, 8])
    XCTAssertEqual(
      stored.metadata[Transformer.configurationMetadataKey], model.configuration.jsonText)
    XCTAssertEqual(stored.metadata[Transformer.formatVersionMetadataKey], "1")
  }

  func testAnotherArchitectureIsRefusedByItsConfiguration() throws {
    let file = path("model.safetensors")
    try Transformer(configuration: .tiny(), seed: 1).save(to: file)
    var wider = TransformerConfiguration.tiny()
    wider.feedForwardWidth = 32
    wider.norm = .pre
    let model = Transformer(configuration: wider, seed: 1)
    let before = evaluationLoss(model)
    XCTAssertThrowsError(try model.load(from: file)) { error in
      XCTAssertEqual(
        "\(error)",
        "\(file): it holds a model with d_ff 16, norm post, unlike this model (d_ff 32, norm "
          + "pre); build the model "
          + "from the file's own configuration, or train a new one")
    }
    XCTAssertEqual(evaluationLoss(model), before, "a refused load must change nothing")
  }

  /// Without the configuration metadata (a file from elsewhere) the names and shapes alone
  /// decide, and each mismatch is named.
  func testNamesAndShapesAreChecked() throws {
    let model = Transformer(configuration: .tiny(), seed: 1)
    let tensors = model.parameters.map { NamedTensor(name: $0.name, tensor: $0.value) }
    func refusal(_ tensors: [NamedTensor]) -> String {
      let file = path("bare.safetensors")
      do {
        try SafeTensorsFile(tensors: tensors).write(to: file)
        try model.load(from: file)
        return "loaded"
      } catch {
        return "\(error)".replacingOccurrences(of: file, with: "FILE")
      }
    }
    XCTAssertEqual(refusal(tensors), "loaded")

    var missing = tensors
    missing.removeAll { $0.name == "decoder.layers.0.feed_forward.outer.bias" }
    XCTAssertEqual(
      refusal(missing),
      "FILE: no tensor named \"decoder.layers.0.feed_forward.outer.bias\"; the file was written "
        + "by another model or version")

    var reshaped = tensors
    reshaped[1] = NamedTensor(name: reshaped[1].name, tensor: Tensor(shape: [8, 9]))
    XCTAssertEqual(
      refusal(reshaped),
      "FILE: tensor \"encoder.layers.0.self_attention.query.weight\" has shape [8, 9] but "
        + "[8, 8] is needed; the file was written for a model of another size")

    let extra =
      tensors + [
        NamedTensor(
          name: "encoder.layers.1.self_attention.query.weight", tensor: Tensor(shape: [1]))
      ]
    XCTAssertEqual(
      refusal(extra),
      "FILE: 1 tensor the model does not have (\"encoder.layers.1.self_attention.query.weight\"); "
        + "the file was written by another model or version")

    let untied = Transformer(configuration: .tiny(tied: false), seed: 1).parameters
      .map { NamedTensor(name: $0.name, tensor: $0.value) }
    XCTAssertEqual(
      refusal(untied),
      "FILE: 3 tensors the model does not have (\"output_projection.weight\", "
        + "\"source_embedding.weight\", \"target_embedding.weight\"); the file was written by "
        + "another model or version")
  }

  /// `model.format_version` must be this build's; a file recording its configuration without
  /// a version was edited. Nothing changes on refusal.
  func testAnotherFormatVersionIsRefused() throws {
    let model = Transformer(configuration: .tiny(), seed: 1)
    let before = evaluationLoss(model)
    var file = Transformer(configuration: .tiny(), seed: 2).checkpointFile
    for (version, shown) in [("99", #"is "99""#), (nil, "is missing")] {
      file.metadata[Transformer.formatVersionMetadataKey] = version
      XCTAssertThrowsError(try model.load(from: file, path: "m")) { error in
        XCTAssertEqual(
          "\(error)",
          #"m: metadata "model.format_version" \#(shown), not the version "1" this build reads"#)
      }
    }
    XCTAssertEqual(evaluationLoss(model), before)
  }

  /// A NaN or infinite weight is refused, naming the tensor and the element, before any
  /// parameter changes.
  func testNonFiniteWeightsAreRefused() throws {
    let model = Transformer(configuration: .tiny(), seed: 1)
    let before = evaluationLoss(model)
    for (value, shown) in [(Float.nan, "nan"), (-Float.infinity, "-inf")] {
      var file = Transformer(configuration: .tiny(), seed: 2).checkpointFile
      let last = file.tensors.count - 1
      var scalars = file.tensors[last].tensor.scalars
      scalars[3] = value
      file.tensors[last].tensor = Tensor(shape: file.tensors[last].tensor.shape, scalars: scalars)
      XCTAssertThrowsError(try model.load(from: file, path: "m")) { error in
        XCTAssertEqual(
          "\(error)",
          "m: tensor \"\(file.tensors[last].name)\" holds \(shown) (element 3), which training "
            + "never saves, so the file is damaged")
      }
    }
    XCTAssertEqual(evaluationLoss(model), before, "a refused load must change nothing")
  }

  /// Decoder-only models have no encoder, so `encoder_layers` may differ; learned positions
  /// are a table of `max_positions` rows, so there it may not.
  func testIgnoredKeysAreNotComparedAndLearnedPositionsCompareTheirLength() throws {
    var decoderOnly = TransformerConfiguration.tiny()
    decoderOnly.architecture = .decoderOnly
    var other = decoderOnly
    other.encoderLayerCount = 4
    let file = Transformer(configuration: decoderOnly, seed: 1).checkpointFile
    XCTAssertNoThrow(try Transformer(configuration: other, seed: 2).load(from: file, path: "m"))

    var learned = TransformerConfiguration.tiny()
    learned.positions = .learned
    var longer = learned
    longer.maxPositions = 32
    XCTAssertThrowsError(
      try Transformer(configuration: longer, seed: 2).load(
        from: Transformer(configuration: learned, seed: 1).checkpointFile, path: "m")
    ) { error in
      XCTAssertTrue(
        "\(error)".hasPrefix(
          "m: it holds a model with max_positions 16, unlike this model (max_positions 32)"),
        "\(error)")
    }
  }

  /// Optimiser state saved in the same file is skipped when asked.
  func testOtherTensorsCanBeIgnoredByPrefix() throws {
    let model = Transformer(configuration: .tiny(), seed: 1)
    let adam = Adam(parameters: model.parameters)
    var file = model.checkpointFile
    file.tensors += adam.stateTensors()
    XCTAssertThrowsError(try model.load(from: file, path: "both"))
    XCTAssertNoThrow(try model.load(from: file, path: "both", ignoringTensorsWithPrefix: "adam."))
  }

  func testUnreadableFilesAreReported() {
    let model = Transformer(configuration: .tiny(), seed: 1)
    let file = path("absent.safetensors")
    XCTAssertThrowsError(try model.load(from: file)) { error in
      XCTAssertTrue("\(error)".hasPrefix("cannot read '\(file)'"), "\(error)")
    }
    let bare = path("bare.safetensors")
    XCTAssertNoThrow(try SafeTensorsFile(tensors: []).write(to: bare))
    XCTAssertThrowsError(try Transformer(contentsOf: bare)) { error in
      XCTAssertTrue("\(error)".contains("no metadata \"model.configuration\""), "\(error)")
    }
  }

  /// The metadata exactly as checkpoints written before the model section and the
  /// configuration were one type (JSONEncoder, sorted keys): with and without `attention` and
  /// `attention_window`, which came later. Such files must keep loading.
  func testMetadataAsOldCheckpointsWroteItStillLoads() throws {
    let original = Transformer(configuration: .tiny(), seed: 1)
    let oldest =
      #"{"activation":"gelu","attention_dropout":0,"d_ff":16,"d_model":8,"decoder_layers":1,"#
      + #""dropout":0.1,"encoder_layers":1,"heads":2,"max_positions":16,"norm":"post","#
      + #""padding_id":0,"tie_embeddings":true,"vocabulary_size":11}"#
    let withWindow = oldest.replacingOccurrences(
      of: #""attention_dropout":0,"#,
      with: #""attention":"memory_efficient","attention_dropout":0,"attention_window":4,"#)
    var windowed = TransformerConfiguration.tiny()
    windowed.attention = .memoryEfficient
    windowed.attentionWindow = 4
    for (metadata, expected) in [(oldest, TransformerConfiguration.tiny()), (withWindow, windowed)]
    {
      var file = original.checkpointFile
      file.metadata[Transformer.configurationMetadataKey] = metadata
      let path = path("old.safetensors")
      try file.write(to: path)
      let rebuilt = try Transformer(contentsOf: path)
      XCTAssertEqual(rebuilt.configuration, expected, metadata)
      XCTAssertEqual(rebuilt.configuration.dropout, 0.1)
      XCTAssertEqual(rebuilt.configuration.initialization, .xavierUniform)
      for (a, b) in zip(original.parameters, rebuilt.parameters) {
        XCTAssertEqual(a.value.scalars, b.value.scalars, a.name)
      }
      XCTAssertNoThrow(try Transformer(configuration: expected, seed: 3).load(from: path))
    }
  }

  /// Metadata that does not describe a model is refused with the key at fault.
  func testBadMetadataNamesTheKey() throws {
    let model = Transformer(configuration: .tiny(), seed: 1)
    let text = model.configuration.jsonText
    for (metadata, expected) in [
      (
        text.replacingOccurrences(of: #""heads":2"#, with: #""heads":"two""#),
        #"at "heads": expected an integer, got "two""#
      ),
      (text.replacingOccurrences(of: #""d_ff":16,"#, with: ""), #"at "d_ff": missing"#),
      (
        text.replacingOccurrences(of: #""d_ff":16"#, with: #""d_ff":16,"rope":1"#),
        #"at "rope": unknown key"#
      ),
    ] {
      var file = model.checkpointFile
      file.metadata[Transformer.configurationMetadataKey] = metadata
      XCTAssertThrowsError(try model.load(from: file, path: "m")) { error in
        XCTAssertTrue("\(error)".contains(expected), "\(error)")
      }
    }
  }

  func testTheMetadataWritesEveryFieldOfTheModelSection() {
    var configuration = TransformerConfiguration.tiny()
    configuration.attentionWindow = 8
    let text = configuration.jsonText
    XCTAssertEqual(
      text,
      #"{"activation":"gelu","architecture":"encoder-decoder","attention":"auto","#
        + #""attention_dropout":0,"attention_window":8,"#
        + #""d_ff":16,"d_model":8,"decoder_layers":1,"dropout":0.1,"encoder_layers":1,"#
        + #""heads":2,"init":"xavier_uniform","max_positions":16,"norm":"post","padding_id":0,"#
        + #""positions":"sinusoidal","tie_embeddings":true,"vocabulary_size":11}"#)
    XCTAssertEqual(TransformerConfiguration(jsonText: text), configuration)
  }
}
