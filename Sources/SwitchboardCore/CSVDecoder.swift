/// Incremental RFC 4180 decoder: feed byte chunks as they arrive (any split, even inside a
/// quoted field or a multi-byte character), get complete rows back. Memory stays bounded by
/// the longest row, whatever the file size.
///
/// - Line endings LF, CRLF and lone CR end a row; `CSV.Row.line` is the physical line where the
///   row starts (line breaks inside quoted fields count).
/// - Empty lines are skipped (but counted); a line of only delimiters is a row of empty fields.
/// - A quote opens a quoted field only at the start of a field; `""` inside quotes is one `"`;
///   bytes after the closing quote up to the delimiter are kept as they are.
/// - A UTF-8 byte-order mark at the very start of the input is dropped.
/// - Fields are decoded as UTF-8 until one is not valid UTF-8; that field and every later one
///   are decoded as Windows-1252.
/// - Without a given delimiter, the first non-empty physical line is buffered and the delimiter
///   (`,` `;` TAB `|`) that splits it into the most fields (outside quotes; ties → the earlier)
///   is chosen; no row is returned before that.
public struct CSVDecoder: Sendable {
    public enum Encoding: String, Sendable { case utf8, windows1252 }

    /// The delimiter in use: given, or detected from the header line once it is complete.
    public private(set) var delimiter: UInt8?
    /// utf8 until a field is not valid UTF-8; from then on (that field included) windows1252.
    public private(set) var encoding: Encoding = .utf8

    private enum State: UInt8 { case fieldStart, unquoted, quoted, quoteInQuoted, afterCR }

    private let maxRowBytes: Int
    /// Delimiter the scanner uses (a placeholder until detection; only line breaks are scanned then).
    private var scanDelimiter: UInt8
    private var state: State = .fieldStart
    /// Physical line of the scan position (1-based).
    private var line = 1
    /// Physical line where the current row started.
    private var rowStartLine = 1
    /// Raw bytes of the current row seen in earlier chunks (line break excluded).
    private var rowRawBase = 0
    /// The current row is over maxRowBytes: it is being skipped, nothing is buffered.
    private var skipping = false
    /// Whether the last byte scanned before the current chunk was a CR (CRLF inside quotes split across chunks).
    private var previousEndedCR = false
    /// Decoded fields of the current row.
    private var fields: [String] = []
    /// Content of the current field when it is not one span of the chunk being scanned (it began in
    /// an earlier chunk, or is quoted with `""` inside or text after the closing quote).
    private var fieldBytes: [UInt8] = []
    /// The header line while the delimiter is still unknown (at most maxRowBytes).
    private var header: [UInt8] = []
    /// 0...2: bytes of a BOM matched so far at the start of the input; -1: past the start.
    private var bomMatched: Int8 = 0
    private var rejected: [CSV.Error] = []

    /// - Parameter encoding: forces an encoding (a setting of the source); nil detects as described above.
    ///   Forced UTF-8 replaces invalid sequences with U+FFFD instead of switching.
    public init(delimiter: UInt8? = nil, encoding: Encoding? = nil, maxRowBytes: Int = 1 << 20) {
        self.delimiter = delimiter
        self.scanDelimiter = delimiter ?? Self.comma
        self.maxRowBytes = max(0, maxRowBytes)
        if let encoding {
            self.encoding = encoding
            encodingForced = true
        }
    }

    /// The encoding was given, not detected: never switch.
    private var encodingForced = false

    // MARK: Public API

