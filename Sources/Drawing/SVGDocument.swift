import Foundation

/// A small SVG writer: elements are appended as text with their attribute values XML-escaped
/// and their coordinates written short (at most two decimals), then `text` is the document.
///
/// ```swift
/// var svg = SVGDocument(width: 200, height: 100)
/// svg.rect(x: 0, y: 0, width: 200, height: 100, fill: "white")
/// svg.text("loss < 2", x: 100, y: 50, anchor: "middle")
/// try svg.text.write(…)
/// ```
public struct SVGDocument {
  /// The width in user units (pixels when rendered at 1:1).
  public let width: Double
  /// The height in user units.
  public let height: Double
  /// The elements so far, one a line, indented by group depth.
  private var lines: [String] = []
  private var depth = 1

  /// An empty document of the given size, in user units.
  public init(width: Double, height: Double) {
    self.width = width
    self.height = height
  }

  /// The complete document: XML declaration, `<svg>` root with `viewBox`, the elements.
  public var text: String {
    let size = "width=\"\(Self.number(width))\" height=\"\(Self.number(height))\""
    let header = """
      <?xml version="1.0" encoding="UTF-8"?>
      <svg xmlns="http://www.w3.org/2000/svg" \(size) \
      viewBox="0 0 \(Self.number(width)) \(Self.number(height))" \
      font-family="Helvetica, Arial, sans-serif">
      """
    return ([header] + lines + ["</svg>"]).joined(separator: "\n") + "\n"
  }

  /// Appends `<name attributes…/>`, or `<name …>content</name>` when `content` is given
  /// (escaped here).
  public mutating func element(_ name: String, _ attributes: [(String, String)], content: String? = nil) {
    let opening = "<\(name)" + Self.attributeText(attributes)
    let indent = String(repeating: "  ", count: depth)
    if let content {
      lines.append("\(indent)\(opening)>\(Self.escape(content))</\(name)>")
    } else {
      lines.append("\(indent)\(opening)/>")
    }
  }

  /// Opens `<g attributes…>`; close it with `endGroup()`.
  public mutating func beginGroup(_ attributes: [(String, String)] = []) {
    lines.append(
      String(repeating: "  ", count: depth) + "<g" + Self.attributeText(attributes) + ">")
    depth += 1
  }

  /// Closes the innermost `<g>`.
  public mutating func endGroup() {
    precondition(depth > 1, "SVGDocument.endGroup: no group is open")
    depth -= 1
    lines.append(String(repeating: "  ", count: depth) + "</g>")
  }

  /// A rectangle.
  public mutating func rect(
    x: Double, y: Double, width: Double, height: Double, fill: String, stroke: String? = nil
  ) {
    var attributes = [
      ("x", Self.number(x)), ("y", Self.number(y)), ("width", Self.number(width)),
      ("height", Self.number(height)), ("fill", fill),
    ]
    if let stroke { attributes.append(("stroke", stroke)) }
    element("rect", attributes)
  }

  /// A straight line.
  public mutating func line(
    x1: Double, y1: Double, x2: Double, y2: Double, stroke: String, width: Double = 1,
    dash: String? = nil
  ) {
    var attributes = [
      ("x1", Self.number(x1)), ("y1", Self.number(y1)), ("x2", Self.number(x2)),
      ("y2", Self.number(y2)), ("stroke", stroke), ("stroke-width", Self.number(width)),
    ]
    if let dash { attributes.append(("stroke-dasharray", dash)) }
    element("line", attributes)
  }

  /// An open polyline through `points`, not filled.
  public mutating func polyline(
    _ points: [(x: Double, y: Double)], stroke: String, width: Double = 1.5,
    attributes extra: [(String, String)] = []
  ) {
    let list = points.map { "\(Self.number($0.x)),\(Self.number($0.y))" }.joined(separator: " ")
    element(
      "polyline",
      [
        ("points", list), ("fill", "none"), ("stroke", stroke),
        ("stroke-width", Self.number(width)), ("stroke-linejoin", "round"),
      ] + extra)
  }

  /// A filled circle.
  public mutating func circle(x: Double, y: Double, radius: Double, fill: String) {
    element(
      "circle",
      [("cx", Self.number(x)), ("cy", Self.number(y)), ("r", Self.number(radius)), ("fill", fill)])
  }

  /// Text whose baseline starts (`anchor` "start"), is centred ("middle") or ends ("end") at
  /// (x, y); `rotation` in degrees turns it about that point (-90 reads bottom to top).
  public mutating func text(
    _ string: String, x: Double, y: Double, size: Double = 12, anchor: String = "start",
    rotation: Double = 0, fill: String = "#222", weight: String? = nil
  ) {
    var attributes = [
      ("x", Self.number(x)), ("y", Self.number(y)), ("font-size", Self.number(size)),
      ("text-anchor", anchor), ("fill", fill),
    ]
    if let weight { attributes.append(("font-weight", weight)) }
    if rotation != 0 {
      attributes.append(
        ("transform", "rotate(\(Self.number(rotation)) \(Self.number(x)) \(Self.number(y)))"))
    }
    element("text", attributes, content: string)
  }

  /// `text` with `&`, `<`, `>`, `"` and `'` replaced by entities, and the characters XML 1.0
  /// forbids (control characters, U+FFFE, U+FFFF; a model can emit any byte) replaced by
  /// U+FFFD.
  public static func escape(_ text: String) -> String {
    var result = ""
    result.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
      switch scalar {
      case "&": result += "&amp;"
      case "<": result += "&lt;"
      case ">": result += "&gt;"
      case "\"": result += "&quot;"
      case "'": result += "&apos;"
      case "\t", "\n", "\r": result.unicodeScalars.append(scalar)
      case _ where scalar.value < 0x20 || (0xFFFE...0xFFFF).contains(scalar.value):
        result += "\u{FFFD}"
      default: result.unicodeScalars.append(scalar)
      }
    }
    return result
  }

  /// A coordinate with at most two decimals and no trailing zeros (`12`, `3.5`, `-0.25`).
  public static func number(_ value: Double) -> String {
    guard value.isFinite else { return "0" }
    let rounded = (value * 100).rounded() / 100
    if rounded == rounded.rounded() { return String(format: "%.0f", rounded + 0) }
    var text = String(format: "%.2f", rounded)
    while text.hasSuffix("0") { text.removeLast() }
    return text
  }

  /// ` name="value"` for each attribute, values escaped.
  private static func attributeText(_ attributes: [(String, String)]) -> String {
    attributes.map { " \($0.0)=\"\(escape($0.1))\"" }.joined()
  }
}
