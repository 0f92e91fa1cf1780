/// RFC 4180 CSV: quoted fields with doubled quotes and line breaks inside
/// quotes. Shared by the phonebook export and the CSV sync source.
public enum CSV {
    /// Delimiters a CSV phonebook may use, detected from its header.
    public static let delimiters: [Character] = [",", ";", "\t", "|"]

    /// The delimiter that splits the header line into the most fields, counting only
    /// delimiters outside quoted fields (ties → the earlier in `delimiters`). Only the first
    /// line of `header` is looked at.
    public static func detectDelimiter(header: Substring) -> Character {
        var header = String(header)
        let byte = header.withUTF8 { CSVDecoder.detectDelimiter(in: $0) }
        return Character(Unicode.Scalar(byte))
    }

    /// The field, quoted when it holds the delimiter, a quote or a line break (CR, LF or CRLF).
    public static func escape(_ field: String, delimiter: Character = ",") -> String {
        // Bytes, not Characters: "\r\n" is one Character, equal to neither "\r" nor "\n".
        let delimiterByte: UInt8? = delimiter.utf8.count == 1 ? delimiter.utf8.first : nil
        let special = field.utf8.contains { $0 == 0x22 || $0 == 0x0A || $0 == 0x0D || $0 == delimiterByte }
        guard special || (delimiterByte == nil && field.contains(delimiter)) else { return field }
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

    /// Splits a whole text into rows (empty lines skipped), with `CSVDecoder`: the delimiter is
    /// detected from the header line unless given (it must be a single ASCII character), a
    /// leading byte-order mark is dropped, and there is no row length limit.
    public static func parse(_ text: String, delimiter: Character? = nil) throws(Error) -> [Row] {
        var byte: UInt8? = nil
        if let delimiter {
            guard let ascii = delimiter.asciiValue, delimiter.utf8.count == 1 else {
                throw Error(line: 1, reason: "delimiter must be a single ASCII character")
            }
            byte = ascii
        }
        var decoder = CSVDecoder(delimiter: byte, maxRowBytes: .max)
        var text = text
        var rows = text.withUTF8 { decoder.feed(UnsafeRawBufferPointer($0)) }
        rows += try decoder.finish()
        return rows
    }
}
