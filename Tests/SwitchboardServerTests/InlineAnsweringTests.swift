import Foundation
import JSONRPC
import SwitchboardCore
import SwitchboardStore
import SwitchboardTestSupport
import Testing

/// Inline methods (`phonebook.lookup`, `system.ping`, ...) are answered on the
/// connection's event loop, everything else in the connection's task. Over a
/// real TCP connection: answers stay in request order across both paths, the
/// same access rule applies, and what a write did is seen by the next lookup.
@Suite struct InlineAnsweringTests {
    static func request(_ id: Int, _ method: String, _ params: JSONObject = [:]) -> String {
        var object: JSONObject = ["jsonrpc": "2.0", "id": .int(Int64(id)), "method": .string(method)]
        if !params.isEmpty { object.append("params", .object(params)) }
        return JSONWriter.string(.object(object))
    }

    /// Sends all lines in one write and returns the answers by id (checking they come in order).
    static func pipeline(_ raw: RawConnection, _ lines: [String], answers: Int) async -> [JSONValue] {
        raw.sendUnterminated(Array((lines.joined(separator: "\n") + "\n").utf8))
        var received: [JSONValue] = []
        for _ in 0..<answers {
            guard let answer = await raw.next() else { break }
            received.append(answer)
        }
        return received
    }

    @Test func loginWriteAndLookupInOneWriteStayInOrder() async throws {
        try await withTestServer { server in
            let raw = try await server.raw()
            let token = try server.operatorToken
            let lines = [
                Self.request(1, "phonebook.lookup", ["number": "+49301234567"]),  // not logged in yet
                Self.request(2, "system.ping"),
                Self.request(3, "auth.login", ["token": .string(token)]),
                Self.request(4, "phonebook.lookup", ["number": "+49301234567"]),  // nothing stored yet
                Self.request(5, "phonebook.create", ["name": "Hans Müller", "numbers": [["number": "030 1234567"]]]),
                Self.request(6, "phonebook.lookup", ["number": "+49301234567"]),
                Self.request(7, "system.ping"),
                Self.request(8, "phonebook.lookup", ["number": "030 1234567"]),
            ]
            let answers = await Self.pipeline(raw, lines, answers: lines.count)
            #expect(answers.map { $0["id"] } == (1...8).map { .int(Int64($0)) })
            guard answers.count == 8 else { return }
            #expect(answers[0]["error"]?["code"] == -32001)
            #expect(answers[1]["result"] == "pong")
            #expect(answers[3]["result"]?["entry"] == .null)
            let created = answers[4]["result"]?["id"]
            #expect(created != nil)
            #expect(answers[5]["result"]?["entry"]?["id"] == created)
            #expect(answers[7]["result"]?["entry"]?["id"] == created)
            #expect(answers[7]["result"]?["normalized"]?["e164"] == "+49301234567")
        }
    }

