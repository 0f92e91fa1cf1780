import Testing
@testable import JSONRPC

@Suite struct JSONParserTests {
    @Test func parsesEveryKindOfValue() throws {
        let value = try JSONParser.parse(#"{"a":[1,-2,3.5,1e3,true,false,null,"x\ny\u00e9\ud83d\ude00"],"b":{}}"#)
        #expect(value["a"] == [1, -2, 3.5, 1000.0, true, false, nil, "x\nyé😀"])
        #expect(value["b"] == .object([:]))
    }

    @Test func keepsIntegersExact() throws {
        #expect(try JSONParser.parse("9007199254740993") == .int(9_007_199_254_740_993))
        #expect(try JSONParser.parse("-0") == .int(0))
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":}", "01", "1.", ".5", "+1", "tru", "nul", "\"abc", "{\"a\" 1}", "[1 2]",
        "\"\\x\"", "\"\t\"", "{} {}", "NaN", "1e", "\"\\ud800\"",
    ])
    func rejectsMalformedJSON(_ text: String) {
        #expect(throws: JSONParser.Error.self) { try JSONParser.parse(text) }
    }

    @Test func rejectsInvalidUTF8InStrings() {
        let bytes: [UInt8] = Array("\"ab".utf8) + [0xFF, 0xFE] + Array("\"".utf8)
        #expect(throws: JSONParser.Error.self) { try JSONParser.parse(bytes) }
        do {
            _ = try JSONParser.parse(bytes)
        } catch {
            #expect(error.kind == .invalidUTF8)
        }
    }

    @Test func boundsNestingDepth() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(throws: Never.self) { try JSONParser.parse(ok, maxDepth: 64) }
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        do {
            _ = try JSONParser.parse(deep, maxDepth: 64)
            Issue.record("accepted 65 levels")
        } catch {
            #expect(error.kind == .tooDeep)
        }
    }

    @Test func lastDuplicateKeyWins() throws {
        #expect(try JSONParser.parse(#"{"a":1,"a":2}"#)["a"] == 2)
    }

    @Test func writerRoundTripsAndNeverEmitsRawNewlines() throws {
        let value: JSONValue = ["text": "line1\nline2\r\t\"q\"\\ \u{01}", "n": 12, "d": 0.25, "list": [nil, true]]
        let bytes = JSONWriter.serialize(value)
        #expect(!bytes.contains(0x0A))
        #expect(try JSONParser.parse(bytes) == value)
    }

    @Test func writerSpellsIntegersAndEscapesExactly() throws {
        let integers: [Int64] = [0, 7, 10, -1, -10, 1_234_567_890, .max, .min]
        #expect(JSONWriter.string(.array(integers.map(JSONValue.int))) == "[0,7,10,-1,-10,1234567890,9223372036854775807,-9223372036854775808]")
        #expect(JSONWriter.string(.string("a\u{1F}\u{08}\u{0C}é😀")) == #""a\u001f\b\fé😀""#)
        // Long strings that need escaping everywhere grow the buffer correctly.
        let long = String(repeating: "\"\n", count: 5_000)
        #expect(try JSONParser.parse(JSONWriter.serialize(["k": .string(long)]))["k"] == .string(long))
    }

    @Test func prettyPrintingIsParseable() throws {
        let value: JSONValue = ["a": [1, 2, ["b": "c"]], "e": [:]]
        #expect(try JSONParser.parse(JSONWriter.pretty(value)) == value)
    }
}
