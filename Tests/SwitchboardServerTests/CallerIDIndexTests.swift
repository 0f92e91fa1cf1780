import Foundation
import JSONRPC
import Logging
@testable import SwitchboardServer
import SwitchboardServices
@testable import SwitchboardStore
import SwitchboardTestSupport
import Synchronization
import Testing

/// Caller IDs in E.164 are answered from answers kept in memory (`CallerIDIndex`)
/// once an account's table is built. Over a real TCP connection: the answers
/// are byte for byte what the database gives, every write is seen by the next
/// lookup, accounts stay apart, and an account over the memory limit is
/// answered from the database.
@Suite struct CallerIDIndexTests {
    static func lookup(_ id: Int, _ number: String) -> String {
        InlineAnsweringTests.request(id, "phonebook.lookup", ["number": .string(number)])
    }

    /// Logs in on a raw connection with `token`.
    static func raw(_ server: TestServer, token: String) async throws -> RawConnection {
        let raw = try await server.raw()
        let login = await raw.roundTrip(InlineAnsweringTests.request(0, "auth.login", ["token": .string(token)]))
        #expect(login?["result"] != nil)
        return raw
    }

    @Test func answersFromMemoryAreTheDatabaseAnswersByteForByte() async throws {
        try await withTestServer { server in
            let op = try await server.client()
            // One entry with every field (and text that needs escaping); a number three entries
            // share (manual before synced-like ties, then the newest); a number kept as typed.
            _ = try await op.call("phonebook.create", [
                "name": "Hans \"Hansi\" Müller", "firstName": "Hans", "lastName": "Müller", "company": "Müller & Söhne GmbH",
                "department": "Vertrieb\tNord", "title": "Dr.", "email": "hans@example.de", "note": "line one\nline two \u{1} €𝄞",
                "numbers": [["type": "phone", "number": "+49 30 7654321"], ["type": "mobile", "number": "+358 40 0124387"]],
            ])
            for name in ["Erste", "Zweite", "Dritte"] {
                _ = try await op.call("phonebook.create", ["name": .string(name), "numbers": [["number": "+33 1 42 68 53 00"]]])
            }
            _ = try await op.call("phonebook.create", ["name": "Unlesbar", "numbers": [["number": "12-34-AB"]]])
            let index = try #require(server.app.callerIDIndex)
            let account = try await requireString(op.call("auth.whoami")["accountId"])
            await server.app.callerIDIndexBuilt()
            #expect(index.isIndexed(accountId: account))
            #expect(index.stats.numbers == 3)  // +49307654321, +358400124387, +33142685300

            let raw = try await Self.raw(server, token: try server.operatorToken)
            for number in ["+49307654321", "+358400124387", "+33142685300"] {
                // A write that is not the phonebook's makes the kept region stale, so the first lookup
                // after it takes the async path (the database, no index); the second is answered inline.
                _ = try await op.call("apiKeys.create", ["label": .string("key for \(number)"), "role": "pbx"])
                #expect(index.isIndexed(accountId: account), "a write outside the phonebook keeps the table")
                raw.send(Self.lookup(7, number))
                let fromDatabase = try #require(await raw.nextLine())
                let before = index.answeredCount
                raw.send(Self.lookup(7, number))
                let fromMemory = try #require(await raw.nextLine())
                #expect(index.answeredCount == before + 1, "\(number) answered from memory")
                #expect(fromMemory == fromDatabase, "\(number)")
                let answer = try JSONParser.parse(fromMemory)
                #expect(answer["result"]?["entry"]?["id"] != .null)
                #expect(answer["result"]?["normalized"]?["e164"] == .string(number))
            }
            // Three entries share the French number: the answer says so, the same way on both paths.
            raw.send(Self.lookup(8, "+33142685300"))
            let shared = try JSONParser.parse(try #require(await raw.nextLine()))
            #expect(shared["result"]?["ambiguous"] == true)
            #expect(shared["result"]?["candidateCount"] == 3)
            #expect(shared["result"]?["entry"]?["name"] == "Dritte")  // all manual: the most recently updated first
            // Other formats of the same number, and numbers no entry has, are read from the database as before.
            let before = index.answeredCount
            for number in ["030 7654321", "0049 30 7654321", "+4930999999", "12-34-AB"] {
                raw.send(Self.lookup(9, number))
                #expect(await raw.next()?["result"] != nil)
            }
            raw.send(Self.lookup(9, "030 7654321"))
            #expect(await raw.next()?["result"]?["entry"]?["name"] == "Hans \"Hansi\" Müller")
            #expect(index.answeredCount == before)
        }
    }

    @Test func everyWriteIsSeenByTheNextLookup() async throws {
        try await withTestServer { server in
            let op = try await server.client()
            let index = try #require(server.app.callerIDIndex)
            let account = try await requireString(op.call("auth.whoami")["accountId"])
            var ids: [JSONValue] = []
            for i in 0..<20 {
                let created = try await op.call("phonebook.create", ["name": .string("Entry \(i)"), "numbers": [["number": .string(String(format: "+4930555%04d", i))]]])
                ids.append(created["id"] ?? .null)
            }
            await server.app.callerIDIndexBuilt()
            #expect(index.stats.numbers == 20)
            let raw = try await Self.raw(server, token: try server.operatorToken)
            // Warm the kept region (the first lookup after a write takes the async path).
            #expect(await raw.roundTrip(Self.lookup(1, "+49305550000"))?["result"]?["entry"]?["name"] == "Entry 0")
            let answeredBefore = index.answeredCount
            #expect(await raw.roundTrip(Self.lookup(1, "+49305550000"))?["result"]?["entry"]?["name"] == "Entry 0")
            #expect(index.answeredCount == answeredBefore + 1)

            // Rename, renumber, delete and create, each followed at once by lookups. Each is asked
            // twice: the first after a write reads the caller's region again (the async path), the
            // second is answered on the event loop, where the index is asked first.
            let steps: [(write: String, lookups: [(number: String, check: @Sendable (JSONValue?) -> Bool)])] = [
                (InlineAnsweringTests.request(2, "phonebook.update", ["id": ids[1], "name": "Renamed"]),
                 [("+49305550001", { $0?["entry"]?["name"] == "Renamed" })]),
                (InlineAnsweringTests.request(2, "phonebook.update", ["id": ids[2], "numbers": [["number": "+49305559999"]]]),
                 [("+49305550002", { $0?["entry"] == .null }), ("+49305559999", { [ids] in $0?["entry"]?["id"] == ids[2] })]),
                (InlineAnsweringTests.request(2, "phonebook.delete", ["id": ids[3]]),
                 [("+49305550003", { $0?["entry"] == .null })]),
                (InlineAnsweringTests.request(2, "phonebook.create", ["name": "Neu", "numbers": [["number": "+49305550004"]]]),
                 [("+49305550004", { $0?["ambiguous"] == true && $0?["entry"]?["name"] == "Neu" })]),
            ]
            // One request at a time: a lookup that arrives behind a write in the same read waits
            // for it on the async path, one that arrives on its own is answered on the event loop.
            for step in steps {
                #expect(await raw.roundTrip(step.write)?["result"] != nil)
                for lookup in step.lookups {
                    for attempt in 0..<2 {
                        let answer = await raw.roundTrip(Self.lookup(3, lookup.number))
                        #expect(answer?["error"] == nil)
                        #expect(lookup.check(answer?["result"]), "lookup \(attempt) of \(lookup.number)")
                    }
                }
            }

            // The account's table is rebuilt once it is quiet, with what the writes left.
            await server.app.callerIDIndexBuilt()
            #expect(index.isIndexed(accountId: account))
            #expect(index.stats.numbers == 19)  // 20 numbers, one renumbered to a new one, one deleted
            for _ in 0..<2 { _ = await raw.roundTrip(Self.lookup(11, "+49305550001")) }  // the first may warm the region
            let answered = index.answeredCount
            #expect(await raw.roundTrip(Self.lookup(12, "+49305550001"))?["result"]?["entry"]?["name"] == "Renamed")
            #expect(await raw.roundTrip(Self.lookup(13, "+49305559999"))?["result"]?["entry"]?["id"] == ids[2])
            #expect(await raw.roundTrip(Self.lookup(14, "+49305550002"))?["result"]?["entry"] == .null)
            #expect(index.answeredCount == answered + 2)  // the two hits; a number no entry has is asked of the database
        }
    }

    @Test func aDroppedTableIsFreedWhileConnectionsThatUsedItStayIdle() async throws {
        try await withTestServer { server in
            let op = try await server.client()
            let index = try #require(server.app.callerIDIndex)
            let account = try await requireString(op.call("auth.whoami")["accountId"])
            _ = try await op.call("phonebook.create", ["name": "Alt", "numbers": [["number": "+49305551234"]]])
            await server.app.callerIDIndexBuilt()
            // Two connections answer from the table (the first lookup may warm the region), then go idle.
            var idle: [RawConnection] = []
            for _ in 0..<2 {
                let raw = try await Self.raw(server, token: try server.operatorToken)
                for _ in 0..<2 { _ = await raw.roundTrip(Self.lookup(1, "+49305551234")) }
                idle.append(raw)
            }
            weak var table = index.table(accountId: account)
            #expect(table != nil)
            let answered = index.answeredCount
            #expect(await idle[0].roundTrip(Self.lookup(2, "+49305551234"))?["result"]?["entry"]?["name"] == "Alt")
            #expect(index.answeredCount == answered + 1, "answered from the table")

            // A write drops the table: nothing keeps it, although both connections used it and said nothing since.
            _ = try await op.call("phonebook.create", ["name": "Neu", "numbers": [["number": "+49305554321"]]])
            #expect(!index.isIndexed(accountId: account))
            #expect(table == nil, "the dropped table is freed")
            // And the idle connections see the write with their next lookup.
            for raw in idle {
                for _ in 0..<2 {
                    #expect(await raw.roundTrip(Self.lookup(3, "+49305554321"))?["result"]?["entry"]?["name"] == "Neu")
                }
            }
        }
    }

    @Test func accountsNeverSeeEachOthersKeptAnswers() async throws {
        try await withTestServer { server in
            let acme = try await AccountFixture.make(on: server, name: "Acme")
            let globex = try await AccountFixture.make(on: server, name: "Globex")
            let acmeAdmin = try await acme.client("admin", on: server)
            let globexAdmin = try await globex.client("admin", on: server)
            _ = try await acmeAdmin.call("phonebook.create", ["name": "Acme Kontakt", "numbers": [["number": "+49301112233"]]])
            _ = try await globexAdmin.call("phonebook.create", ["name": "Globex Kontakt", "numbers": [["number": "+49301112233"]]])
            _ = try await acmeAdmin.call("phonebook.create", ["name": "Nur Acme", "numbers": [["number": "+49304445566"]]])
            await server.app.callerIDIndexBuilt()
            let index = try #require(server.app.callerIDIndex)
            #expect(index.isIndexed(accountId: acme.accountId))
            #expect(index.isIndexed(accountId: globex.accountId))
            for (fixture, name) in [(acme, "Acme Kontakt"), (globex, "Globex Kontakt")] {
                let raw = try await Self.raw(server, token: fixture.tokens["user"]!)
                for _ in 0..<2 {  // the first may warm the region; the second is answered from memory
                    let answer = await raw.roundTrip(Self.lookup(1, "+49301112233"))
                    #expect(answer?["result"]?["entry"]?["name"] == .string(name))
                    #expect(answer?["result"]?["ambiguous"] == false)
                }
                let other = await raw.roundTrip(Self.lookup(2, "+49304445566"))
                #expect(other?["result"]?["entry"]?["name"] == (fixture.accountId == acme.accountId ? "Nur Acme" : nil))
            }
            // A change in one account drops its table only, before the change is acknowledged.
            _ = try await globexAdmin.call("phonebook.create", ["name": "Globex Neu", "numbers": [["number": "+49307778899"]]])
            #expect(!index.isIndexed(accountId: globex.accountId))
            #expect(index.isIndexed(accountId: acme.accountId))
        }
    }

    /// The store reports every row change of the tables answers are made of, whichever
    /// statement made it: here raw statements no store method would run.
    @Test func theStoreReportsEachWritesAccountsBeforeTheWriteReturns() async throws {
        try await withTestServer { server in
            let acme = try await AccountFixture.make(on: server, name: "Acme")
            let admin = try await acme.client("admin", on: server)
            _ = try await admin.call("phonebook.create", ["name": "Eins", "numbers": [["number": "+49301234567"]]])
            let store = server.app.store
            let told = Mutex<[Set<String>?]>([])
            store.observePhonebookChanges { accounts in told.withLock { $0.append(accounts) } }
            func write(_ sql: String) async throws -> [Set<String>?] {
                told.withLock { $0 = [] }
                try await store.write { db in try db.execute(sql: sql) }
                return told.withLock { $0 }
            }
            let account = acme.accountId
            // Only a number key (a table without rowids), then only an entry, then a table answers are not made of.
            #expect(try await write("DELETE FROM phonebookNumber WHERE accountId = '\(account)' AND key LIKE 'suffix:%'") == [[account]])
            #expect(try await write("UPDATE phonebookEntry SET note = 'x' WHERE accountId = '\(account)'") == [[account]])
            #expect(try await write("UPDATE apiKey SET label = label || '.'") == [])
            // A rolled-back write tells too (a rebuild, never a wrong answer), and the next write starts afresh.
            told.withLock { $0 = [] }
            await #expect(throws: (any Error).self) {
                try await store.write { db in
                    try db.execute(sql: "DELETE FROM phonebookEntry WHERE accountId = '\(account)'")
                    throw CancellationError()
                }
            }
            #expect(told.withLock { $0 } == [[account]])
            #expect(try await write("UPDATE apiKey SET label = label || '.'") == [])
        }
    }