    @Test func eachLookupSeesTheWriteBeforeIt() async throws {
        try await withTestServer { server in
            let raw = try await server.raw()
            #expect(await raw.roundTrip(Self.request(0, "auth.login", ["token": .string(try server.operatorToken)]))?["result"] != nil)
            // Create, look up, rename, look up, delete, look up: 40 numbers, all in one write.
            var lines: [String] = []
            for i in 0..<40 {
                let number = String(format: "+4930555%04d", i)
                lines.append(Self.request(i * 10 + 1, "phonebook.create", ["name": .string("Entry \(i)"), "numbers": [["number": .string(number)]]]))
                lines.append(Self.request(i * 10 + 2, "phonebook.lookup", ["number": .string(number)]))
            }
            let first = await Self.pipeline(raw, lines, answers: lines.count)
            #expect(first.count == lines.count)
            var ids: [JSONValue] = []
            for i in 0..<40 where first.count == lines.count {
                let created = first[i * 2]
                let lookup = first[i * 2 + 1]
                #expect(created["id"] == .int(Int64(i * 10 + 1)))
                #expect(lookup["id"] == .int(Int64(i * 10 + 2)))
                #expect(lookup["result"]?["entry"]?["id"] == created["result"]?["id"], "lookup \(i)")
                #expect(lookup["result"]?["entry"]?["name"] == .string("Entry \(i)"))
                ids.append(created["result"]?["id"] ?? .null)
            }
            lines = []
            for (i, id) in ids.enumerated() {
                let number = String(format: "+4930555%04d", i)
                lines.append(Self.request(i * 10 + 3, "phonebook.update", ["id": id, "name": .string("Renamed \(i)")]))
                lines.append(Self.request(i * 10 + 4, "phonebook.lookup", ["number": .string(number)]))
                lines.append(Self.request(i * 10 + 5, "phonebook.delete", ["id": id]))
                lines.append(Self.request(i * 10 + 6, "phonebook.lookup", ["number": .string(number)]))
            }
            let second = await Self.pipeline(raw, lines, answers: lines.count)
            #expect(second.count == lines.count)
            for i in 0..<ids.count where second.count == lines.count {
                #expect(second[i * 4 + 1]["id"] == .int(Int64(i * 10 + 4)))
                #expect(second[i * 4 + 1]["result"]?["entry"]?["name"] == .string("Renamed \(i)"), "lookup after update \(i)")
                #expect(second[i * 4 + 2]["result"]?["deleted"] == true)
                #expect(second[i * 4 + 3]["result"]?["entry"] == .null, "lookup after delete \(i)")
            }
        }
    }

    @Test func batchesArrivingWhileTheAsyncPathWorksWaitForIt() async throws {
        try await withTestServer { server in
            let raw = try await server.raw()
            #expect(await raw.roundTrip(Self.request(0, "auth.login", ["token": .string(try server.operatorToken)]))?["result"] != nil)
            for i in 0..<20 {
                let number = String(format: "+4930777%04d", i)
                // The write (a durable commit) is still being worked on when the next batch arrives.
                raw.send(Self.request(i * 10 + 1, "phonebook.create", ["name": .string("Later \(i)"), "numbers": [["number": .string(number)]]]))
                try await Task.sleep(for: .milliseconds(1))
                raw.sendUnterminated(Array((Self.request(i * 10 + 2, "phonebook.lookup", ["number": .string(number)]) + "\n"
                    + Self.request(i * 10 + 3, "system.ping") + "\n").utf8))
                let created = await raw.next()
                let lookup = await raw.next()
                let ping = await raw.next()
                #expect(created?["id"] == .int(Int64(i * 10 + 1)))
                #expect(lookup?["id"] == .int(Int64(i * 10 + 2)))
                #expect(ping?["id"] == .int(Int64(i * 10 + 3)))
                #expect(lookup?["result"]?["entry"]?["id"] == created?["result"]?["id"], "lookup \(i)")
            }
        }
    }

    @Test func inlineAnswersAreTheAsyncAnswersByteForByte() async throws {
        try await withTestServer { server in
            let op = try await server.client()
            let shared = "+49 30 7654321"
            _ = try await op.call("phonebook.create", [
                "name": "Hans \"Hansi\" Müller", "firstName": "Hans", "lastName": "Müller", "company": "Müller & Söhne GmbH",
                "department": "Vertrieb\tNord", "title": "Dr.", "email": "hans@example.de", "note": "line one\nline two \u{1} €𝄞",
                "numbers": [["type": "phone", "number": .string(shared)], ["type": "mobile", "number": "+999 1234 5678"], ["type": "fax", "number": "030/765-43-21 ext. 9"]],
            ])
            _ = try await op.call("phonebook.create", ["name": "Zweiter Eintrag", "numbers": [["number": .string(shared)]]])
            _ = try await op.call("phonebook.create", ["company": "Nur Firma", "numbers": [["type": "home", "number": "0301234"]]])
            let raw = try await server.raw()
            #expect(await raw.roundTrip(Self.request(0, "auth.login", ["token": .string(try server.operatorToken)]))?["result"] != nil)
            for (i, number) in ["+49307654321", "030 7654321", "+999 1234 5678", "12345678", "0301234", "+4930999", "004930 7654321"].enumerated() {
                // A write makes the kept region stale: the first lookup after it takes the async path and
                // keeps the region again; the same lookup once more is answered on the event loop.
                _ = try await op.call("phonebook.create", ["name": .string("Other \(i)")])
                let line = Self.request(100, "phonebook.lookup", ["number": .string(number)])
                raw.send(line)
                let viaAsync = await raw.nextLine()
                raw.send(line)
                let viaInline = await raw.nextLine()
                #expect(viaAsync != nil)
                #expect(viaAsync == viaInline, "\(number)")
            }
        }
    }

