import Testing
@testable import SwitchboardCore

/// Feeds `bytes` in the chunks that `splits` (ascending offsets) cut, then finishes.
private func decode(
    _ bytes: [UInt8], splits: [Int] = [], delimiter: UInt8? = nil, maxRowBytes: Int = 1 << 20
) throws(CSV.Error) -> (rows: [CSV.Row], decoder: CSVDecoder) {
    var decoder = CSVDecoder(delimiter: delimiter, maxRowBytes: maxRowBytes)
    var rows: [CSV.Row] = []
    var start = 0
    for end in splits + [bytes.count] {
        rows += decoder.feed(Array(bytes[start..<end]))
        start = end
    }
    rows += try decoder.finish()
    return (rows, decoder)
}

private func row(_ line: Int, _ fields: String...) -> CSV.Row {
    CSV.Row(fields: fields, line: line)
}

/// A small file with every tricky case: BOM, quoted fields with doubled quotes, delimiters and
/// CRLF / LF / CR inside quotes, an empty line, a lone-CR line ending, a quote in an unquoted
/// field, text after a closing quote, a row of only delimiters, no final line break.
private let trickyText =
    "\u{FEFF}code,name,note\r\n"
    + "1,\"Müller, Hans\",\"says \"\"hi\"\"\r\nsecond line\"\r\n"
    + "\r\n"
    + "2,Café,\"a\nb\rc\"\n"
    + "3,plain \"quoted\" mid,€\r"
    + ",,\n"
    + "\"\",x,\"trailing\"junk\n"
    + "4,last,no newline"

private let trickyRows = [
    row(1, "code", "name", "note"),
    row(2, "1", "Müller, Hans", "says \"hi\"\r\nsecond line"),
    row(5, "2", "Café", "a\nb\rc"),
    row(8, "3", "plain \"quoted\" mid", "€"),
    row(9, "", "", ""),
    row(10, "", "x", "trailingjunk"),
    row(11, "4", "last", "no newline"),
]

/// xorshift, so the "random" inputs are the same on every run.
private struct Generator {
    var state: UInt64
    mutating func next(_ bound: Int) -> Int {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return Int(state % UInt64(bound))
    }
}

@Suite struct CSVDecoderTests {
    @Test func trickyFileWhole() throws {
        let result = try decode(Array(trickyText.utf8))
        #expect(result.rows == trickyRows)
        #expect(result.decoder.delimiter == UInt8(ascii: ","))
        #expect(result.decoder.encoding == .utf8)
    }

    @Test func trickyFileEverySplitGivesTheSameRows() throws {
        let bytes = Array(trickyText.utf8)
        for offset in 0...bytes.count {
            let rows = try decode(bytes, splits: [offset]).rows
            #expect(rows == trickyRows, "split at \(offset)")
        }
        // Byte by byte.
        #expect(try decode(bytes, splits: Array(0..<bytes.count)).rows == trickyRows)
        // Every pair of split points.
        for first in 0...bytes.count {
            for second in first...bytes.count {
                let rows = try decode(bytes, splits: [first, second]).rows
                #expect(rows == trickyRows, "splits at \(first), \(second)")
            }
        }
    }

    @Test func rowsComeBackAsSoonAsTheyAreComplete() throws {
        var decoder = CSVDecoder()
        #expect(decoder.feed(Array("a,b".utf8)).isEmpty)
        #expect(decoder.delimiter == nil)  // header line not complete yet
        #expect(decoder.feed(Array("\r\n1,\"x\r\n".utf8)) == [row(1, "a", "b")])
        #expect(decoder.delimiter == UInt8(ascii: ","))
        #expect(decoder.feed(Array("y\"\r\n2,z".utf8)) == [row(2, "1", "x\r\ny")])
        #expect(decoder.feed([]).isEmpty)
        #expect(try decoder.finish() == [row(4, "2", "z")])
    }

