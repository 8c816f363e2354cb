import Foundation

/// Reads a UTF-8 text file as lines, checking the encoding line by line.
///
/// Lines end at LF; a CR before the LF (Windows files) is dropped, and so is a UTF-8 byte-order
/// mark at the start. A last line without a final LF still counts, and a final LF does not start
/// an extra empty line, so the line count matches `wc -l` for well-formed files.
public enum TextFile {
  /// The lines of the file at `url`, read as a stream, so a pipe (`<(command)`) works as a
  /// file does.
  ///
  /// Throws ``TextFileError/cannotRead(path:reason:)`` when the file cannot be read,
  /// ``TextFileError/invalidUTF8(path:line:)`` naming the first line that is not UTF-8, and
  /// ``TextFileError/lineTooLong(path:line:limit:)`` naming the first line longer than
  /// ``TextFileReader/maximumLineLength`` bytes.
  public static func readLines(
    at url: URL, maximumLineLength: Int = TextFileReader.maximumLineLength
  ) throws(TextFileError) -> [String] {
    // Messages name the file as the user typed it: relativePath is the path given, not the
    // absolute one.
    let reader = try TextFileReader(path: url.relativePath, maximumLineLength: maximumLineLength)
    var lines: [String] = []
    while let line = try reader.nextLine() { lines.append(line) }
    return lines
  }

  /// Why `path` could not be read, in a few words. Foundation's messages on Linux are often
  /// generic ("error 256"), so the file system is asked directly first.
  public static func readFailureReason(path: String, error: Error) -> String {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      return "no such file"
    }
    if isDirectory.boolValue { return "it is a directory, not a file" }
    if !FileManager.default.isReadableFile(atPath: path) { return "permission denied" }
    return (error as NSError).localizedDescription
  }

  /// Why `url` could not be written, in a few words.
  public static func writeFailureReason(url: URL, error: Error) -> String {
    let directory = url.deletingLastPathComponent().path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory),
      isDirectory.boolValue
    else { return AtomicFile.createFailureReason(url.path, ENOENT) }
    if !FileManager.default.isWritableFile(atPath: directory) {
      return "permission denied in '\(directory)'"
    }
    return (error as NSError).localizedDescription
  }
}
