import Foundation
import GRDB
import SwitchboardCore
import Testing
@testable import SwitchboardStore

/// A sync's new entries are staged for caller ID (number keys) and for the book's
/// order, and published in key order; every removal, renumbering or renaming
/// takes an entry's index rows with it.
@Suite struct StagedEntryTests {
    static let date = Date(timeIntervalSince1970: 1_765_000_000)

    static func entry(_ id: String, name: String, numbers: [String], source: PhonebookEntry.Source = .synced) -> KeyedEntry {
        let numbers = numbers.map {
            EntryNumber(kind: .phone, raw: $0, e164: $0, display: $0, digits: $0, lookupKeys: ["e164:\($0)", "suffix:\($0.suffix(6))"])
        }
        return KeyedEntry(
            entry: PhonebookEntry(
                id: id, accountId: "acc_a", source: source, displayName: name, numbers: numbers, interfaceId: source == .synced ? "if_1" : nil,
                externalId: source == .synced ? id : nil, createdAt: date, updatedAt: date),
            sortKey: Array(name.utf8))
    }

    static func withStore(_ body: (SQLiteStore) async throws -> Void) async throws {
        let directory = try EntryAnswerTests.Directory()
        defer { directory.remove() }
        let store = try SQLiteStore(path: directory.path)
        defer { try? store.close() }
        try await store.insertAccount(Account(id: "acc_a", name: "A", region: "DE", createdAt: date))
        try await body(store)
    }

    /// The names caller ID finds for `number` (its E.164 key).
    static func found(_ store: SQLiteStore, _ number: String) async throws -> [String] {
        try await store.entries(accountId: "acc_a", numberKey: "e164:\(number)").map(\.displayName).sorted()
    }

    /// A data directory migrated only up to `migration`, with account acc_a, and rows `fill`
    /// writes as that schema had them.
    static func oldDataDirectory(upTo migration: String, _ fill: @escaping @Sendable (Database) throws -> Void) async throws -> EntryAnswerTests.Directory {
        let directory = try EntryAnswerTests.Directory()
        let queue = try DatabaseQueue(path: directory.path)
        try SQLiteStore.migrator.migrate(queue, upTo: migration)
        try await queue.write { db in
            try db.execute(sql: "INSERT INTO account (id, name, region, timeZone, createdAt) VALUES ('acc_a', 'A', 'DE', 'Europe/Berlin', ?)",
                           arguments: [Self.date])
            try fill(db)
        }
        try queue.close()
        return directory
    }

    /// An entry row as the schemas before stored answers held it; returns its `seq`.
    static func insertOldRow(_ keyed: KeyedEntry, in db: Database) throws -> Int64 {
        try db.execute(sql: """
            INSERT INTO phonebookEntry (id, accountId, source, sortKey, displayName, numbers, createdAt, updatedAt)
            VALUES (?, 'acc_a', 'S', ?, ?, ?, ?, ?)
            """, arguments: [keyed.entry.id, Data(keyed.sortKey), keyed.entry.displayName,
                             PhonebookEntryRow.encodeNumbers(keyed.entry.numbers), Self.date, Self.date])
        return db.lastInsertedRowID
    }

    /// Index rows of the store: number keys and order rows, published and staged.
    struct IndexRows: Equatable {
        var keys = 0, stagedKeys = 0, order = 0, stagedOrder = 0
    }

    static func indexRows(_ store: SQLiteStore) async throws -> IndexRows {
        try await store.write { db in
            func count(_ table: String) throws -> Int { try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? -1 }
            return IndexRows(
                keys: try count("phonebookNumber"), stagedKeys: try count("phonebookNumberStaged"),
                order: try count("phonebookOrder"), stagedOrder: try count("phonebookOrderStaged"))
        }
    }

