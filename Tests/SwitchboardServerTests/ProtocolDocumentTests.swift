import Foundation
import JSONRPC
import SwitchboardServer
import SwitchboardTestSupport
import Testing

/// `protocol/openrpc.json` and `protocol/examples/` against the live server.
@Suite struct ProtocolDocumentTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func documentAndRegistryListTheSameMethods() async throws {
        let file = try Data(contentsOf: Self.root.appendingPathComponent("protocol/openrpc.json"))
        let document = try JSONParser.parse(Array(file))
        #expect(document["openrpc"]?.stringValue?.hasPrefix("1.") == true)
        let documented = Set(document["methods"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? [])
        try await withTestServer { server in
            let registered = Set(server.server.methodNames)
            #expect(documented.subtracting(registered).isEmpty, "documented but not served: \(documented.subtracting(registered).sorted())")
            #expect(registered.subtracting(documented).isEmpty, "served but not documented: \(registered.subtracting(documented).sorted())")
            // rpc.discover serves this very document.
            let client = try await server.connect()
            #expect(try await client.call("rpc.discover") == document)
        }
    }

    @Test func everyMethodDocumentsParamsResultAndRoles() throws {
        let file = try Data(contentsOf: Self.root.appendingPathComponent("protocol/openrpc.json"))
        let document = try JSONParser.parse(Array(file))
        for method in document["methods"]?.arrayValue ?? [] {
            let name = method["name"]?.stringValue ?? "?"
            #expect(method["params"]?.arrayValue != nil, "\(name) has no params list")
            #expect(method["result"]?["schema"] != nil, "\(name) has no result schema")
            #expect(method["x-roles"]?.arrayValue?.isEmpty == false, "\(name) has no x-roles")
        }
    }

    @Test func rolesInTheDocumentMatchTheServer() async throws {
        let file = try Data(contentsOf: Self.root.appendingPathComponent("protocol/openrpc.json"))
        let document = try JSONParser.parse(Array(file))
        try await withTestServer { server in
            for method in document["methods"]?.arrayValue ?? [] {
                guard let name = method["name"]?.stringValue, let access = server.server.access(of: name) else { continue }
                let documented = Set(method["x-roles"]?.arrayValue?.compactMap(\.stringValue) ?? [])
                let actual: Set<String> = switch access {
                case .public: ["public"]
                case .roles(let roles): Set(roles.map(\.rawValue))
                }
                #expect(documented == actual, "\(name): document says \(documented.sorted()), server enforces \(actual.sorted())")
            }
        }
    }

    /// Each `NAME.in.ndjson` piped through a fresh server (logged in as operator)
    /// must give `NAME.out.ndjson`; the string "*" in the expected output matches any value.
    @Test func examplesReplay() async throws {
        let folder = Self.root.appendingPathComponent("protocol/examples")
        let inputs = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".in.ndjson") }.sorted()
        #expect(!inputs.isEmpty)
        for input in inputs {
            let name = String(input.dropLast(".in.ndjson".count))
            let requests = try String(contentsOf: folder.appendingPathComponent(input), encoding: .utf8)
            let expected = try String(contentsOf: folder.appendingPathComponent(name + ".out.ndjson"), encoding: .utf8)
                .split(separator: "\n").map { try JSONParser.parse(String($0)) }
            try await withTestServer { server in
                let raw = try await server.raw()
                #expect(await raw.roundTrip(#"{"jsonrpc":"2.0","id":"login","method":"auth.login","params":{"token":"\#(try server.operatorToken)"}}"#)?["result"] != nil)
                raw.sendUnterminated(Array(requests.utf8))
                raw.finishSending()
                var actual: [JSONValue] = []
                while let line = await raw.next(timeout: .seconds(5)) { actual.append(line) }
                #expect(actual.count == expected.count, "\(name): \(actual.count) answers, expected \(expected.count)")
                for (i, (got, want)) in zip(actual, expected).enumerated() {
                    #expect(Self.matches(got, want), "\(name) line \(i + 1):\n got  \(JSONWriter.string(got))\n want \(JSONWriter.string(want))")
                }
            }
        }
    }

    static func matches(_ actual: JSONValue, _ pattern: JSONValue) -> Bool {
        switch (actual, pattern) {
        case (_, .string("*")): return true
        case (.array(let a), .array(let p)): return a.count == p.count && zip(a, p).allSatisfy { matches($0, $1) }
        case (.object(let a), .object(let p)):
            return Set(a.keys) == Set(p.keys) && p.allSatisfy { key, value in a[key].map { matches($0, value) } ?? false }
        default: return actual == pattern
        }
    }
}
