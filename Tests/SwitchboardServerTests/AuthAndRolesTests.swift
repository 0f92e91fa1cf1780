import JSONRPC
import SwitchboardTestSupport
import Testing

/// Each role tried against each method family.
@Suite struct AuthAndRolesTests {
    /// Methods and the roles that may call them, written out by hand from
    /// PROTOCOL.md (not derived from the server's table, so the two are checked against each other).
    static let expected: [(method: String, params: JSONObject, allowed: Set<String>)] = [
        ("auth.whoami", [:], ["operator", "admin", "pbx", "user"]),
        ("accounts.create", ["name": "X", "region": "DE"], ["operator"]),
        ("accounts.list", [:], ["operator"]),
        ("accounts.get", [:], ["operator", "admin", "pbx", "user"]),
        ("users.create", ["name": "Bo", "email": "bo@x.example"], ["operator", "admin"]),
        ("users.list", [:], ["operator", "admin", "pbx", "user"]),
        ("users.get", ["id": "usr_missing"], ["operator", "admin", "pbx", "user"]),
        ("users.update", ["id": "usr_missing", "name": "Y"], ["operator", "admin"]),
        ("users.delete", ["id": "usr_missing"], ["operator", "admin"]),
        ("apiKeys.create", ["role": "pbx", "label": "p"], ["operator", "admin"]),
        ("apiKeys.list", [:], ["operator", "admin"]),
        ("apiKeys.revoke", ["id": "key_missing"], ["operator", "admin"]),
        ("events.subscribe", ["topics": ["users.changed"]], ["operator", "admin", "pbx", "user"]),
        ("events.unsubscribe", ["topics": ["users.changed"]], ["operator", "admin", "pbx", "user"]),
    ]

    @Test func everyRoleAgainstEveryMethod() async throws {
        try await withTestServer { server in
            let fixture = try await AccountFixture.make(on: server)
            for role in ["operator", "admin", "pbx", "user"] {
                let client = try await fixture.client(role, on: server)
                for (method, params, allowed) in Self.expected {
                    let code = await errorCode { try await client.call(method, params) }
                    if allowed.contains(role) {
                        #expect(code != -32003 && code != -32001, "\(role) should be allowed \(method), got \(String(describing: code))")
                    } else {
                        #expect(code == -32003, "\(role) should be refused \(method), got \(String(describing: code))")
                    }
                }
            }
        }
    }

    @Test func everyProtectedMethodNeedsLogin() async throws {
        try await withTestServer { server in
            let client = try await server.connect()
            for (method, params, _) in Self.expected {
                #expect(await errorCode { try await client.call(method, params) } == -32001, "\(method)")
            }
            for method in ["system.ping", "system.version", "rpc.discover"] {
                #expect(await errorCode { try await client.call(method) } == nil, "\(method)")
            }
        }
    }

    @Test func wrongOrMalformedTokensAreRefused() async throws {
        try await withTestServer { server in
            let client = try await server.connect()
            let token = try server.operatorToken
            let tampered = String(token.dropLast()) + (token.last == "A" ? "B" : "A")
            for bad in ["", "nonsense", tampered, "key_nope.abc", String(token.prefix(while: { $0 != "." }))] {
                #expect(await errorCode { try await client.login(token: bad) } == -32001, "token \(bad)")
            }
            #expect(await errorCode { try await client.call("auth.whoami") } == -32001)
        }
    }

    @Test func apiKeySecretsAreShownOnceAndStoredHashed() async throws {
        try await withTestServer { server in
            let op = try await server.client()
            let created = try await op.call("apiKeys.create", ["role": "pbx", "label": "PBX 1"])
            let token = try requireString(created["token"])
            let secret = String(token[token.index(after: token.lastIndex(of: ".")!)...])
            #expect(secret.count >= 43)  // 256 bits in base64url
            let listed = try await op.call("apiKeys.list")
            let text = JSONWriter.string(listed)
            #expect(!text.contains(secret))
            #expect(!text.contains("token"))
            // Not in the database file either.
            let database = try Data(contentsOf: URL(fileURLWithPath: server.app.configuration.databasePath + "-wal"))
                + (try Data(contentsOf: URL(fileURLWithPath: server.app.configuration.databasePath)))
            #expect(database.range(of: Data(secret.utf8)) == nil)
            // And it works.
            let pbx = try await server.client(token: token)
            #expect(try await pbx.call("auth.whoami")["role"] == "pbx")
        }
    }