    /// Rows completed by this chunk, in order (the header is the first row). Empty lines are skipped.
    /// Rows longer than maxRowBytes are not returned: they are reported in `rejected` and skipped.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> [CSV.Row] {
        var rows: [CSV.Row] = []
        bytes.withMemoryRebound(to: UInt8.self) { input in
            var start = 0
            if bomMatched >= 0 {
                while start < input.count && bomMatched < 3 {
                    if input[start] == Self.bom[Int(bomMatched)] {
                        bomMatched += 1
                        start += 1
                    } else {
                        // Not a BOM after all: the held bytes are data.
                        flushHeldBOM(into: &rows)
                        break
                    }
                }
                if bomMatched == 3 { bomMatched = -1 }
            }
            if start < input.count {
                process(UnsafeBufferPointer(rebasing: input[start...]), into: &rows)
            }
        }
        return rows
    }

    public mutating func feed(_ bytes: [UInt8]) -> [CSV.Row] {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// End of input: the last row without a final line break; throws CSV.Error(line:, reason:) for a quoted
    /// field still open at the end ("unterminated quoted field" with the line where that row started).
    public mutating func finish() throws(CSV.Error) -> [CSV.Row] {
        var rows: [CSV.Row] = []
        if bomMatched > 0 { flushHeldBOM(into: &rows) }
        bomMatched = -1
        if delimiter == nil {
            let buffered = header
            header = []
            let detected = buffered.withUnsafeBufferPointer { Self.detectDelimiter(in: $0) }
            delimiter = detected
            scanDelimiter = detected
            buffered.withUnsafeBufferPointer { run($0, into: &rows) }
        }
        switch state {
        case .quoted:
            let start = rowStartLine
            var piece = Piece()
            resetRow(&piece)
            state = .fieldStart
            throw CSV.Error(line: start, reason: "unterminated quoted field")
        case .fieldStart, .unquoted, .quoteInQuoted:
            var piece = Piece()
            endRow(nil, raw: rowRawBase, &piece, into: &rows)
        case .afterCR:
            break
        }
        state = .fieldStart
        rowRawBase = 0
        rowStartLine = line
        return rows
    }

    /// Rows skipped since the last call (line number + reason), then cleared.
    public mutating func takeRejected() -> [CSV.Error] {
        defer { rejected = [] }
        return rejected
    }

    // MARK: Delimiter detection

    static let comma: UInt8 = 0x2C
    static let candidates: [UInt8] = [0x2C, 0x3B, 0x09, 0x7C]  // , ; TAB |
    private static let quote: UInt8 = 0x22
    private static let cr: UInt8 = 0x0D
    private static let lf: UInt8 = 0x0A
    private static let bom: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// The candidate that splits the first physical line of `bytes` into the most fields, counting
    /// only delimiters outside quoted fields (ties → the earlier of `,` `;` TAB `|`).
    static func detectDelimiter(in bytes: UnsafeBufferPointer<UInt8>) -> UInt8 {
        var best = comma
        var bestCount = 0
        for candidate in candidates {
            let count = fieldCount(bytes, delimiter: candidate)
            if count > bestCount { best = candidate; bestCount = count }
        }
        return best
    }

    /// Fields of the first physical line under the decoder's quoting rules with `delimiter`.
    private static func fieldCount(_ p: UnsafeBufferPointer<UInt8>, delimiter: UInt8) -> Int {
        var count = 1
        var atFieldStart = true
        var inQuotes = false
        var i = 0
        while i < p.count {
            let b = p[i]
            if b == cr || b == lf { break }
            if inQuotes {
                if b == quote {
                    if i + 1 < p.count && p[i + 1] == quote { i += 1 } else { inQuotes = false }
                }
            } else if b == quote && atFieldStart {
                inQuotes = true
            } else if b == delimiter {
                count += 1
                atFieldStart = true
                i += 1
                continue
            }
            atFieldStart = false
            i += 1
        }
        return count
    }

    // MARK: Input routing

    private mutating func flushHeldBOM(into rows: inout [CSV.Row]) {
        let held = Int(bomMatched)
        bomMatched = -1
        if held > 0 {
            Self.bom.withUnsafeBufferPointer { process(UnsafeBufferPointer(rebasing: $0[0..<held]), into: &rows) }
        }
    }

    /// Scans `p`, or while the delimiter is unknown buffers the header line and detects it.
    private mutating func process(_ p: UnsafeBufferPointer<UInt8>, into rows: inout [CSV.Row]) {
        if delimiter != nil { run(p, into: &rows); return }
        let n = p.count
        var i = 0
        if header.isEmpty {
            // Line breaks before the header: scanned now (they do not depend on the delimiter).
            while i < n && (p[i] == Self.cr || p[i] == Self.lf) { i += 1 }
            if i > 0 { run(UnsafeBufferPointer(rebasing: p[0..<i]), into: &rows) }
            if i == n { return }
        }
        var j = i
        while j < n && p[j] != Self.cr && p[j] != Self.lf { j += 1 }
        let room = maxRowBytes - header.count
        let taken = min(j - i, room)
        header.append(contentsOf: UnsafeBufferPointer(rebasing: p[i..<(i + taken)]))
        if j == n && j - i <= room { return }  // header line not complete yet, still within bounds
        // Header line complete (or longer than maxRowBytes: detect from its start).
        let buffered = header
        header = []
        let detected = buffered.withUnsafeBufferPointer { Self.detectDelimiter(in: $0) }
        delimiter = detected
        scanDelimiter = detected
        buffered.withUnsafeBufferPointer { run($0, into: &rows) }
        run(UnsafeBufferPointer(rebasing: p[(i + taken)...]), into: &rows)
    }

    // MARK: Scanner

    /// Content of the current field as a span of the chunk being scanned (start < 0: none).
    private struct Piece {
        var start = -1
        var end = -1
    }

    /// The state machine over one chunk of input (delimiter known, or only line breaks).
    private mutating func run(_ p: UnsafeBufferPointer<UInt8>, into rows: inout [CSV.Row]) {
        let n = p.count
        guard n > 0, let base = p.baseAddress else { return }
        let d = scanDelimiter
        let quote = Self.quote, cr = Self.cr, lf = Self.lf
        var state = self.state
        var line = self.line
        var piece = Piece()
        var i = 0
        var rowStart = 0  // where the current row starts in this chunk (0 if earlier)
        scan: while i < n {
            switch state {
            case .afterCR:
                state = .fieldStart
                if base[i] == lf { i += 1; rowStart = i }
            case .fieldStart:
                if base[i] == quote {
                    state = .quoted
                    i += 1
                    continue scan
                }
                state = .unquoted
                fallthrough
            case .unquoted:
                let start = i
                i = Self.firstOf(d, lf, cr, in: base, from: i, to: n)
                if i > start { addRun(base, start, i, raw: rowRawBase + i - rowStart, &piece) }
                if i == n { break scan }
                let b = base[i]
                if b == lf || b == cr {
                    endRow(base, raw: rowRawBase + i - rowStart, &piece, into: &rows)
                    line += 1
                    i += 1
                    rowStart = i
                    rowRawBase = 0
                    rowStartLine = line
                    state = b == cr ? .afterCR : .fieldStart
                } else {
                    i += 1
                    endField(base, raw: rowRawBase + i - rowStart, &piece)
                    state = .fieldStart
                }
            case .quoted:
                let start = i
                while true {
                    i = Self.firstOf(quote, lf, cr, in: base, from: i, to: n)
                    if i == n || base[i] == quote { break }
                    // A line break inside quotes: part of the field; CRLF counts once.
                    if base[i] == cr || !(i > 0 ? base[i - 1] == cr : previousEndedCR) { line += 1 }
                    i += 1
                }
                if i > start { addRun(base, start, i, raw: rowRawBase + i - rowStart, &piece) }
                if i == n { break scan }
                i += 1
                state = .quoteInQuoted
            case .quoteInQuoted:
                if base[i] == quote {
                    addRun(base, i, i + 1, raw: rowRawBase + i + 1 - rowStart, &piece)
                    i += 1
                    state = .quoted
                } else {
                    state = .unquoted
                }
            }
        }
        // The chunk goes away: keep what the current field has of it.
        if piece.start >= 0 {
            fieldBytes.append(contentsOf: UnsafeBufferPointer(start: base + piece.start, count: piece.end - piece.start))
        }
        rowRawBase += n - rowStart
        previousEndedCR = base[n - 1] == cr
        self.state = state
        self.line = line
    }

    /// The index of the first of bytes `a`, `b`, `c` in base[from..<to], or `to`; 8 bytes at a time.
    @inline(__always)
    private static func firstOf(_ a: UInt8, _ b: UInt8, _ c: UInt8, in base: UnsafePointer<UInt8>, from: Int, to end: Int) -> Int {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let ma = ones &* UInt64(a), mb = ones &* UInt64(b), mc = ones &* UInt64(c)
        let raw = UnsafeRawPointer(base)
        var i = from
        while i + 8 <= end {
            let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            let x = word ^ ma, y = word ^ mb, z = word ^ mc
            // A byte of x, y or z is zero where the word has a, b or c; the lowest flag is exact.
            let found = (((x &- ones) & ~x) | ((y &- ones) & ~y) | ((z &- ones) & ~z)) & highs
            if found != 0 { return i + found.trailingZeroBitCount >> 3 }
            i += 8
        }
        while i < end {
            let v = base[i]
            if v == a || v == b || v == c { return i }
            i += 1
        }
        return end
    }

    /// Adds chunk bytes start..<end to the current field; `raw` is the row's length so far.
    @inline(__always)
    private mutating func addRun(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int, raw: Int, _ piece: inout Piece) {
        if skipping { return }
        if raw > maxRowBytes { beginSkipping(&piece); return }
        if piece.start < 0 && fieldBytes.isEmpty {
            piece = Piece(start: start, end: end)
            return
        }
        // Not contiguous with what the field has: collect both in fieldBytes.
        if piece.start >= 0 {
            fieldBytes.append(contentsOf: UnsafeBufferPointer(start: base + piece.start, count: piece.end - piece.start))
            piece.start = -1
        }
        fieldBytes.append(contentsOf: UnsafeBufferPointer(start: base + start, count: end - start))
    }

    @inline(__always)
    private mutating func endField(_ base: UnsafePointer<UInt8>, raw: Int, _ piece: inout Piece) {
        if skipping { return }
        if raw > maxRowBytes { beginSkipping(&piece); return }
        fields.append(takeField(base, &piece))
    }

    /// The current row is complete with `raw` bytes (line break excluded): emit, skip or reject it.
    private mutating func endRow(_ base: UnsafePointer<UInt8>?, raw: Int, _ piece: inout Piece, into rows: inout [CSV.Row]) {
        if skipping { resetRow(&piece); return }
        if raw == 0 { return }  // empty line: nothing was added
        if raw > maxRowBytes { beginSkipping(&piece); resetRow(&piece); return }
        fields.append(takeField(base, &piece))
        let count = fields.count
        rows.append(CSV.Row(fields: fields, line: rowStartLine))
        fields = []
        fields.reserveCapacity(count)
    }

    /// The current field's text; clears it.
    @inline(__always)
    private mutating func takeField(_ base: UnsafePointer<UInt8>?, _ piece: inout Piece) -> String {
        var encoding = self.encoding
        defer { self.encoding = encoding }
        if piece.start >= 0, let base {
            let bytes = UnsafeBufferPointer(start: base + piece.start, count: piece.end - piece.start)
            piece.start = -1
            return Self.string(bytes, encoding: &encoding, forced: encodingForced)
        }
        if fieldBytes.isEmpty { return "" }
        let text = fieldBytes.withUnsafeBufferPointer { Self.string($0, encoding: &encoding, forced: encodingForced) }
        fieldBytes.removeAll(keepingCapacity: true)
        return text
    }

    private mutating func beginSkipping(_ piece: inout Piece) {
        skipping = true
        piece.start = -1
        fields.removeAll(keepingCapacity: true)
        fieldBytes.removeAll(keepingCapacity: true)
        rejected.append(CSV.Error(line: rowStartLine, reason: "row longer than \(maxRowBytes) bytes"))
    }

    private mutating func resetRow(_ piece: inout Piece) {
        skipping = false
        piece.start = -1
        fields.removeAll(keepingCapacity: true)
        fieldBytes.removeAll(keepingCapacity: true)
    }

    // MARK: Text decoding

    /// Whether every byte is below 0x80 (8 bytes at a time).
    @inline(__always)
    private static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let raw = UnsafeRawPointer(base)
        var i = 0
        var bits: UInt64 = 0
        while i + 8 <= bytes.count {
            bits |= raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            i += 8
        }
        while i < bytes.count {
            bits |= UInt64(bytes[i])
            i += 1
        }
        return bits & 0x8080_8080_8080_8080 == 0
    }

    /// A field as UTF-8 while `encoding` is utf8 and the bytes are valid UTF-8, else as Windows-1252
    /// (switching `encoding` for good).
    @inline(__always)
    private static func string(_ bytes: UnsafeBufferPointer<UInt8>, encoding: inout Encoding, forced: Bool) -> String {
        if bytes.isEmpty { return "" }
        if isASCII(bytes) { return String(decoding: bytes, as: UTF8.self) }  // same in both encodings
        if encoding == .utf8 {
            // Decoding repairs invalid sequences, so the bytes are valid exactly when nothing changed.
            let text = String(decoding: bytes, as: UTF8.self)
            if forced { return text }
            let unchanged = text.utf8.withContiguousStorageIfAvailable { $0.elementsEqual(bytes) }
                ?? text.utf8.elementsEqual(bytes)
            if unchanged { return text }
            encoding = .windows1252
        }
        return windows1252(bytes)
    }

    /// Windows-1252 0x80–0x9F (the five undefined bytes map to the C1 control of the same value).
    private static let windows1252High: [UInt16] = [
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
        0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
    ]

    static func windows1252(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        let high = windows1252High
        return String(unsafeUninitializedCapacity: bytes.count * 3) { out in
            var o = 0
            for byte in bytes {
                if byte < 0x80 {
                    out[o] = byte
                    o += 1
                    continue
                }
                let scalar = byte < 0xA0 ? UInt32(high[Int(byte) - 0x80]) : UInt32(byte)
                if scalar < 0x800 {
                    out[o] = UInt8(0xC0 | (scalar >> 6))
                    out[o + 1] = UInt8(0x80 | (scalar & 0x3F))
                    o += 2
                } else {
                    out[o] = UInt8(0xE0 | (scalar >> 12))
                    out[o + 1] = UInt8(0x80 | ((scalar >> 6) & 0x3F))
                    out[o + 2] = UInt8(0x80 | (scalar & 0x3F))
                    o += 3
                }
            }
            return o
        }
    }
}
