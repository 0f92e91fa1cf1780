import JSONRPC

/// An aligned table: a header row and rows of cells, columns as wide as their
/// widest cell (in terminal columns), separated by two spaces. Colour is added
/// after padding, so escape codes never disturb the alignment.
public struct TextTable: Sendable {
    public struct Cell: Sendable, ExpressibleByStringLiteral {
        public var text: String
        public var colour: Style.Colour?
        public init(_ text: String, _ colour: Style.Colour? = nil) {
            self.text = text
            self.colour = colour
        }
        public init(stringLiteral value: String) { self.init(value) }
        /// A state or health word, coloured by its meaning.
        public static func state(_ text: String) -> Cell { Cell(text, Style.colour(forState: text)) }
    }

    public var headers: [String]
    public var rows: [[Cell]]

    public init(headers: [String], rows: [[Cell]] = []) {
        self.headers = headers
        self.rows = rows
    }

    public func render(_ style: Style) -> String {
        let all = [headers.map { Cell($0) }] + rows
        let columns = headers.count
        var widths = Array(repeating: 0, count: columns)
        for row in all {
            for (i, cell) in row.prefix(columns).enumerated() { widths[i] = max(widths[i], displayWidth(cell.text)) }
        }
        return all.enumerated().map { index, row in
            var line = ""
            for i in 0..<columns {
                let cell = i < row.count ? row[i] : Cell("")
                let last = i == columns - 1
                let padding = last ? "" : String(repeating: " ", count: widths[i] - displayWidth(cell.text) + 2)
                line += (index == 0 ? style.paint(cell.text, .bold) : style.paint(cell.text, cell.colour)) + padding
            }
            return String(line.reversed().drop { $0 == " " }.reversed())
        }.joined(separator: "\n")
    }
}

/// `key: value` lines with the keys aligned.
public func renderFields(_ fields: [(String, String)], indent: String = "") -> String {
    let width = fields.map { displayWidth($0.0) }.max() ?? 0
    return fields.map { key, value in
        indent + key + ":" + String(repeating: " ", count: width - displayWidth(key) + 1) + value
    }.joined(separator: "\n")
}

/// Columns a string takes on a terminal: wide (East Asian, emoji) characters
/// count 2, combining marks and zero-width characters 0.
public func displayWidth(_ text: String) -> Int {
    text.reduce(0) { $0 + characterWidth($1) }
}

func characterWidth(_ character: Character) -> Int {
    var width = 0
    for scalar in character.unicodeScalars {
        let properties = scalar.properties
        switch properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format, .control: continue
        default: break
        }
        if scalar.value == 0xFE0F || properties.isEmojiPresentation { return 2 }  // emoji presentation
        width = max(width, isWide(scalar.value) ? 2 : 1)
    }
    return width
}

private func isWide(_ v: UInt32) -> Bool {
    switch v {
    case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
         0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6,
         0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD:
        true
    default:
        false
    }
}

/// Text for a JSON value in a table cell: strings as they are, null as `-`.
public func cellText(_ value: JSONValue?) -> String {
    switch value {
    case nil, .null?: "-"
    case .string(let s)?: s.isEmpty ? "-" : s
    case .int(let i)?: String(i)
    case .bool(let b)?: b ? "yes" : "no"
    case let other?: JSONWriter.string(other)
    }
}