    @Test func accountsOverTheMemoryLimitAreAnsweredFromTheDatabase() async throws {
        try await withTestServer { server in
            let op = try await server.client()
            for i in 0..<40 {
                _ = try await op.call("phonebook.create", [
                    "name": .string("Eintrag \(i)"), "note": .string(String(repeating: "x", count: 2_000)),
                    "numbers": [["number": .string(String(format: "+4940123%04d", i))]],
                ])
            }
            let account = try await requireString(op.call("auth.whoami")["accountId"])
            // An index of its own over the same store, with room for about half the answers.
            let renderer: @Sendable () -> any CallerIDAnswerRenderer = { RowAnswers() }
            let small = try #require(CallerIDIndex(
                store: server.app.store, options: .init(memoryLimit: 48 << 10), logger: Logger(label: "test"), renderer: renderer))
            defer { small.close() }
            try small.start()
            let roomy = try #require(CallerIDIndex(
                store: server.app.store, options: .init(memoryLimit: 1 << 20), logger: Logger(label: "test"), renderer: renderer))
            defer { roomy.close() }
            try roomy.start()
            while small.stats.pending > 0 || small.isBuilding || roomy.stats.pending > 0 || roomy.isBuilding {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(!small.isIndexed(accountId: account))
            #expect(small.stats.accounts == 0 && small.stats.numbers == 0 && small.stats.bytes == 0)
            #expect(roomy.isIndexed(accountId: account))
            #expect(roomy.stats.numbers == 40)
            #expect(roomy.stats.bytes <= 1 << 20)
            #expect(roomy.table(accountId: account)?.withPart(e164: "+49401230007") { String(decoding: $0, as: UTF8.self) }?.contains("Eintrag 7") == true)
            #expect(small.table(accountId: account) == nil)
            // The server's own index (2 GiB by default) answers; so does the database for the small one's account.
            let raw = try await Self.raw(server, token: try server.operatorToken)
            #expect(await raw.roundTrip(Self.lookup(1, "+49401230039"))?["result"]?["entry"]?["name"] == "Eintrag 39")
        }
    }

    @Test func syncedEntriesAreKeptOnceTheSyncHasPublishedThem() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cid-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var csv = "Name,Phone\n"
        for i in 0..<300 { csv += "Synced \(i),+4989555\(String(format: "%04d", i))\n" }
        try csv.write(to: directory.appendingPathComponent("book.csv"), atomically: true, encoding: .utf8)
        try await withTestServer(configure: { $0.sync.csvDirectory = directory.path; $0.sync.schedulerIntervalSeconds = 3_600 }) { server in
            let op = try await server.client()
            let account = try await requireString(op.call("auth.whoami")["accountId"])
            let interface = try await csvInterface(op, settings: ["path": "book.csv"])
            let run = try await sync(op, interface["id"])
            #expect(run["state"] == "succeeded")
            await server.app.callerIDIndexBuilt()
            let index = try #require(server.app.callerIDIndex)
            #expect(index.isIndexed(accountId: account))
            #expect(index.stats.numbers == 300)
            let raw = try await Self.raw(server, token: try server.operatorToken)
            for _ in 0..<2 { #expect(await raw.roundTrip(Self.lookup(1, "+49895550299"))?["result"]?["entry"]?["source"] == "S") }
        }
    }

    /// The memory limit is set like every other setting: file, environment, flag; 0 turns the index off.
    @Test func theMemoryLimitIsASettingAndZeroMeansNoIndex() async throws {
        #expect(ServerConfiguration().callerIdMemoryMiB == 2_048)
        #expect(ConfigurationSources.envName("callerIdMemoryMib") == "SWITCHBOARD_CALLER_ID_MEMORY_MIB")
        let fromFile = try ConfigurationSources.resolve(file: Array(#"{"callerIdMemoryMib":64}"#.utf8), environment: [:], flags: [:])
        #expect(fromFile.callerIdMemoryMiB == 64)
        let fromEnvironment = try ConfigurationSources.resolve(
            file: Array(#"{"callerIdMemoryMib":64}"#.utf8), environment: ["SWITCHBOARD_CALLER_ID_MEMORY_MIB": "0"], flags: [:])
        #expect(fromEnvironment.callerIdMemoryMiB == 0)
        #expect(throws: ConfigurationSources.Invalid.self) {
            try ConfigurationSources.resolve(file: nil, environment: [:], flags: ["callerIdMemoryMib": "-1"])
        }
        try await withTestServer(configure: { $0.callerIdMemoryMiB = 0 }) { server in
            #expect(server.app.callerIDIndex == nil)
            let op = try await server.client()
            _ = try await op.call("phonebook.create", ["name": "Ohne Index", "numbers": [["number": "+49301234567"]]])
            let raw = try await Self.raw(server, token: try server.operatorToken)
            for _ in 0..<2 { #expect(await raw.roundTrip(Self.lookup(1, "+49301234567"))?["result"]?["entry"]?["name"] == "Ohne Index") }
        }
    }
}
