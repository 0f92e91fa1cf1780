import JSONRPC
import SwitchboardTestSupport
import Testing

/// A key of account A sees nothing of account B.
@Suite struct IsolationTests {
    @Test func accountsSeeOnlyTheirOwnData() async throws {
        try await withTestServer { server in
            let a = try await AccountFixture.make(on: server, name: "Alpha")
            let b = try await AccountFixture.make(on: server, name: "Beta")
            let adminA = try await a.client("admin", on: server)
            let adminB = try await b.client("admin", on: server)
            let secretUser = try await adminA.call("users.create", ["name": "Secret", "email": "secret@alpha.example", "extension": "77"])
            let secretId = secretUser["id"]!

            for role in ["admin", "pbx", "user"] {
                let client = try await b.client(role, on: server)
                let users = try await client.call("users.list")
                let ids = users["items"]?.arrayValue?.compactMap { $0["id"] } ?? []
                #expect(!ids.contains(secretId), "\(role) of B listed A's user")
                #expect(ids.contains(.string(b.userId)))
                #expect(await errorCode { try await client.call("users.get", ["id": secretId]) } == -32004)
                #expect(await errorCode { try await client.call("accounts.get", ["id": .string(a.accountId)]) } == -32004)
                #expect(try await client.call("accounts.get")["id"] == .string(b.accountId))
            }
            #expect(await errorCode { try await adminB.call("users.update", ["id": secretId, "name": "Pwned"]) } == -32004)
            #expect(await errorCode { try await adminB.call("users.delete", ["id": secretId]) } == -32004)
            // Same e-mail and extension are fine in another account.
            _ = try await adminB.call("users.create", ["name": "Other", "email": "secret@alpha.example", "extension": "77"])

            let keysA = try await adminA.call("apiKeys.list")
            let keyIdA = keysA["items"]?.arrayValue?.first?["id"]
            #expect(keyIdA != nil)
            #expect(await errorCode { try await adminB.call("apiKeys.revoke", ["id": keyIdA!]) } == -32004)
            let keysB = try await adminB.call("apiKeys.list")
            #expect(!(keysB["items"]?.arrayValue ?? []).contains { $0["id"] == keyIdA })

            // A is untouched.
            #expect(try await adminA.call("users.get", ["id": secretId])["name"] == "Secret")
        }
    }

    @Test func eventsReachOnlyTheirAccount() async throws {
        try await withTestServer { server in
            let a = try await AccountFixture.make(on: server, name: "Alpha")
            let b = try await AccountFixture.make(on: server, name: "Beta")
            let listenerA = try await a.client("user", on: server)
            let listenerB = try await b.client("user", on: server)
            _ = try await listenerA.call("events.subscribe", ["topics": ["users.changed"]])
            _ = try await listenerB.call("events.subscribe", ["topics": ["users.changed"]])
            let adminA = try await a.client("admin", on: server)
            _ = try await adminA.call("users.create", ["name": "Neu", "email": "neu@alpha.example"])

            var eventsA = listenerA.notifications.makeAsyncIterator()
            let event = await eventsA.next()
            #expect(event?.method == "users.changed")
            #expect(event?.params["action"] == "created")
            #expect(event?.params["user"]?["email"] == "neu@alpha.example")

            // B got nothing: its next notification would be from B's own change.
            let adminB = try await b.client("admin", on: server)
            _ = try await adminB.call("users.create", ["name": "Own", "email": "own@beta.example"])
            var eventsB = listenerB.notifications.makeAsyncIterator()
            #expect(await eventsB.next()?.params["user"]?["email"] == "own@beta.example")
        }
    }
}
