import Testing
@testable import JSONRPC

/// The engine's JSON-RPC 2.0 rules, with a tiny method table (`echo`, `fail`).
@Suite struct RPCEngineTests {
    struct Boom: Error {}

    let engine = RPCEngine<Void>(
        limits: .init(maxDepth: 8, maxBatch: 3),
        invoke: { method, params, _ in
            switch method {
            case "echo": return .object(params.object)
            case "fail": throw Boom()
            case "needsName": return .string(try params.string("name"))
            default: throw RPCError.methodNotFound(method)
            }
        },
        mapError: { _, _ in .internalError })

    func run(_ line: String) async -> JSONValue? {
        var out: [UInt8] = []
        await engine.handle(line: Array(line.utf8), context: (), into: &out)
        if out.isEmpty { return nil }
        #expect(out.last == 0x0A)
        #expect(out.dropLast().contains(0x0A) == false)
        return try? JSONParser.parse(out)
    }

    @Test func answersARequestWithItsId() async {
        let answer = await run(#"{"jsonrpc":"2.0","id":"abc","method":"echo","params":{"x":1}}"#)
        #expect(answer == ["jsonrpc": "2.0", "id": "abc", "result": ["x": 1]])
    }

    @Test func notificationsGetNoAnswerEvenOnError() async {
        #expect(await run(#"{"jsonrpc":"2.0","method":"echo"}"#) == nil)
        #expect(await run(#"{"jsonrpc":"2.0","method":"nope"}"#) == nil)
        #expect(await run(#"{"jsonrpc":"2.0","method":"fail"}"#) == nil)
    }

    @Test func blankLinesAreIgnored() async {
        #expect(await run("") == nil)
        #expect(await run("  \r") == nil)
    }

    @Test func parseErrorHasNullId() async {
        let answer = await run(#"{"jsonrpc":"2.0","id":1,"method":"echo""#)
        #expect(answer?["id"] == .null)
        #expect(answer?["error"]?["code"] == -32700)
    }

    @Test(arguments: [
        (#"{"jsonrpc":"1.0","id":1,"method":"echo"}"#, JSONValue.int(1)),
        (#"{"id":2,"method":"echo"}"#, .int(2)),
        (#"{"jsonrpc":"2.0","id":3}"#, .int(3)),
        (#"{"jsonrpc":"2.0","id":4,"method":5}"#, .int(4)),
        (#"{"jsonrpc":"2.0","id":{"a":1},"method":"echo"}"#, .null),
        (#"{"jsonrpc":"2.0","id":[1],"method":"echo"}"#, .null),
        (#"{"jsonrpc":"2.0","id":5,"method":"echo","params":"x"}"#, .int(5)),
        (#"{"jsonrpc":"2.0","id":6,"method":"echo","extra":1}"#, .int(6)),
        ("42", .null),
    ])
    func invalidRequests(line: String, id: JSONValue) async {
        let answer = await run(line)
        #expect(answer?["error"]?["code"] == -32600)
        #expect(answer?["id"] == id)
    }

    @Test func positionalParamsAreInvalidParams() async {
        let answer = await run(#"{"jsonrpc":"2.0","id":1,"method":"echo","params":[1,2]}"#)
        #expect(answer?["error"]?["code"] == -32602)
    }

    @Test func missingFieldIsNamed() async {
        let answer = await run(#"{"jsonrpc":"2.0","id":1,"method":"needsName","params":{}}"#)
        #expect(answer?["error"]?["code"] == -32602)
        #expect(answer?["error"]?["data"]?["field"] == "name")
    }

    @Test func unexpectedErrorsDoNotLeak() async {
        let answer = await run(#"{"jsonrpc":"2.0","id":1,"method":"fail"}"#)
        #expect(answer?["error"] == ["code": -32603, "message": "Internal error"])
    }

    @Test func batchRules() async {
        #expect(await run("[]")?["error"]?["code"] == -32600)
        #expect(await run(#"[{"jsonrpc":"2.0","method":"echo"},{"jsonrpc":"2.0","method":"echo"}]"#) == nil)
        let mixed = await run(#"[{"jsonrpc":"2.0","id":1,"method":"echo"},{"jsonrpc":"2.0","method":"echo"},1]"#)
        let items = mixed?.arrayValue ?? []
        #expect(items.count == 2)
        #expect(items.first?["id"] == 1)
        #expect(items.last?["error"]?["code"] == -32600)
        let tooBig = await run(#"[1,2,3,4]"#)
        #expect(tooBig?["error"]?["code"] == -32600)
        #expect(tooBig?["error"]?["data"]?["maxBatch"] == 3)
    }

    @Test func nestingLimit() async {
        let deep = #"{"jsonrpc":"2.0","id":1,"method":"echo","params":{"a":"# + String(repeating: "[", count: 10) + String(repeating: "]", count: 10) + "}}"
        let answer = await run(deep)
        #expect(answer?["error"]?["code"] == -32600)
        #expect(answer?["id"] == .null)
    }
}

/// `handleInline` answers exactly as `handle` does, or leaves the message alone.
@Suite struct RPCEngineInlineTests {
    struct Boom: Error {}

    static func call(_ method: String, _ params: Params) throws -> JSONValue {
        switch method {
        case "echo": return .object(params.object)
        case "fail": throw Boom()
        case "needsName": return .string(try params.string("name"))
        default: throw RPCError.methodNotFound(method)
        }
    }

    let engine = RPCEngine<Void>(
        limits: .init(maxDepth: 8, maxBatch: 3),
        invoke: { method, params, _ in try RPCEngineInlineTests.call(method, params) },
        mapError: { _, _ in .internalError })

    @Test func inlineAnswersAreTheSameBytes() async throws {
        let lines = [
            #"{"jsonrpc":"2.0","id":"abc","method":"echo","params":{"x":1,"s":"a\"b"}}"#,
            #"{"jsonrpc":"2.0","id":1,"method":"fail"}"#,
            #"{"jsonrpc":"2.0","id":2,"method":"needsName","params":{}}"#,
            #"{"jsonrpc":"2.0","id":3,"method":"nope"}"#,
            #"{"jsonrpc":"2.0","id":4,"method":"echo","params":[1]}"#,
            #"{"jsonrpc":"2.0","method":"echo","params":[1]}"#,
            #"{"jsonrpc":"2.0","method":"fail"}"#,
            #"{"jsonrpc":"1.0","id":5,"method":"echo"}"#,
            #"{"jsonrpc":"2.0","id":{},"method":"echo"}"#,
            #"{"jsonrpc":"2.0","id":6,"method":"echo","extra":1}"#,
            #"{"jsonrpc":"2.0","id":7}"#,
        ]
        for line in lines {
            var viaAsync: [UInt8] = []
            await engine.handle(line: Array(line.utf8), context: (), into: &viaAsync)
            guard case .message(let message) = Array(line.utf8).withUnsafeBytes({ engine.parse($0) }) else {
                Issue.record("not parsed: \(line)")
                continue
            }
            var viaInline: [UInt8] = []
            let answered = engine.handleInline(
                message: message, context: (), invokeInline: { method, params, _, _ in Result { .value(try Self.call(method, params)) } }, into: &viaInline)
            #expect(answered, "\(line)")
            #expect(viaInline == viaAsync, "\(line)")
        }
    }

    @Test func resultsWrittenByTheMethodAreTheSameBytes() async throws {
        // A method may write its result straight into the response (caller-ID answers do).
        let writeEcho: RPCEngine<Void>.InvokeInline = { method, params, _, out in
            guard method == "echo" else { return Result { .value(try Self.call(method, params)) } }
            JSONWriter.write(.object(params.object), into: &out)
            return .success(.written)
        }
        let lines = [
            #"{"jsonrpc":"2.0","id":41,"method":"echo","params":{"n":"+4930123"}}"#,
            #"{"jsonrpc":"2.0","id":"x","method":"echo","params":{"s":"a\nb"}}"#,
            #"{"jsonrpc":"2.0","method":"echo","params":{"n":1}}"#,
            #"{"jsonrpc":"2.0","id":-7,"method":"fail"}"#,
        ]
        for line in lines {
            var viaAsync: [UInt8] = Array("before\n".utf8)
            await engine.handle(line: Array(line.utf8), context: (), into: &viaAsync)
            let message = try JSONParser.parse(Array(line.utf8))
            var viaInline: [UInt8] = Array("before\n".utf8)
            #expect(engine.handleInline(message: message, context: (), invokeInline: writeEcho, into: &viaInline), "\(line)")
            #expect(String(decoding: viaInline, as: UTF8.self) == String(decoding: viaAsync, as: UTF8.self), "\(line)")
        }
    }

    @Test func aMethodThatSaysItWroteButDidNotGetsAnInternalErrorNotABrokenLine() throws {
        let message = try JSONParser.parse(Array(#"{"jsonrpc":"2.0","id":3,"method":"echo"}"#.utf8))
        var out: [UInt8] = []
        #expect(engine.handleInline(message: message, context: (), invokeInline: { _, _, _, _ in .success(.written) }, into: &out))
        let answer = try JSONParser.parse(Array(out.dropLast()))
        #expect(answer["id"] == 3)
        #expect(answer["error"]?["code"] == -32603)
        #expect(out.last == 0x0A)
    }

    @Test func declinedOrBatchedMessagesAreLeftUntouched() {
        var out: [UInt8] = Array("before".utf8)
        let message = try! JSONParser.parse(Array(#"{"jsonrpc":"2.0","id":1,"method":"echo"}"#.utf8))
        #expect(!engine.handleInline(message: message, context: (), invokeInline: { _, _, _, _ in nil }, into: &out))
        let batch = try! JSONParser.parse(Array(#"[{"jsonrpc":"2.0","id":1,"method":"echo"}]"#.utf8))
        #expect(!engine.handleInline(message: batch, context: (), invokeInline: { _, _, _, _ in .success(.value(.null)) }, into: &out))
        #expect(out == Array("before".utf8))
    }
}

/// Strings written from borrowed bytes are the same as from the `String` made of them.
@Suite struct JSONTextFromBytesTests {
    func viaBytes(_ bytes: [UInt8]) -> [UInt8] {
        var sink = ByteSink()
        bytes.withUnsafeBytes { sink.writeString(utf8: $0) }
        return sink.bytes()
    }

    func viaString(_ bytes: [UInt8]) -> [UInt8] {
        var sink = ByteSink()
        sink.writeString(String(decoding: bytes, as: UTF8.self))
        return sink.bytes()
    }

    @Test func validAndInvalidUTF8() {
        var cases: [[UInt8]] = [
            [], Array("plain ascii, longer than eight bytes".utf8), Array("Müller \"quoted\" \\ back\nline\ttab \u{1} €𝄞".utf8),
            [0xC3], [0xC3, 0x28], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC0, 0xAF], [0xFF, 0x41],
            Array("abcdefgh".utf8) + [0x80] + Array("ijk".utf8),
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            cases.append((0..<Int.random(in: 0..<24, using: &generator)).map { _ in
                [UInt8(0x41), 0x22, 0x0A, 0xC3, 0xA4, 0xE2, 0x82, 0xAC, 0xF0, 0x9D, 0x84, 0x9E, 0x80, 0xFF].randomElement(using: &generator)!
            })
        }
        for bytes in cases {
            #expect(viaBytes(bytes) == viaString(bytes), "\(bytes)")
        }
    }

    /// The 8-bytes-at-a-time check for text copied without escaping: every byte value in
    /// every lane of a word and in the tail, against the byte-by-byte rule.
    @Test func plainASCIIIsRecognisedInEveryPosition() {
        func plain(_ bytes: [UInt8]) -> Bool { bytes.allSatisfy { (0x20...0x7E).contains($0) && $0 != 0x22 && $0 != 0x5C } }
        let filler = Array("abcdefghijklmnopq".utf8)  // two words and a tail
        for value in UInt8.min...UInt8.max {
            for position in filler.indices {
                var bytes = filler
                bytes[position] = value
                let isPlain = bytes.withUnsafeBytes { ByteSink.isPlainASCII($0) }
                #expect(isPlain == plain(bytes), "byte \(value) at \(position)")
                if value % 7 == 0 { #expect(viaBytes(bytes) == viaString(bytes), "byte \(value) at \(position)") }
            }
        }
        #expect([UInt8]().withUnsafeBytes { ByteSink.isPlainASCII($0) })
    }
}
