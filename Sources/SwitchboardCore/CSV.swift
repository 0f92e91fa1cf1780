/// RFC 4180 CSV: quoted fields with doubled quotes and line breaks inside
/// quotes. Shared by the phonebook export and the CSV sync source.
public enum CSV {
    /// Delimiters a CSV phonebook may use, detected from its header.
    public static let delimiters: [Character] = [",", ";", "\t", "|"]

    /// The delimiter that splits the header line into the most fields.
    public static func detectDelimiter(header: Substring) -> Character {
        delimiters.max { a, b in header.filter { $0 == a }.count < header.filter { $0 == b }.count } ?? ","
    }

    public static func escape(_ field: String, delimiter: Character = ",") -> String {
        guard field.contains(where: { $0 == delimiter || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    public static func line(_ fields: [String], delimiter: Character = ",") -> String {
        fields.map { escape($0, delimiter: delimiter) }.joined(separator: String(delimiter)) + "\r\n"
    }

    public struct Row: Sendable, Equatable {
        public var fields: [String]
        /// 1-based line number where the row starts.
        public var line: Int
    }

    public struct Error: Swift.Error, Sendable, Equatable {
        public var line: Int
        public var reason: String
    }

    /// Splits a whole text into rows (empty lines skipped).
    public static func parse(_ text: String, delimiter: Character? = nil) throws(Error) -> [Row] {
        let delimiter = delimiter ?? detectDelimiter(header: text.prefix { $0 != "\n" && $0 != "\r\n" })
        var rows: [Row] = []
        var fields: [String] = []
        var field = ""
        var inQuotes = false
        var line = 1
        var rowStart = 1
        var fieldWasQuoted = false
        var iterator = text.makeIterator()
        var pending: Character? = nil
        func next() -> Character? {
            if let p = pending { pending = nil; return p }
            return iterator.next()
        }
        func endRow() {
            fields.append(field)
            if !(fields.count == 1 && fields[0].isEmpty && !fieldWasQuoted) { rows.append(Row(fields: fields, line: rowStart)) }
            fields = []
            field = ""
            fieldWasQuoted = false
        }
        while let c = next() {
            if inQuotes {
                if c == "\"" {
                    if let following = next() {
                        if following == "\"" { field.append("\"") } else { inQuotes = false; pending = following }
                    } else {
                        inQuotes = false
                    }
                } else {
                    if c == "\n" || c == "\r\n" { line += 1 }
                    field.append(c)
                }
                continue
            }
            switch c {
            case "\"" where field.isEmpty && !fieldWasQuoted:
                inQuotes = true
                fieldWasQuoted = true
            case delimiter:
                fields.append(field)
                field = ""
                fieldWasQuoted = false
            case "\n", "\r\n", "\r":
                endRow()
                line += 1
                rowStart = line
            default:
                field.append(c)
            }
        }
        if inQuotes { throw Error(line: rowStart, reason: "unterminated quoted field") }
        if !field.isEmpty || !fields.isEmpty || fieldWasQuoted { endRow() }
        return rows
    }
}
