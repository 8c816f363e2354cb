import Config
import Foundation
import Tokenizer

extension TrainingVocabulary {
  /// Learns the model(s) with `data.vocab_size` pieces from the training sentences, already read
  /// (so that the files are read once, and checked before anything is written).
  public static func learn(
    from data: DataConfig, sourceLines: [String], targetLines: [String]
  ) throws(TrainingError) -> TrainingVocabulary {
    do {
      if data.jointVocabulary {
        return TrainingVocabulary(
          joint: try BPEModel.learn(
            lines: [sourceLines, targetLines].joined(), vocabularySize: data.vocabularySize))
      }
      return TrainingVocabulary(
        source: try BPEModel.learn(lines: sourceLines, vocabularySize: data.vocabularySize),
        target: try BPEModel.learn(lines: targetLines, vocabularySize: data.vocabularySize))
    } catch {
      throw .vocabulary(error)
    }
  }
}