    @Test func quotedFields() throws {
        let text = "a,b,c\n\"x\"\"y\",\"1,2\",\"line1\r\nline2\nline3\rline4\"\n\"\"\"\",\"\",\"a\"\"\"\nnext,row,here\n"
        let rows = try decode(Array(text.utf8)).rows
        #expect(rows == [
            row(1, "a", "b", "c"),
            row(2, "x\"y", "1,2", "line1\r\nline2\nline3\rline4"),
            row(6, "\"", "", "a\""),
            row(7, "next", "row", "here"),
        ])
    }

    @Test func quoteOnlyOpensAFieldAtItsStart() throws {
        let rows = try decode(Array("a,b\nx\"y,\"q\"z w,  \"s\"\n".utf8)).rows
        #expect(rows == [row(1, "a", "b"), row(2, "x\"y", "qz w", "  \"s\"")])
    }

    @Test(arguments: [(",", UInt8(ascii: ",")), (";", UInt8(ascii: ";")), ("\t", 0x09), ("|", UInt8(ascii: "|"))])
    func detectsEachDelimiter(delimiter: String, byte: UInt8) throws {
        let text = ["id", "name", "city, state"].joined(separator: delimiter) + "\n"
            + ["1", "Ann", "x"].joined(separator: delimiter) + "\n"
        let result = try decode(Array(text.utf8))
        #expect(result.decoder.delimiter == byte)
        if delimiter == "," {
            #expect(result.rows[0].fields == ["id", "name", "city", " state"])
        } else {
            #expect(result.rows == [row(1, "id", "name", "city, state"), row(2, "1", "Ann", "x")])
        }
    }

    @Test func detectionIgnoresDelimitersInsideQuotes() throws {
        // Three commas inside quotes, one semicolon outside.
        let semicolon = try decode(Array("\"a,b,c,d\";e\n1;2\n".utf8))
        #expect(semicolon.decoder.delimiter == UInt8(ascii: ";"))
        #expect(semicolon.rows == [row(1, "a,b,c,d", "e"), row(2, "1", "2")])
        // Pipes inside quotes, tabs outside.
        let tab = try decode(Array("\"x|y|z\"\t\"p|q\"\tr\n".utf8))
        #expect(tab.decoder.delimiter == 0x09)
        #expect(tab.rows == [row(1, "x|y|z", "p|q", "r")])
        // Ties go to the earlier of , ; TAB |.
        #expect(try decode(Array("a;b,c|d\tf\n".utf8)).decoder.delimiter == UInt8(ascii: ","))
        #expect(try decode(Array("a|b;c\n".utf8)).decoder.delimiter == UInt8(ascii: ";"))
        // No delimiter at all: comma.
        #expect(try decode(Array("name\nAnn\n".utf8)).decoder.delimiter == UInt8(ascii: ","))
        // Leading empty lines are not the header.
        let late = try decode(Array("\r\n\na;b\n".utf8))
        #expect(late.decoder.delimiter == UInt8(ascii: ";"))
        #expect(late.rows == [row(3, "a", "b")])
    }

    @Test func givenDelimiterIsUsed() throws {
        let result = try decode(Array("a;b,c\n".utf8), delimiter: UInt8(ascii: "|"))
        #expect(result.rows == [row(1, "a;b,c")])
        #expect(result.decoder.delimiter == UInt8(ascii: "|"))
    }

    @Test func byteOrderMarkIsDroppedOnlyAtTheStart() throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("a,b\n1,\u{FEFF}2\n".utf8)
        let expected = [row(1, "a", "b"), row(2, "1", "\u{FEFF}2")]
        for offset in 0...bytes.count {
            #expect(try decode(bytes, splits: [offset]).rows == expected, "split at \(offset)")
        }
        #expect(try decode(bytes, splits: [1, 2]).rows == expected)
        // The start of a BOM that does not complete is data (here not UTF-8, so Windows-1252).
        let notBOM = try decode([0xEF, 0xBB, 0x41, 0x0A], splits: [1, 2])
        #expect(notBOM.rows == [row(1, "ï»A")])
        #expect(try decode([0xEF, 0xBB]).rows == [row(1, "ï»")])
        #expect(try decode([0xEF, 0xBB, 0xBF]).rows.isEmpty)
    }

    @Test func windows1252File() throws {
        var bytes = Array("name;city;note\r\n".utf8)
        bytes += [0x4D, 0xFC, 0x6C, 0x6C, 0x65, 0x72] + [0x3B] + [0x43, 0x61, 0x66, 0xE9] + [0x3B] + [0x80, 0x20, 0x35] + [0x0D, 0x0A]
        bytes += [0x93, 0x71, 0x94, 0x3B, 0x8A, 0x9F, 0x99, 0x3B, 0x81, 0x8D, 0x8F, 0x90, 0x9D, 0x0D, 0x0A]
        bytes += [0xC3, 0xA9, 0x3B, 0x78, 0x3B, 0x79, 0x0A]  // valid UTF-8 after the switch: still Windows-1252
        let expected = [
            row(1, "name", "city", "note"),
            row(2, "Müller", "Café", "€ 5"),
            row(3, "“q”", "ŠŸ™", "\u{81}\u{8D}\u{8F}\u{90}\u{9D}"),
            row(4, "Ã©", "x", "y"),
        ]
        for offset in 0...bytes.count {
            let result = try decode(bytes, splits: [offset])
            #expect(result.rows == expected, "split at \(offset)")
            #expect(result.decoder.encoding == .windows1252)
        }
    }

    @Test func everyWindows1252ByteDecodes() throws {
        var decoder = CSVDecoder(delimiter: UInt8(ascii: ","))
        #expect(decoder.feed([0xFF, 0x0A]) == [row(1, "ÿ")])
        #expect(decoder.encoding == .windows1252)
        let high: [UInt8] = Array(0x80...0xFF)
        let rows = decoder.feed(high + [0x0A])
        let text = try #require(rows.first?.fields.first)
        #expect(text.unicodeScalars.count == high.count)
        #expect(text.hasPrefix("€\u{81}‚ƒ„…†‡ˆ‰Š‹Œ\u{8D}Ž\u{8F}\u{90}‘’“”•–—˜™š›œ\u{9D}žŸ\u{A0}¡"))
        #expect(text.hasSuffix("üýþÿ"))
    }

    @Test func utf8CharactersSplitAcrossChunks() throws {
        let text = "name|note\nZürich 😀 €|\"Åke\nØre\"\n"
        let bytes = Array(text.utf8)
        let expected = [row(1, "name", "note"), row(2, "Zürich 😀 €", "Åke\nØre")]
        for offset in 0...bytes.count {
            let result = try decode(bytes, splits: [offset])
            #expect(result.rows == expected, "split at \(offset)")
            #expect(result.decoder.encoding == .utf8)
        }
        #expect(try decode(bytes, splits: Array(0..<bytes.count)).rows == expected)
    }

    @Test func emptyLinesAreSkippedButCounted() throws {
        let text = "\n\na,b\n\n\r\n1,2\r\r3,4\n,\n\n"
        let expected = [row(3, "a", "b"), row(6, "1", "2"), row(8, "3", "4"), row(9, "", "")]
        let bytes = Array(text.utf8)
        for offset in 0...bytes.count {
            #expect(try decode(bytes, splits: [offset]).rows == expected, "split at \(offset)")
        }
    }

    @Test func crlfSplitAcrossChunksIsOneLineBreak() throws {
        var decoder = CSVDecoder()
        #expect(decoder.feed(Array("a,b\r".utf8)) == [row(1, "a", "b")])
        #expect(decoder.feed(Array("\n1,\"x\r".utf8)).isEmpty)
        #expect(decoder.feed(Array("\ny\"\r".utf8)) == [row(2, "1", "x\r\ny")])
        #expect(decoder.feed(Array("\n2,z\r\n".utf8)) == [row(4, "2", "z")])
    }

    @Test func unterminatedQuotedFieldThrowsWithItsLine() {
        let text = "a,b\n1,2\n\n3,\"open\nmore\n"
        let bytes = Array(text.utf8)
        for offset in 0...bytes.count {
            var decoder = CSVDecoder()
            let rows = decoder.feed(Array(bytes[..<offset])) + decoder.feed(Array(bytes[offset...]))
            #expect(rows == [row(1, "a", "b"), row(2, "1", "2")])
            do {
                _ = try decoder.finish()
                Issue.record("no error at split \(offset)")
            } catch {
                #expect(error == CSV.Error(line: 4, reason: "unterminated quoted field"))
            }
        }
    }

    @Test func overLongRowsAreRejectedAndDecodingGoesOn() throws {
        let long = String(repeating: "x", count: 40)
        let text = "a,b\n1,\(long)\n2,ok\n3,\"\(long)\n\(long)\"\n4,fine\n5,\(long)"
        let bytes = Array(text.utf8)
        let expected = [row(1, "a", "b"), row(3, "2", "ok"), row(6, "4", "fine")]
        for offset in stride(from: 0, through: bytes.count, by: 3) {
            var decoder = CSVDecoder(maxRowBytes: 16)
            var rows = decoder.feed(Array(bytes[..<offset]))
            rows += decoder.feed(Array(bytes[offset...]))
            rows += try decoder.finish()
            #expect(rows == expected, "split at \(offset)")
            let rejected = decoder.takeRejected()
            #expect(rejected.map(\.line) == [2, 4, 7])
            #expect(rejected.allSatisfy { $0.reason.contains("16") })
            #expect(decoder.takeRejected().isEmpty)
        }
        // A row of exactly maxRowBytes is kept.
        #expect(try decode(Array("abcd\n1234\n".utf8), maxRowBytes: 4).rows == [row(1, "abcd"), row(2, "1234")])
    }

    @Test func hugeLineStaysBounded() throws {
        var decoder = CSVDecoder(maxRowBytes: 1000)
        #expect(decoder.feed(Array("a,b\n".utf8)) == [row(1, "a", "b")])
        let chunk = [UInt8](repeating: UInt8(ascii: "y"), count: 100_000)
        for _ in 0..<50 { #expect(decoder.feed(chunk).isEmpty) }
        #expect(decoder.feed(Array("\nlast,row\n".utf8)) == [row(3, "last", "row")])
        #expect(try decoder.finish().isEmpty)
        #expect(decoder.takeRejected().map(\.line) == [2])
    }

    @Test func arbitraryBytesNeverCrashAndChunkingNeverMatters() {
        var generator = Generator(state: 0x9E37_79B9_7F4A_7C15)
        let alphabet: [UInt8] = [0x00, 0x09, 0x0A, 0x0D, 0x22, 0x22, 0x2C, 0x3B, 0x7C, 0x61, 0x80, 0xC3, 0xA9, 0xEF, 0xBB, 0xBF, 0xFF]
        for round in 0..<400 {
            let bytes = (0..<generator.next(60)).map { _ in
                round % 2 == 0 ? alphabet[generator.next(alphabet.count)] : UInt8(generator.next(256))
            }
            let maxRowBytes = round % 3 == 0 ? generator.next(20) : 1 << 20
            func outcome(_ splits: [Int]) -> String {
                var decoder = CSVDecoder(maxRowBytes: maxRowBytes)
                var start = 0
                var rows: [CSV.Row] = []
                for end in splits + [bytes.count] {
                    rows += decoder.feed(Array(bytes[start..<end]))
                    start = end
                }
                let end: String
                do { rows += try decoder.finish(); end = "ok" } catch { end = "\(error)" }
                return "\(rows) \(decoder.takeRejected()) \(end) \(decoder.encoding) \(String(describing: decoder.delimiter))"
            }
            let whole = outcome([])
            let cut = generator.next(bytes.count + 1)
            #expect(outcome([cut]) == whole, "\(bytes) split at \(cut)")
            #expect(outcome(Array(0..<bytes.count)) == whole, "\(bytes) byte by byte")
        }
    }

    // MARK: CSV.parse, now on top of the decoder

    @Test func parseRoundTripsExportedLines() throws {
        let records = [
            ["id", "name", "note"],
            ["1", "Müller, Hans", "says \"hi\""],
            ["2", "", "two\r\nlines"],
            ["3", "Zürich Büro", "line\nbreak"],
        ]
        for delimiter: Character in [",", ";", "\t", "|"] {
            let text = records.map { CSV.line($0, delimiter: delimiter) }.joined()
            let rows = try CSV.parse(text)
            #expect(rows.map(\.fields) == records)
            #expect(rows.map(\.line) == [1, 2, 3, 5])
            #expect(try CSV.parse(text, delimiter: delimiter).map(\.fields) == records)
        }
    }

    @Test func parseKeepsItsBehaviour() throws {
        #expect(try CSV.parse("a;b\r\n\r\n1;2\n3;\n") == [row(1, "a", "b"), row(3, "1", "2"), row(4, "3", "")])
        #expect(try CSV.parse("a,b\n1,2", delimiter: ";") == [row(1, "a,b"), row(2, "1,2")])
        #expect(try CSV.parse("").isEmpty)
        #expect(try CSV.parse("\u{FEFF}code|name\n") == [row(1, "code", "name")])
        #expect(throws: CSV.Error(line: 2, reason: "unterminated quoted field")) { try CSV.parse("a,b\n\"x,\ny\n") }
        #expect(throws: CSV.Error.self) { try CSV.parse("a§b", delimiter: "§") }
    }

    @Test func detectDelimiterOfAHeader() {
        #expect(CSV.detectDelimiter(header: "id;name;note") == ";")
        #expect(CSV.detectDelimiter(header: "id\tname") == "\t")
        #expect(CSV.detectDelimiter(header: "id|name|note,x") == "|")
        #expect(CSV.detectDelimiter(header: "\"a,b,c\";d") == ";")
        #expect(CSV.detectDelimiter(header: "name") == ",")
    }

    @Test func aForcedEncodingNeverSwitches() throws {
        // "Ã©" in Windows-1252 is the same two bytes as "é" in UTF-8.
        let bytes: [UInt8] = Array("name\nCaf".utf8) + [0xC3, 0xA9] + [0x0A]
        var latin = CSVDecoder(encoding: .windows1252)
        let latinRows = latin.feed(bytes) + (try latin.finish())
        #expect(latinRows.last?.fields == ["CafÃ©"])
        var detected = CSVDecoder()
        #expect((detected.feed(bytes) + (try detected.finish())).last?.fields == ["Café"])
        // Forced UTF-8: an invalid byte becomes U+FFFD and the encoding stays UTF-8.
        var utf8 = CSVDecoder(encoding: .utf8)
        let rows = utf8.feed(Array("name\nM".utf8) + [0xFC] + Array("ller\nCafé\n".utf8)) + (try utf8.finish())
        #expect(rows.map(\.fields) == [["name"], ["M\u{FFFD}ller"], ["Café"]])
        #expect(utf8.encoding == .utf8)
    }
}

