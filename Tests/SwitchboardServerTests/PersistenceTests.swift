import Foundation
import GRDB
import JSONRPC
import SwitchboardTestSupport
import Testing

@Suite struct PersistenceTests {
    @Test func sortKeysFromAnotherCollatorVersionAreRebuiltAtStart() async throws {
        let directory = TestServer.makeTemporaryDirectory()
        let first = try await TestServer.start(dataDirectory: directory)
        let op = try await first.client()
        let names = ["Zander", "Ärzte", "Müller", "Otto", "Bäcker"]
        for name in names { _ = try await op.call("phonebook.create", ["name": .string(name)]) }
        let expected = try await op.call("phonebook.list")["items"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
        #expect(expected == ["Ärzte", "Bäcker", "Müller", "Otto", "Zander"])
        try await first.stop()

        // As after an ICU upgrade: keys that no longer sort right, and another recorded version.
        let database = try DatabaseQueue(path: (directory as NSString).appendingPathComponent("switchboard.sqlite"))
        try await database.write { db in
            try db.execute(sql: "UPDATE phonebookEntry SET sortKey = randomblob(8)")
            try db.execute(sql: "UPDATE account SET collationVersion = '1.0'")
        }
        try database.close()

        let second = try await TestServer.start(dataDirectory: directory)
        let again = try await second.client()
        #expect(try await again.call("phonebook.list")["items"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == expected)
        let version = try await second.app.store.collationVersion(accountId: try requireString(try await again.call("auth.whoami")["accountId"]))
        #expect(version != nil && version != "1.0")
        try await second.stop()
    }

    @Test func firstStartCreatesAccountAndPrivateTokenFile() async throws {
        try await withTestServer { server in
            let path = (server.dataDirectory as NSString).appendingPathComponent("operator.token")
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            let op = try await server.client()
            let accounts = try await op.call("accounts.list")
            #expect(accounts["items"]?.arrayValue?.count == 1)
            #expect(accounts["items"]?.arrayValue?.first?["region"] == "DE")
        }
    }

    @Test func regionOfTheDefaultAccountIsConfigurable() async throws {
        try await withTestServer(configure: { $0.region = "FI" }) { server in
            let op = try await server.client()
            #expect(try await op.call("accounts.get")["region"] == "FI")
        }
    }

    @Test func dataSurvivesARestart() async throws {
        let directory = TestServer.makeTemporaryDirectory()
        let first = try await TestServer.start(dataDirectory: directory)
        let token = try first.operatorToken
        let op = try await first.client()
        let user = try await op.call("users.create", ["name": "Durable", "email": "durable@x.example", "numbers": ["+49 30 1234567"]])
        let key = try await op.call("apiKeys.create", ["role": "pbx", "label": "pbx"])
        let revokedKey = try await op.call("apiKeys.create", ["role": "pbx", "label": "gone"])
        _ = try await op.call("apiKeys.revoke", ["id": revokedKey["id"]!])
        try await first.stop()

        let second = try await TestServer.start(dataDirectory: directory)
        #expect(try second.operatorToken == token)
        let again = try await second.client(token: token)
        #expect(try await again.call("users.get", ["id": user["id"]!]) == user)
        #expect(try await again.call("accounts.list")["items"]?.arrayValue?.count == 1)
        let pbx = try await second.client(token: try requireString(key["token"]))
        #expect(try await pbx.call("auth.whoami")["role"] == "pbx")
        let fresh = try await second.connect()
        #expect(await errorCode { try await fresh.login(token: try requireString(revokedKey["token"])) } == -32001)
        try await second.stop()
    }

    @Test func aDeletedTokenFileIsReplacedByANewOperatorKey() async throws {
        let directory = TestServer.makeTemporaryDirectory()
        let first = try await TestServer.start(dataDirectory: directory)
        let oldToken = try first.operatorToken
        try await first.stop()
        try FileManager.default.removeItem(atPath: (directory as NSString).appendingPathComponent("operator.token"))
        let second = try await TestServer.start(dataDirectory: directory)
        let newToken = try second.operatorToken
        #expect(newToken != oldToken)
        #expect(try await second.client(token: newToken).call("auth.whoami")["role"] == "operator")
        #expect(try await second.client(token: newToken).call("accounts.list")["items"]?.arrayValue?.count == 1)
        try await second.stop()
    }

    @Test func pagingWalksEveryItemOnce() async throws {
        try await withTestServer { server in
            let op = try await server.client()
            for i in 0..<25 { _ = try await op.call("users.create", ["name": .string("U\(i)"), "email": .string("u\(i)@x.example")]) }
            var seen: [JSONValue] = []
            var cursor: JSONValue = .null
            repeat {
                var params: JSONObject = ["limit": 7]
                if cursor != .null { params.append("cursor", cursor) }
                let page = try await op.call("users.list", params)
                seen += page["items"]?.arrayValue?.compactMap { $0["id"] } ?? []
                cursor = page["nextCursor"] ?? .null
            } while cursor != .null
            #expect(seen.count == 25)
            #expect(Set(seen).count == 25)
            // Ids sort by creation, so pages come oldest first.
            let names = try await op.call("users.list", ["limit": 25])["items"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
            #expect(names == (0..<25).map { "U\($0)" })
            // A page that ends exactly at the last item says there is no next one.
            #expect(try await op.call("users.list", ["limit": 25])["nextCursor"] == .null)
        }
    }
}
