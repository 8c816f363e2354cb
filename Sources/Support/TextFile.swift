import Foundation

/// Reads a UTF-8 text file as lines, checking the encoding line by line.
///
/// Lines end at LF; a CR before the LF (Windows files) is dropped, and so is a UTF-8 byte-order
/// mark at the start. A last line without a final LF still counts, and a final LF does not start
/// an extra empty line, so the line count matches `wc -l` for well-formed files.
public enum TextFile {
  /// The lines of the file at `url`.
  ///
  /// Throws ``TextFileError/cannotRead(path:reason:)`` when the file cannot be read, and
  /// ``TextFileError/invalidUTF8(path:line:)`` naming the first line that is not UTF-8.
  public static func readLines(at url: URL) throws(TextFileError) -> [String] {
    let data: Data
    do {
      data = try Data(contentsOf: url)
    } catch {
      // Messages name the file as the user typed it: relativePath is the path given, not the
      // absolute one.
      throw .cannotRead(
        path: url.relativePath, reason: readFailureReason(path: url.path, error: error))
    }
    return try lines(of: data, path: url.relativePath)
  }

  /// The lines of `data`; `path` names the source in errors.
  public static func lines(of data: Data, path: String) throws(TextFileError) -> [String] {
    var lines: [String] = []
    var failedLine: Int?
    data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
      let bytes = raw.bindMemory(to: UInt8.self)
      var start = 0
      // Skip a byte-order mark, which editors on Windows like to add.
      if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { start = 3 }
      while start < bytes.count {
        var end = start
        while end < bytes.count, bytes[end] != 0x0A { end += 1 }
        var lineEnd = end
        if lineEnd > start, bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
        guard
          let line = String(
            validating: UnsafeBufferPointer(rebasing: bytes[start..<lineEnd]), as: UTF8.self)
        else {
          failedLine = lines.count + 1
          return
        }
        lines.append(line)
        start = end + 1
      }
    }
    if let failedLine { throw .invalidUTF8(path: path, line: failedLine) }
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