    /// The names `phonebook.list` shows, page by page (two per page, so the cursor is used).
    static func listed(_ store: SQLiteStore, _ filter: PhonebookFilter = .all) async throws -> [String] {
        var names: [String] = []
        var cursor: PhonebookCursor?
        while true {
            let page = try await store.entries(accountId: "acc_a", filter: filter, after: cursor, limit: 2)
            names += page.map(\.entry.displayName)
            guard page.count == 2, let last = page.last else { return names }
            cursor = PhonebookCursor(sortKey: last.sortKey, id: last.entry.id)
        }
    }

    @Test func aSyncsNewEntriesAreFoundAndListedOnceTheyArePublished() async throws {
        try await Self.withStore { store in
            try await store.insertEntries([Self.entry("pbe_m", name: "Manual", numbers: ["+49305555"], source: .manual)])
            let entries = (0..<7).reversed().map { Self.entry("pbe_\($0)", name: "Person \($0)", numbers: ["+4930100\($0)", "+4940200\($0)"]) }
            try await store.writeSyncBatch(inserts: entries, updates: [])
            // Written and readable at once; not yet found by number, nor listed.
            #expect(try await store.entry(accountId: "acc_a", id: "pbe_3")?.displayName == "Person 3")
            #expect(try await Self.found(store, "+49301003").isEmpty)
            #expect(try await Self.listed(store) == ["Manual"])
            #expect(try await Self.indexRows(store) == IndexRows(keys: 2, stagedKeys: 28, order: 1, stagedOrder: 7))

            // Three entries per transaction: whole entries each time, every row once.
            #expect(try await store.publishStagedEntries(entriesPerTransaction: 3) == 7)
            for i in 0..<7 {
                #expect(try await Self.found(store, "+4930100\(i)") == ["Person \(i)"])
                #expect(try await Self.found(store, "+4940200\(i)") == ["Person \(i)"])
            }
            #expect(try await Self.listed(store) == ["Manual"] + (0..<7).map { "Person \($0)" })
            #expect(try await Self.listed(store, PhonebookFilter(source: .synced)) == (0..<7).map { "Person \($0)" })
            #expect(try await Self.listed(store, PhonebookFilter(source: .manual)) == ["Manual"])
            #expect(try await Self.indexRows(store) == IndexRows(keys: 30, stagedKeys: 0, order: 8, stagedOrder: 0))
            #expect(try await store.publishStagedEntries() == 0)
        }
    }

    @Test func removingRenumberingOrRenamingAnEntryTakesItsIndexRowsWithIt() async throws {
        try await Self.withStore { store in
            try await store.insertEntries([Self.entry("pbe_m", name: "Manual", numbers: ["+49301111"], source: .manual)])
            try await store.writeSyncBatch(inserts: [
                Self.entry("pbe_s1", name: "Staged One", numbers: ["+49302222"]),
                Self.entry("pbe_s2", name: "Staged Two", numbers: ["+49303333"]),
            ], updates: [])

            // Renumbered: the old number finds nothing, the new one the entry.
            try await store.updateEntry(Self.entry("pbe_m", name: "Manual", numbers: ["+49304444"], source: .manual))
            #expect(try await Self.found(store, "+49301111").isEmpty)
            #expect(try await Self.found(store, "+49304444") == ["Manual"])
            // A staged entry renumbered before it was published: its old keys never show up.
            try await store.updateEntry(Self.entry("pbe_s1", name: "Staged One", numbers: ["+49305555"]))
            #expect(try await Self.found(store, "+49305555") == ["Staged One"])
            #expect(try await Self.found(store, "+49302222").isEmpty)
            #expect(try await Self.indexRows(store) == IndexRows(keys: 4, stagedKeys: 2, order: 1, stagedOrder: 2))

            // Renamed: listed under the new name, once; a staged one when it is published.
            try await store.updateEntry(Self.entry("pbe_m", name: "Zed Manual", numbers: ["+49304444"], source: .manual))
            try await store.updateEntry(Self.entry("pbe_s1", name: "A Staged One", numbers: ["+49305555"]))
            #expect(try await Self.listed(store) == ["Zed Manual"])
            #expect(try await Self.listed(store, PhonebookFilter(source: .manual)) == ["Zed Manual"])

            // Removed before publishing: its staged rows go with it.
            let seq = try #require(try await store.write { db in
                try Int64.fetchOne(db, sql: "SELECT seq FROM phonebookEntry WHERE id = 'pbe_s2'")
            })
            #expect(try await store.deleteEntries(accountId: "acc_a", seqs: [seq]) == 1)
            #expect(try await store.publishStagedEntries() == 1)
            #expect(try await Self.found(store, "+49303333").isEmpty)
            #expect(try await Self.listed(store) == ["A Staged One", "Zed Manual"])

