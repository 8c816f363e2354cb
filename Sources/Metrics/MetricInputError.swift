import Foundation
import Support

/// Why a corpus cannot be scored by ``BLEU`` or ``CHRF``.
///
/// sacreBLEU takes the hypotheses as one stream of lines and the references as one or more
/// streams, each with exactly one line per hypothesis. The messages name the counts; a caller
/// that read the lines from files adds the file names.
public enum MetricInputError: Error, Equatable, CustomStringConvertible, LocalizedError {
  /// There are no hypothesis lines. sacreBLEU refuses an empty system too ("contains no
  /// sentence"); a score of an empty corpus would be meaningless.
  case noHypotheses
  /// No reference stream was given.
  case noReferences
  /// Reference stream `referenceIndex` (0-based) has `referenceLineCount` lines where
  /// `hypothesisLineCount` were expected.
  case lineCountMismatch(hypothesisLineCount: Int, referenceIndex: Int, referenceLineCount: Int)

  /// A one-line message that names the counts and what to do.
  public var description: String {
    switch self {
    case .noHypotheses:
      return "no hypothesis lines to score; the hypotheses must have one line per sentence"
    case .noReferences:
      return "no reference stream given; at least one reference is needed"
    case .lineCountMismatch(let hypotheses, let index, let references):
      return "hypotheses have \(counted(hypotheses, "line")) but reference \(index + 1) has "
        + "\(counted(references, "line")); each reference needs exactly one line per hypothesis "
        + "line"
    }
  }

  /// The same text as ``description``, for callers that print `localizedDescription`.
  public var errorDescription: String? { description }

  /// Throws unless there is at least one hypothesis, at least one reference stream, and every
  /// stream has as many lines as the hypotheses.
  static func validate(hypotheses: [String], references: [[String]]) throws {
    guard !hypotheses.isEmpty else { throw MetricInputError.noHypotheses }
    guard !references.isEmpty else { throw MetricInputError.noReferences }
    for (index, stream) in references.enumerated() where stream.count != hypotheses.count {
      throw MetricInputError.lineCountMismatch(
        hypothesisLineCount: hypotheses.count, referenceIndex: index,
        referenceLineCount: stream.count)
    }
  }
}
