import Foundation
import JSONRPC
import SwitchboardTestSupport
import Testing

/// The framing and JSON-RPC 2.0 rules of PROTOCOL.md, over a real TCP connection.
@Suite struct ConformanceTests {
    @Test func answersInOrderWhilePipelining() async throws {
        try await withTestServer { server in
            let raw = try await server.raw()
            let count = 2_000
            var text = ""
            for i in 0..<count {
                text += i % 3 == 0
                    ? #"{"jsonrpc":"2.0","id":\#(i),"method":"system.version"}"#
                    : #"{"jsonrpc":"2.0","id":\#(i),"method":"system.ping"}"#
                text += "\n"
            }
            raw.sendUnterminated(Array(text.utf8))
            for i in 0..<count {
                let answer = await raw.next()
                #expect(answer?["id"] == .int(Int64(i)))
                if answer?["id"] != .int(Int64(i)) { break }
            }
        }
    }

    @Test func blankLinesAndCRLF() async throws {
        try await withTestServer { server in
            let raw = try await server.raw()
            raw.sendUnterminated(Array("\n\r\n   \n{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"system.ping\"}\r\n".utf8))
            #expect(await raw.next() == ["jsonrpc": "2.0", "id": 1, "result": "pong"])
        }
    }

    @Test func oversizedLineIsAnsweredAndSkipped() async throws {
        try await withTestServer(configure: { $0.limits.maxLineBytes = 4_096 }) { server in
            let raw = try await server.raw()
            // Sent in pieces so the server sees the line grow past the limit before its end.
            raw.sendUnterminated(Array(#"{"jsonrpc":"2.0","id":1,"method":"system.ping","params":{"pad":""#.utf8))
            for _ in 0..<10 { raw.sendUnterminated([UInt8](repeating: UInt8(ascii: "x"), count: 1_000)) }
            raw.sendUnterminated(Array("\"}}\n".utf8))
            let error = await raw.next()
            #expect(error?["id"] == .null)
            #expect(error?["error"]?["code"] == -32600)
            #expect(error?["error"]?["data"]?["maxLineBytes"] == 4_096)
            // The connection stays usable.
            #expect(await raw.roundTrip(#"{"jsonrpc":"2.0","id":2,"method":"system.ping"}"#)?["result"] == "pong")
        }
    }

    @Test func lineJustUnderTheLimitIsAccepted() async throws {
        try await withTestServer(configure: { $0.limits.maxLineBytes = 4_096 }) { server in
            let raw = try await server.raw()
            let prefix = #"{"jsonrpc":"2.0","id":1,"method":"nope","params":{"pad":""#
            let suffix = #""}}"#
            let pad = String(repeating: "y", count: 4_096 - prefix.utf8.count - suffix.utf8.count)
            #expect(await raw.roundTrip(prefix + pad + suffix)?["error"]?["code"] == -32601)
        }
    }

    @Test func invalidUTF8IsAParseError() async throws {
        try await withTestServer { server in
            let raw = try await server.raw()
            raw.send(bytes: Array(#"{"jsonrpc":"2.0","id":1,"method":"system.ping","params":{"x":""#.utf8) + [0xC3, 0x28] + Array(#""}}"#.utf8))
            let answer = await raw.next()
            #expect(answer?["error"]?["code"] == -32700)
            #expect(answer?["id"] == .null)
            #expect(await raw.roundTrip(#"{"jsonrpc":"2.0","id":2,"method":"system.ping"}"#)?["result"] == "pong")
        }
    }

    @Test func deepNestingIsRejected() async throws {
        try await withTestServer { server in
            let raw = try await server.raw()
            let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
            let answer = await raw.roundTrip(deep)
            #expect(answer?["error"]?["code"] == -32600)
            #expect(answer?["id"] == .null)
        }
    }

    @Test func standardErrors() async throws {
        try await withTestServer { server in
            let raw = try await server.raw()
            #expect(await raw.roundTrip("{nope")?["error"]?["code"] == -32700)
            #expect(await raw.roundTrip(#"{"jsonrpc":"2.0","id":1}"#)?["error"]?["code"] == -32600)
            #expect(await raw.roundTrip(#"{"jsonrpc":"2.0","id":2,"method":"no.such"}"#)?["error"]?["code"] == -32601)
            let positional = await raw.roundTrip(#"{"jsonrpc":"2.0","id":3,"method":"system.ping","params":[]}"#)
            #expect(positional?["error"]?["code"] == -32602)
            let unknownField = await raw.roundTrip(#"{"jsonrpc":"2.0","id":4,"method":"auth.login","params":{"tokne":"x"}}"#)
            #expect(unknownField?["error"]?["code"] == -32602)
            #expect(unknownField?["error"]?["data"]?["field"] == "tokne")
            let missing = await raw.roundTrip(#"{"jsonrpc":"2.0","id":5,"method":"auth.login","params":{}}"#)
            #expect(missing?["error"]?["data"]?["field"] == "token")
            let wrongType = await raw.roundTrip(#"{"jsonrpc":"2.0","id":6,"method":"auth.login","params":{"token":5}}"#)
            #expect(wrongType?["error"]?["code"] == -32602)
            #expect(wrongType?["error"]?["data"]?["field"] == "token")
        }
    }

    @Test func batches() async throws {
        try await withTestServer { server in
            let raw = try await server.raw()
            let empty = await raw.roundTrip("[]")
            #expect(empty?["error"]?["code"] == -32600)
            #expect(empty?["id"] == .null)

            let mixed = await raw.roundTrip(
                #"[{"jsonrpc":"2.0","id":1,"method":"system.ping"},{"jsonrpc":"2.0","method":"system.ping"},{"foo":"boo"},{"jsonrpc":"2.0","id":"x","method":"no.such"},1]"#)
            let items = mixed?.arrayValue ?? []
            #expect(items.count == 4)
            #expect(items.map { $0["id"] } == [1, .null, "x", .null])
            #expect(items.map { $0["error"]?["code"] } == [nil, -32600, -32601, -32600])

            // All notifications: nothing at all; the next answer is the ping's.
            raw.send(#"[{"jsonrpc":"2.0","method":"system.ping"},{"jsonrpc":"2.0","method":"system.ping"}]"#)
            #expect(await raw.roundTrip(#"{"jsonrpc":"2.0","id":9,"method":"system.ping"}"#)?["id"] == 9)
        }
    }

    @Test func batchOverTheLimitGetsOneError() async throws {
        try await withTestServer(configure: { $0.limits.maxBatch = 5 }) { server in
            let raw = try await server.raw()
            let batch = "[" + (1...6).map { #"{"jsonrpc":"2.0","id":\#($0),"method":"system.ping"}"# }.joined(separator: ",") + "]"
            let answer = await raw.roundTrip(batch)
            #expect(answer?["error"]?["code"] == -32600)
            #expect(answer?["error"]?["data"]?["maxBatch"] == 5)
        }
    }

    @Test func notificationsGetNoAnswer() async throws {
        try await withTestServer { server in
            let raw = try await server.raw()
            raw.send(#"{"jsonrpc":"2.0","method":"system.ping"}"#)
            raw.send(#"{"jsonrpc":"2.0","method":"no.such"}"#)
            #expect(await raw.roundTrip(#"{"jsonrpc":"2.0","id":"after","method":"system.ping"}"#)?["id"] == "after")
        }
    }

    @Test func halfLineAtEndOfInputIsAnsweredAfterHalfClose() async throws {
        try await withTestServer { server in
            let raw = try await server.raw()
            raw.sendUnterminated(Array(#"{"jsonrpc":"2.0","id":1,"method":"system.ping"}"#.utf8))
            raw.finishSending()
            #expect(await raw.next()?["result"] == "pong")
            #expect(await raw.waitForClose())
        }
    }

    @Test func truncatedLineAtDisconnectDoesNotHurtTheServer() async throws {
        try await withTestServer { server in
            let raw = try await server.raw()
            raw.sendUnterminated(Array(#"{"jsonrpc":"2.0","id":1,"meth"#.utf8))
            raw.close()
            let other = try await server.raw()
            #expect(await other.roundTrip(#"{"jsonrpc":"2.0","id":1,"method":"system.ping"}"#)?["result"] == "pong")
        }
    }

    @Test func aMisbehavingClientDoesNotAffectOthers() async throws {
        try await withTestServer(configure: { $0.limits.maxLineBytes = 64 * 1_024 }) { server in
            let bad = try await server.raw()
            let good = try await server.client()
            // Garbage, oversized lines, invalid UTF-8 and deep nesting, while another client works.
            async let abuse: Void = {
                for i in 0..<50 {
                    bad.send(bytes: [UInt8](repeating: UInt8(truncatingIfNeeded: i * 7 + 0x80), count: 100_000))
                    bad.send(String(repeating: "[", count: 5_000))
                    bad.send("}{")
                }
            }()
            for i in 0..<200 {
                let result = try await good.call("system.ping")
                #expect(result == "pong", "ping \(i)")
            }
            await abuse
            var errors = 0
            while let line = await bad.next(timeout: .seconds(2)), errors < 150 {
                #expect(line["error"] != nil)
                errors += 1
            }
            #expect(errors == 150)
        }
    }

    @Test func connectionWithoutLoginIsClosedAfterIdleLimit() async throws {
        try await withTestServer(configure: { $0.limits.idleBeforeLoginSeconds = 1 }) { server in
            let idle = try await server.raw()
            let loggedIn = try await server.client()
            let notice = await idle.next(timeout: .seconds(5))
            #expect(notice?["error"]?["code"] == -32001)
            #expect(await idle.waitForClose(timeout: .seconds(5)))
            try await Task.sleep(for: .milliseconds(1_200))
            #expect(try await loggedIn.call("system.ping") == "pong")
        }
    }

    @Test func connectionsOverTheLimitAreRefusedWithAnError() async throws {
        try await withTestServer(configure: { $0.limits.maxConnections = 2 }) { server in
            let first = try await server.client()
            let second = try await server.client()
            let third = try await server.raw()
            let refusal = await third.next()
            #expect(refusal?["error"]?["code"] == -32029)
            #expect(await third.waitForClose())
            #expect(try await first.call("system.ping") == "pong")
            #expect(try await second.call("system.ping") == "pong")
        }
    }

    @Test func clientThatStopsReadingIsDisconnected() async throws {
        try await withTestServer(configure: { $0.limits.slowReaderSeconds = 1 }) { server in
            // A plain socket with a tiny receive buffer that never reads.
            let fd = try LoopbackSocket.connect(port: server.port, receiveBuffer: 4_096)
            defer { close(fd) }
            let request = Array(#"{"jsonrpc":"2.0","id":1,"method":"rpc.discover"}"#.utf8) + [0x0A]
            var sent = 0
            let deadline = ContinuousClock.now + .seconds(20)
            // Keep asking for the (large) discovery document without reading any answer.
            while ContinuousClock.now < deadline {
                let n = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
                if n < 0 {
                    if errno == EAGAIN || errno == EWOULDBLOCK { try await Task.sleep(for: .milliseconds(50)); continue }
                    break  // the server closed the connection
                }
                sent += 1
            }
            #expect(ContinuousClock.now < deadline, "server kept a non-reading client for 20 s")
            let other = try await server.client()
            #expect(try await other.call("system.ping") == "pong")
            #expect(sent > 0)
        }
    }
}