            // Renamed after publishing, then removed: the rows it was indexed with go.
            try await store.updateEntry(Self.entry("pbe_s1", name: "Staged Again", numbers: ["+49305555"]))
            #expect(try await Self.listed(store) == ["Staged Again", "Zed Manual"])
            #expect(try await store.deleteEntry(accountId: "acc_a", id: "pbe_m"))
            #expect(try await store.deleteEntry(accountId: "acc_a", id: "pbe_s1"))
            #expect(try await Self.indexRows(store) == IndexRows())
            #expect(try await Self.listed(store).isEmpty)
        }
    }

    @Test func newSortKeysReorderTheBookAndPlaceStagedEntriesWhenPublished() async throws {
        try await Self.withStore { store in
            try await store.insertEntries(["Bea", "Cid", "Abe"].map { Self.entry("pbe_\($0)", name: $0, numbers: ["+4930\($0.count)"], source: .manual) })
            try await store.writeSyncBatch(inserts: [Self.entry("pbe_Dot", name: "Dot", numbers: ["+49304"])], updates: [])
            #expect(try await Self.listed(store) == ["Abe", "Bea", "Cid"])
            // A collation that sorts by the reversed name.
            let rebuilt = try await store.rebuildSortKeys(accountId: "acc_a", version: "reversed") { Array($0.utf8.reversed()) }
            #expect(rebuilt == 4)
            #expect(try await Self.listed(store) == ["Bea", "Cid", "Abe"])  // "aeB", "diC", "ebA"
            #expect(try await store.publishStagedEntries() == 1)
            #expect(try await Self.listed(store) == ["Bea", "Cid", "Abe", "Dot"])  // then "toD"
            #expect(try await Self.listed(store, PhonebookFilter(source: .manual)) == ["Bea", "Cid", "Abe"])
        }
    }

    /// A data directory from before staging (keys indexed by entry with a foreign key, the
    /// order an index of the entry table): its rows survive the upgrade and leave with their entries.
    @Test func indexRowsFromBeforeTheUpgradeAreKeptAndRemovedWithTheirEntries() async throws {
        let directory = try await Self.oldDataDirectory(upTo: "2026-12-06-entry-answers-follow-rows") { db in
            for (i, number) in ["+49301111", "+49302222", "+49303333"].enumerated() {
                let keyed = Self.entry("pbe_\(i)", name: "Old \(2 - i)", numbers: [number])
                let seq = try Self.insertOldRow(keyed, in: db)
                for key in keyed.entry.numbers[0].lookupKeys {
                    try db.execute(sql: "INSERT INTO phonebookNumber (accountId, key, entrySeq) VALUES ('acc_a', ?, ?)", arguments: [key, seq])
                }
            }
            #expect(try db.indexes(on: "phonebookNumber").contains { $0.name == "phonebookNumber_entry" })
        }
        defer { directory.remove() }
        let store = try SQLiteStore(path: directory.path)
        defer { try? store.close() }
        #expect(try await Self.found(store, "+49301111") == ["Old 2"])
        #expect(try await Self.found(store, "+49302222") == ["Old 1"])
        #expect(try await Self.listed(store) == ["Old 0", "Old 1", "Old 2"])
        #expect(try await store.deleteEntry(accountId: "acc_a", id: "pbe_0"))
        #expect(try await Self.found(store, "+49301111").isEmpty)
        #expect(try await Self.listed(store) == ["Old 0", "Old 1"])
        #expect(try await Self.indexRows(store) == IndexRows(keys: 4, stagedKeys: 0, order: 2, stagedOrder: 0))
        let (indexes, foreignKeys) = try await store.write { db in
            (try db.indexes(on: "phonebookNumber").map(\.name) + db.indexes(on: "phonebookEntry").map(\.name),
             try db.foreignKeys(on: "phonebookNumber").count)
        }
        #expect(!indexes.contains("phonebookNumber_entry"))
        #expect(!indexes.contains("phonebookEntry_order"))
        #expect(foreignKeys == 0)
    }

    /// A large removal (a run's unseen entries, a cancelled interface's data) takes each
    /// entry's index rows, published or staged, and forwarding to it; it leaves other
    /// entries and other accounts alone, whatever order the rows are given in.
    @Test func removingManyEntriesTakesTheirIndexRowsAndForwardingAndNothingElse() async throws {
        try await Self.withStore { store in
            try await store.insertAccount(Account(id: "acc_b", name: "B", region: "DE", createdAt: Self.date))
            let other = Self.entry("pbe_b", name: "Other Account", numbers: ["+49309999"])
            try await store.insertEntries([KeyedEntry(entry: { var e = other.entry; e.accountId = "acc_b"; return e }(), sortKey: other.sortKey)])
            try await store.insertEntries([Self.entry("pbe_target", name: "Target", numbers: ["+49301000"], source: .manual),
                                           Self.entry("pbe_kept", name: "Kept", numbers: ["+49301001"], source: .manual)])
            try await store.insertUser(User(id: "usr_1", accountId: "acc_a", name: "U", email: "u@x.example", forwardingEntryId: "pbe_target",
                                            createdAt: Self.date, updatedAt: Self.date))
            try await store.writeSyncBatch(inserts: (0..<30).map { Self.entry("pbe_p\($0)", name: "Published \($0)", numbers: ["+4930200\($0)", "+4940200\($0)"]) }, updates: [])
            #expect(try await store.publishStagedEntries() == 30)
            try await store.writeSyncBatch(inserts: (0..<10).map { Self.entry("pbe_s\($0)", name: "Staged \($0)", numbers: ["+4930300\($0)"]) }, updates: [])

            let seqs = try await store.write { db in
                try Int64.fetchAll(db, sql: "SELECT seq FROM phonebookEntry WHERE id NOT IN ('pbe_kept')")
            }
            // Unsorted, with another account's entry and a row that does not exist.
            #expect(try await store.deleteEntries(accountId: "acc_a", seqs: (seqs + [999_999]).shuffled()) == 41)

            #expect(try await Self.listed(store) == ["Kept"])
            #expect(try await Self.found(store, "+49301001") == ["Kept"])
            #expect(try await Self.found(store, "+4930200\(7)").isEmpty)
            #expect(try await store.user(accountId: "acc_a", id: "usr_1")?.forwardingEntryId == nil)
            #expect(try await store.entries(accountId: "acc_b", numberKey: "e164:+49309999").map(\.displayName) == ["Other Account"])
            // Kept and the other account's entry: two keys and an order row each; nothing staged; no search rows left behind.
            #expect(try await Self.indexRows(store) == IndexRows(keys: 4, stagedKeys: 0, order: 2, stagedOrder: 0))
            let searchRows = try await store.write { db in
                try Int.fetchOne(db, sql: "SELECT (SELECT count(*) FROM phonebookWords) + (SELECT count(*) FROM phonebookDigits)") ?? -1
            }
            #expect(searchRows == 4)
            #expect(try await store.write { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") } == ["ok"])
        }
    }

    /// What an operator checking a data directory runs: SQLite's own integrity check passes
    /// with entries staged and after they are published. (Debian's SQLite 3.40.1 reported
    /// false "NULL value in phonebookNumberStaged.accountId" errors before the staged keys'
    /// columns were declared in their primary key's order.)
    @Test func sqlitesIntegrityCheckPassesWithStagedAndPublishedEntries() async throws {
        try await Self.withStore { store in
            func check() async throws -> [String] {
                try await store.write { db in
                    try String.fetchAll(db, sql: "PRAGMA integrity_check") + String.fetchAll(db, sql: "PRAGMA quick_check")
                }
            }
            try await store.insertEntries([Self.entry("pbe_m", name: "Manual", numbers: ["+49305555"], source: .manual)])
            try await store.writeSyncBatch(inserts: (0..<5).map { Self.entry("pbe_\($0)", name: "Person \($0)", numbers: ["+4930100\($0)"]) }, updates: [])
            #expect(try await Self.indexRows(store) == IndexRows(keys: 2, stagedKeys: 10, order: 1, stagedOrder: 5))
            #expect(try await check() == ["ok", "ok"])
            #expect(try await store.publishStagedEntries() == 5)
            #expect(try await check() == ["ok", "ok"])
        }
    }

    /// Entries a run staged before the staged keys' table was rebuilt are published after it.
    @Test func entriesStagedBeforeTheKeysTableWasRebuiltArePublishedAfterIt() async throws {
        let directory = try await Self.oldDataDirectory(upTo: "2026-12-06-entry-order-staged") { db in
            let keyed = Self.entry("pbe_s", name: "Staged", numbers: ["+49307777"])
            let seq = try Self.insertOldRow(keyed, in: db)
            for key in keyed.entry.numbers[0].lookupKeys {
                try db.execute(sql: "INSERT INTO phonebookNumberStaged (entrySeq, accountId, key) VALUES (?, 'acc_a', ?)", arguments: [seq, key])
            }
            try db.execute(sql: "INSERT INTO phonebookOrderStaged (entrySeq) VALUES (?)", arguments: [seq])
        }
        defer { directory.remove() }
        let store = try SQLiteStore(path: directory.path)
        defer { try? store.close() }
        #expect(try await Self.indexRows(store) == IndexRows(keys: 0, stagedKeys: 2, order: 0, stagedOrder: 1))
        #expect(try await store.publishStagedEntries() == 1)
        #expect(try await Self.found(store, "+49307777") == ["Staged"])
        #expect(try await Self.listed(store) == ["Staged"])
        // The account's removal still takes its index rows (the trigger was made again).
        try await store.writeSyncBatch(inserts: [Self.entry("pbe_t", name: "Later", numbers: ["+49308888"])], updates: [])
        try await store.write { db in try db.execute(sql: "DELETE FROM account WHERE id = 'acc_a'") }
        let left = try await Self.indexRows(store)
        #expect(left == IndexRows(), "\(left)")
    }

    @Test func listingsReadIndexesInOrderWithoutSortingTheBook() async throws {
        try await Self.withStore { store in
            func plan(_ filter: PhonebookFilter) async throws -> String {
                let (sql, arguments) = SQLiteStore.listQuery(
                    accountId: "acc_a", filter: filter, after: PhonebookCursor(sortKey: [1], id: "pbe_1"), limit: 10)
                return try await store.write { db in
                    try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments).map { $0["detail"] as String }.joined(separator: "; ")
                }
            }
            let manual = try await plan(PhonebookFilter(source: .manual))
            #expect(manual.contains("phonebookEntry_manualOrder"), "\(manual)")
            for filter in [PhonebookFilter.all, PhonebookFilter(source: .synced)] {
                let plan = try await plan(filter)
                #expect(plan.contains("SEARCH o USING PRIMARY KEY"), "\(plan)")
                #expect(!plan.contains("TEMP B-TREE"), "\(plan)")
            }
            #expect(!manual.contains("TEMP B-TREE"), "\(manual)")
        }
    }
}