/// A header is resolved once; every row is then read by those columns.
@Suite struct PhonebookCSVColumnsTests {
    @Test func rowsAreReadByTheHeadersCodes() {
        // Codes in any case with spaces, an unknown column, a repeated one (the last wins), a short row.
        let columns = PhonebookCSV.Columns(header: [" Mobile", "NAME", "colour", "id", "company", "phone", "Company ", "note"])
        #expect(columns.unknown.map(\.code) == ["colour"])
        #expect(columns.repeated == ["company"])
        let (key, fields) = columns.read(["040 123, 050 456 ", "Hans Müller", "blue", "42", "Old GmbH", "030 1234567", "Müller GmbH"])
        #expect(key == "42")
        #expect(fields.displayName == "Hans Müller")
        #expect(fields.company == "Müller GmbH")
        #expect(fields.note == nil)
        #expect(fields.firstName == nil && fields.email == nil)
        // Numbers in the order of the kinds (phone before mobile), several of a kind split at commas.
        #expect(fields.numbers?.map(\.kind) == [.phone, .mobile, .mobile])
        #expect(fields.numbers?.map(\.text) == ["030 1234567", "040 123", "050 456"])
        // Empty cells are absent, like missing ones.
        let (noKey, empty) = columns.read(["", "", "", ""])
        #expect(noKey == nil && empty.displayName == nil && (empty.numbers ?? []).isEmpty)
    }
}
