import Testing
@testable import JSONRPC

/// `Request.canonical` reads the one exact shape clients write without a JSON
/// tree. Whatever it reads must be exactly what the full parser and envelope
/// check make of the same line; everything else it must leave to them.
@Suite struct CanonicalRequestTests {
    static func full(_ line: String) -> Request? {
        guard let message = try? JSONParser.parse(Array(line.utf8).withUnsafeBytes { $0 }, maxDepth: 64),
            case .success(let request) = Request.validate(message)
        else { return nil }
        return request
    }

    static func canonical(_ line: String) -> Request? {
        Array(line.utf8).withUnsafeBytes { Request.canonical($0) }
    }

    @Test func readsTheShapeClientsWriteExactlyAsTheParserDoes() throws {
        let lines = [
            #"{"jsonrpc":"2.0","id":1,"method":"phonebook.lookup","params":{"number":"+49301234567"}}"#,
            #"{"jsonrpc":"2.0","id":0,"method":"system.ping","params":{}}"#,
            #"{"jsonrpc":"2.0","id":987654321012345678,"method":"system.ping"}"#,
            #"{"jsonrpc":"2.0","id":42,"method":"phonebook.lookup","params":{"number":"030 123-45 67 ext. 12"}}"#,
            #"{"jsonrpc":"2.0","id":7,"method":"phonebook.search","params":{"q":"mueller (han)"}}"#,
            #"{"jsonrpc":"2.0","id":7,"method":"x","params":{"k":""}}"#,
            #"{"jsonrpc":"2.0","id":3,"method":"phonebook.lookup","params":{"number":"tel:+49-30/1234~567"}}"#,
        ]
        for line in lines {
            let fast = try #require(Self.canonical(line), "\(line)")
            let full = try #require(Self.full(line), "\(line)")
            #expect(fast.id == full.id, "\(line)")
            #expect(fast.method == full.method, "\(line)")
            #expect(fast.params?.object == full.params?.object, "\(line)")
            #expect(fast.jsonValue == full.jsonValue, "\(line)")
        }
    }

    @Test func reusesKnownMethodNamesAndReadsOthersAsWritten() throws {
        let names = ["phonebook.search", "phonebook.lookup", "system.ping"]  // two of the same length
        for method in ["phonebook.lookup", "phonebook.search", "phonebook.lookuq", "system.ping", "other"] {
            let line = #"{"jsonrpc":"2.0","id":5,"method":""# + method + #"","params":{"number":"+4930"}}"#
            let request = try #require(Array(line.utf8).withUnsafeBytes { Request.canonical($0, methods: names) })
            #expect(request.method == method)
            #expect(request.jsonValue == Self.full(line)?.jsonValue)
        }
    }

    @Test func leavesEveryOtherLineToTheParser() {
        let lines = [
            #"{"jsonrpc": "2.0","id":1,"method":"system.ping"}"#,  // spacing
            #"{"id":1,"jsonrpc":"2.0","method":"system.ping"}"#,  // order
            #"{"jsonrpc":"2.0","id":"a","method":"system.ping"}"#,  // string id
            #"{"jsonrpc":"2.0","id":null,"method":"system.ping"}"#,
            #"{"jsonrpc":"2.0","method":"system.ping"}"#,  // notification
            #"{"jsonrpc":"2.0","id":01,"method":"system.ping"}"#,  // leading zero: not JSON
            #"{"jsonrpc":"2.0","id":-1,"method":"system.ping"}"#,
            #"{"jsonrpc":"2.0","id":1.5,"method":"system.ping"}"#,
            #"{"jsonrpc":"2.0","id":9999999999999999999,"method":"system.ping"}"#,  // 19 digits
            #"{"jsonrpc":"2.0","id":1234567890123456789,"method":"system.ping"}"#,
            #"{"jsonrpc":"2.0","id":1,"method":""}"#,  // empty method: the envelope check answers it
            #"{"jsonrpc":"2.0","id":1,"method":"system.ping","params":[]}"#,
            #"{"jsonrpc":"2.0","id":1,"method":"a","params":{"k":"v","l":"w"}}"#,  // two members
            #"{"jsonrpc":"2.0","id":1,"method":"a","params":{"k":1}}"#,  // not a string
            #"{"jsonrpc":"2.0","id":1,"method":"a","params":{"k":"\u0041"}}"#,  // escape
            #"{"jsonrpc":"2.0","id":1,"method":"a","params":{"k":"Müller"}}"#,  // non-ASCII
            #"{"jsonrpc":"2.0","id":1,"method":"a","params":{"k":"v"}} "#,  // trailing byte
            #"{"jsonrpc":"2.0","id":1,"method":"a","params":{"k":"v"}}}"#,
            #"{"jsonrpc":"2.0","id":1,"method":"a","params":{"k":"v"},"x":1}"#,
            #"{"jsonrpc":"2.0","id":1,"method":"a","params":{"k":"v""#,  // cut short
            #"{"jsonrpc":"2.0","id":1,"method":"a"#,
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\",\"params\":{\"k\":\"tab\there\"}}",  // control byte
            "",
        ]
        for line in lines {
            #expect(Self.canonical(line) == nil, "\(line)")
        }
    }
}
