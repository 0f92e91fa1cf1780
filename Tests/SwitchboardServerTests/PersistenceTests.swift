import Foundation
import GRDB
import JSONRPC
@testable import SwitchboardServer
import SwitchboardTestSupport
import Testing
@testable import SwitchboardStore

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

    /// A phone system that connects while the database cannot be written (another process
    /// holds its write lock, as a long write or a full disk would block it) still logs in
    /// and gets caller ID: the key's last use is recorded beside the login, not before it.
    @Test func loginAndLookupDoNotWaitForTheDatabaseWriter() async throws {
        try await withTestServer { server in
            let op = try await server.client()
            let key = try await op.call("apiKeys.create", ["role": "pbx", "label": "pbx"])
            let entry = try await op.call("phonebook.create", ["name": "Reachable", "numbers": [["type": "phone", "number": "+49 30 7654321"]]])

            var holdsTheLock = Configuration()
            holdsTheLock.allowsUnsafeTransactions = true  // the write lock is held across accesses
            let blocker = try DatabaseQueue(
                path: (server.dataDirectory as NSString).appendingPathComponent("switchboard.sqlite"), configuration: holdsTheLock)
            try await blocker.writeWithoutTransaction { db in try db.execute(sql: "BEGIN IMMEDIATE") }
            let pbx = try await server.connect()
            let principal = try await pbx.login(token: try requireString(key["token"]))
            #expect(principal["role"] == "pbx")
            #expect(try await pbx.call("phonebook.lookup", ["number": "+49307654321"])["entry"]?["id"] == entry["id"])
            // Writes still wait for the lock, and are not lost once it is gone.
            try await blocker.writeWithoutTransaction { db in try db.execute(sql: "ROLLBACK") }
            try blocker.close()

            var lastUsed: JSONValue?
            for _ in 0..<100 {
                let keys = try await op.call("apiKeys.list")["items"]?.arrayValue ?? []
                lastUsed = keys.first { $0["id"] == key["id"] }?["lastUsedAt"]
                if lastUsed != nil, lastUsed != .null { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(lastUsed?.stringValue?.hasPrefix("20") == true, "\(String(describing: lastUsed))")
        }
    }

    /// A full disk: a write is refused with a plain error and leaves nothing behind, while
    /// logins, caller ID and listings go on; once there is room again, writes work. (A page
    /// limit on the server's writer connection stands in for the disk: SQLite answers
    /// SQLITE_FULL for either.)
    @Test func aFullDiskRefusesWritesPlainlyAndKeepsAnswering() async throws {
        try await withTestServer { server in
            let op = try await server.client()
            let key = try await op.call("apiKeys.create", ["role": "pbx", "label": "pbx"])
            let kept = try await op.call("phonebook.create", ["name": "Kept", "numbers": [["type": "phone", "number": "+49 30 5550100"]]])
            func limitPages(_ limit: String) async throws {
                try await server.app.store.write { db in
                    let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
                    try db.execute(sql: "PRAGMA max_page_count = \(limit == "now" ? String(pages) : limit)")
                }
            }
            try await limitPages("now")

            let note = String(repeating: "n", count: 3_900)
            var refused: RPCError?
            var written: [String] = []
            for i in 0..<200 where refused == nil {
                do {
                    _ = try await op.call("phonebook.create", ["name": .string("New \(i)"), "note": .string(note)])
                    written.append("New \(i)")
                } catch let error as RPCError {
                    refused = error
                }
            }
            #expect(refused?.code == .internalError)
            #expect(refused?.message == "Internal error: the server's storage is full; nothing was written")
            #expect(refused?.data?["reason"] == "storageFull")

            let listed = try await op.call("phonebook.list", ["limit": 500])["items"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            // The refused entry is not there; everything acknowledged before it is.
            #expect(listed.count == written.count + 1)
            #expect(Set(listed) == Set(["Kept"] + written))
            let pbx = try await server.connect()
            _ = try await pbx.login(token: try requireString(key["token"]))
            #expect(try await pbx.call("phonebook.lookup", ["number": "+49305550100"])["entry"]?["id"] == kept["id"])

            try await limitPages("1073741823")
            let after = try await op.call("phonebook.create", ["name": "Room again", "note": .string(note)])
            #expect(try await op.call("phonebook.get", ["id": after["id"]!])["name"] == "Room again")
        }
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

    @Test func aDataDirectoryIsServedByOneServerAtATime() async throws {
        let directory = TestServer.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try await TestServer.start(dataDirectory: directory)
        await #expect(throws: DataDirectoryLock.InUse.self) { _ = try await TestServer.start(dataDirectory: directory) }
        #expect(try await first.client().call("system.ping") == "pong")
        try await first.stop()
        let second = try await TestServer.start(dataDirectory: directory)  // free again once the first has closed
        #expect(try await second.client().call("auth.whoami")["role"] == "operator")
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