    /// A data directory whose stored answers were made by an older rendering (here a
    /// deliberately wrong one): no lookup ever shows them; the server renders them
    /// again in the background, and then answers inline, byte for byte as before.
    @Test func answersStoredByAnOlderRenderingAreNeverShownAndAreRenderedAgain() async throws {
        let first = try await TestServer.start()
        let op = try await first.client()
        let created = try await op.call("phonebook.create", ["name": "Anna Älter", "company": "Alt & Co", "numbers": [["number": "+49 30 5550101"]]])
        let id = try #require(created["id"])
        try await first.stop()
        do {
            let older = EntryAnswerFormat(version: "older", render: { _ in Array(#"{"stale":true}"#.utf8) })
            let store = try SQLiteStore(path: (first.dataDirectory as NSString).appendingPathComponent("switchboard.sqlite"), answerFormat: older)
            #expect(try await store.renderPendingAnswers() == 1)
            try store.close()
        }
        let server = try await TestServer.start(dataDirectory: first.dataDirectory)
        defer { try? FileManager.default.removeItem(atPath: first.dataDirectory) }
        let raw = try await server.raw()
        #expect(await raw.roundTrip(Self.request(0, "auth.login", ["token": .string(try server.operatorToken)]))?["result"] != nil)
        let line = Self.request(1, "phonebook.lookup", ["number": "+49305550101"])
        raw.send(line)
        let early = try #require(await raw.nextLine())
        #expect(!String(decoding: early, as: UTF8.self).contains("stale"))
        await server.app.answersRendered()
        #expect(try await server.app.store.renderPendingAnswers() == 0)
        raw.send(line)
        let first1 = await raw.nextLine()
        raw.send(line)
        let second = await raw.nextLine()
        #expect(first1 == early)
        #expect(second == early)
        let answer = try JSONParser.parse(early)
        #expect(answer["result"]?["entry"]?["id"] == id)
        #expect(answer["result"]?["entry"]?["company"] == "Alt & Co")
        try await server.stop()
    }

    @Test func sameAccessRuleOnBothPaths() async throws {
        try await withTestServer { server in
            let fixture = try await AccountFixture.make(on: server)
            let raw = try await server.raw()
            let lines = [
                Self.request(1, "auth.login", ["token": .string(fixture.tokens["user"]!)]),
                Self.request(2, "phonebook.lookup", ["number": "+49301234567"]),  // every role may look up
                Self.request(3, "phonebook.create", ["name": "Not allowed"]),  // users may not write
                Self.request(4, "phonebook.lookup", ["number": "+49301234567"]),
                Self.request(5, "auth.whoami"),
            ]
            let answers = await Self.pipeline(raw, lines, answers: lines.count)
            #expect(answers.map { $0["id"] } == (1...5).map { .int(Int64($0)) })
            guard answers.count == 5 else { return }
            #expect(answers[1]["result"]?["entry"] == .null)
            #expect(answers[2]["error"]?["code"] == -32003)
            #expect(answers[3]["result"] != nil)
            #expect(answers[4]["result"]?["role"] == "user")

            // A revoked key logs the session out: the next inline request is refused with the reason.
            let admin = try await fixture.client("admin", on: server)
            let keys = try await admin.call("apiKeys.list")
            let userKey = keys["items"]?.arrayValue?.first { $0["role"] == "user" }
            _ = try await admin.call("apiKeys.revoke", ["id": userKey?["id"] ?? .null])
            let refused = await raw.roundTrip(Self.request(6, "phonebook.lookup", ["number": "+49301234567"]))
            #expect(refused?["error"]?["code"] == -32001)
            #expect(refused?["error"]?["message"]?.stringValue?.contains("revoked") == true)
        }
    }

    @Test func lookupFollowsAUsersRegionChange() async throws {
        try await withTestServer { server in
            let op = try await server.client()
            let user = try await op.call("users.create", ["name": "Matti", "email": "matti@x.example", "region": "FI"])
            let key = try await op.call("apiKeys.create", ["role": "user", "userId": user["id"]!, "label": "Matti's phone"])
            let matti = try await server.client(token: try requireString(key["token"]))
            #expect(try await matti.call("phonebook.lookup", ["number": "09 1234567"])["normalized"]?["e164"] == "+35891234567")
            #expect(try await matti.call("phonebook.lookup", ["number": "09 1234567"])["normalized"]?["region"] == "FI")
            _ = try await op.call("users.update", ["id": user["id"]!, "region": "DE"])
            let after = try await matti.call("phonebook.lookup", ["number": "09 1234567"])
            #expect(after["normalized"]?["region"] == "DE")
            #expect(after["normalized"]?["e164"] == "+4991234567")
        }
    }

    @Test func clientThatStopsReadingLookupsIsDisconnected() async throws {
        try await withTestServer(configure: { $0.limits.slowReaderSeconds = 1 }) { server in
            let op = try await server.client()
            for i in 0..<20 {
                _ = try await op.call("phonebook.create", ["name": .string("Same number \(i)"), "numbers": [["number": "+49301234567"]]])
            }
            // A plain socket with a tiny receive buffer that logs in, then never reads.
            let fd = try LoopbackSocket.connect(port: server.port, receiveBuffer: 4_096)
            defer { close(fd) }
            let login = Array((Self.request(0, "auth.login", ["token": .string(try server.operatorToken)]) + "\n").utf8)
            _ = login.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            let request = Array((Self.request(1, "phonebook.lookup", ["number": "+49301234567"]) + "\n").utf8)
            var sent = 0
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline {
                let n = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
                if n < 0 {
                    if errno == EAGAIN || errno == EWOULDBLOCK { try await Task.sleep(for: .milliseconds(50)); continue }
                    break  // the server closed the connection
                }
                sent += 1
            }
            #expect(ContinuousClock.now < deadline, "server kept a non-reading client for 20 s")
            #expect(sent > 0)
            #expect(try await op.call("system.ping") == "pong")
        }
    }

    @Test func shutdownAnswersWholeBatchesInOrder() async throws {
        let server = try await TestServer.start()
        do {
            let raw = try await server.raw()
            #expect(await raw.roundTrip(Self.request(0, "auth.login", ["token": .string(try server.operatorToken)]))?["result"] != nil)
            let count = 20_000
            var text = ""
            for i in 1...count {
                text += i % 2 == 0 ? Self.request(i, "system.ping") : Self.request(i, "phonebook.lookup", ["number": "+49301234567"])
                text += "\n"
            }
            raw.sendUnterminated(Array(text.utf8))
            try await Task.sleep(for: .milliseconds(20))
            async let stopped: Void = server.stop()
            // Whatever was answered came whole and in order, then the connection closed.
            var next = 1
            while let line = await raw.nextLine(timeout: .seconds(10)) {
                let answer = try? JSONParser.parse(line)
                #expect(answer?["id"] == .int(Int64(next)), "answer \(next)")
                if answer?["id"] != .int(Int64(next)) { break }
                next += 1
            }
            #expect(await raw.waitForClose())
            try await stopped
        } catch {
            try? await server.stop()
            throw error
        }
    }
}
