import Config
import Foundation
import Tokenizer

extension TrainingVocabulary {
  /// Learns the model(s) from the training files of `data` with `data.vocab_size` pieces.
  public static func learn(from data: DataConfig) throws(TrainingError) -> TrainingVocabulary {
    let source = URL(fileURLWithPath: data.trainSource)
    let target = URL(fileURLWithPath: data.trainTarget)
    do {
      if data.jointVocabulary {
        return TrainingVocabulary(
          joint: try BPEModel.learn(files: [source, target], vocabularySize: data.vocabularySize))
      }
      return TrainingVocabulary(
        source: try BPEModel.learn(files: [source], vocabularySize: data.vocabularySize),
        target: try BPEModel.learn(files: [target], vocabularySize: data.vocabularySize))
    } catch {
      throw .vocabulary(error)
    }
  }
}