    @Test func revokedKeyStopsWorkingEvenForOpenSessions() async throws {
        try await withTestServer { server in
            let op = try await server.client()
            let created = try await op.call("apiKeys.create", ["role": "admin", "label": "temp"])
            let admin = try await server.client(token: try requireString(created["token"]))
            #expect(try await admin.call("users.list")["items"] != nil)
            _ = try await admin.call("events.subscribe", ["topics": ["users.changed"]])
            let revoked = try await op.call("apiKeys.revoke", ["id": created["id"]!])
            #expect(revoked["revoked"] == true)
            #expect(await errorCode { try await admin.call("users.list") } == -32001)
            // Nor does it receive events any more: the next one it sees would be this user's.
            _ = try await op.call("users.create", ["name": "After", "email": "after@x.example"])
            let watcher = try await server.client()
            _ = try await watcher.call("events.subscribe", ["topics": ["users.changed"]])
            _ = try await op.call("users.create", ["name": "Marker", "email": "marker@x.example"])
            var watcherEvents = watcher.notifications.makeAsyncIterator()
            #expect(await watcherEvents.next()?.params["user"]?["name"] == "Marker")
            admin.close()
            var adminEvents = admin.notifications.makeAsyncIterator()
            #expect(await adminEvents.next() == nil)
            let fresh = try await server.connect()
            #expect(await errorCode { try await fresh.login(token: try requireString(created["token"])) } == -32001)
        }
    }

    @Test func deletingAUserRevokesItsKeys() async throws {
        try await withTestServer { server in
            let fixture = try await AccountFixture.make(on: server)
            let admin = try await fixture.client("admin", on: server)
            let user = try await fixture.client("user", on: server)
            #expect(try await user.call("auth.whoami")["userId"] == .string(fixture.userId))
            let deleted = try await admin.call("users.delete", ["id": .string(fixture.userId)])
            #expect(deleted["revokedKeys"]?.arrayValue?.count == 1)
            #expect(await errorCode { try await user.call("auth.whoami") } == -32001)
        }
    }

    @Test func onlyOperatorsMintOperatorKeys() async throws {
        try await withTestServer { server in
            let fixture = try await AccountFixture.make(on: server)
            let admin = try await fixture.client("admin", on: server)
            #expect(await errorCode { try await admin.call("apiKeys.create", ["role": "operator", "label": "x"]) } == -32003)
            #expect(await errorCode { try await admin.call("apiKeys.create", ["role": "user", "label": "x"]) } == -32022)
            #expect(await errorCode { try await admin.call("apiKeys.create", ["role": "root", "label": "x"]) } == -32602)
            let op = try await server.client()
            let created = try await op.call("apiKeys.create", ["role": "operator", "label": "second operator"])
            #expect(created["accountId"] == .null)
        }
    }

    @Test func operatorPicksTheAccountOthersCannot() async throws {
        try await withTestServer { server in
            let a = try await AccountFixture.make(on: server, name: "Alpha")
            let b = try await AccountFixture.make(on: server, name: "Beta")
            let op = try await server.client(account: b.accountId)
            #expect(try await op.call("auth.whoami")["accountId"] == .string(b.accountId))
            let adminA = try await server.connect()
            #expect(await errorCode { try await adminA.login(token: a.tokens["admin"]!, account: b.accountId) } == -32003)
            #expect(await errorCode { try await server.client(account: "acc_nope").call("auth.whoami") } == -32004)
        }
    }

    @Test func validationErrorsNameTheField() async throws {
        try await withTestServer { server in
            let op = try await server.client()
            func field(_ method: String, _ params: JSONObject) async -> (Int?, JSONValue?) {
                do {
                    _ = try await op.call(method, params)
                    return (nil, nil)
                } catch let error as RPCError {
                    return (error.code.rawValue, error.data?["field"])
                } catch { return (-1, nil) }
            }
            #expect(await field("users.create", ["name": "A", "email": "not-an-email"]) == (-32022, "email"))
            #expect(await field("users.create", ["name": " ", "email": "a@b.example"]) == (-32022, "name"))
            #expect(await field("users.create", ["name": "A", "email": "a@b.example", "extension": "12a"]) == (-32022, "extension"))
            #expect(await field("users.create", ["name": "A", "email": "a@b.example", "numbers": ["+49 30 123", "call me"]]) == (-32022, "numbers[1]"))
            #expect(await field("users.create", ["name": "A", "email": "a@b.example", "region": "XX"]) == (-32022, "region"))
            #expect(await field("accounts.create", ["name": "A", "region": "Germany"]) == (-32022, "region"))
            #expect(await field("accounts.create", ["name": "A", "region": "DE", "timeZone": "Mars/Olympus"]) == (-32022, "timeZone"))
            _ = try await op.call("users.create", ["name": "A", "email": "dup@b.example", "extension": "10"])
            #expect(await field("users.create", ["name": "B", "email": "DUP@b.example"]) == (-32009, "email"))
            #expect(await field("users.create", ["name": "B", "email": "b@b.example", "extension": "10"]) == (-32009, "extension"))
            #expect(await field("users.list", ["limit": 0]) == (-32602, "limit"))
        }
    }
}

import Foundation
