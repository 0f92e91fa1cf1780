import Foundation
import GRDB
import SwitchboardCore
import Testing
@testable import SwitchboardStore

/// Caller-ID number keys: a sync's new entries stage theirs and publish them in
/// key order; every removal or renumbering takes an entry's keys with it.
@Suite struct NumberKeyTests {
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

    /// Key rows of the store: published and staged.
    static func keyRows(_ store: SQLiteStore) async throws -> (published: Int, staged: Int) {
        try await store.write { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM phonebookNumber") ?? -1,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM phonebookNumberStaged") ?? -1)
        }
    }

    @Test func aSyncsNewEntriesAreFoundByNumberOnceTheirKeysArePublished() async throws {
        try await Self.withStore { store in
            let entries = (0..<7).map { Self.entry("pbe_\($0)", name: "Person \($0)", numbers: ["+4930100\($0)", "+4940200\($0)"]) }
            try await store.writeSyncBatch(inserts: entries, updates: [])
            // Written and readable at once; not yet found by number.
            #expect(try await store.entry(accountId: "acc_a", id: "pbe_3")?.displayName == "Person 3")
            #expect(try await Self.found(store, "+49301003").isEmpty)
            #expect(try await Self.keyRows(store) == (0, 28))

            // Three entries per transaction: whole entries each time, every key once.
            #expect(try await store.publishStagedNumberKeys(entriesPerTransaction: 3) == 28)
            for i in 0..<7 {
                #expect(try await Self.found(store, "+4930100\(i)") == ["Person \(i)"])
                #expect(try await Self.found(store, "+4940200\(i)") == ["Person \(i)"])
            }
            #expect(try await Self.keyRows(store) == (28, 0))
            #expect(try await store.publishStagedNumberKeys() == 0)

            // Other writes index their keys at once.
            try await store.insertEntries([Self.entry("pbe_m", name: "Manual", numbers: ["+49305555"], source: .manual)])
            #expect(try await Self.found(store, "+49305555") == ["Manual"])
        }
    }

    @Test func removingOrRenumberingAnEntryTakesItsKeysWithIt() async throws {
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
            // A staged entry renumbered before its keys were published: its old keys never show up.
            try await store.updateEntry(Self.entry("pbe_s1", name: "Staged One", numbers: ["+49305555"]))
            #expect(try await Self.found(store, "+49305555") == ["Staged One"])
            #expect(try await Self.keyRows(store) == (4, 2))

            // Removed before publishing: its staged keys go with it.
            let seq = try #require(try await store.write { db in
                try Int64.fetchOne(db, sql: "SELECT seq FROM phonebookEntry WHERE id = 'pbe_s2'")
            })
            #expect(try await store.deleteEntries(accountId: "acc_a", seqs: [seq]) == 1)
            #expect(try await store.publishStagedNumberKeys() == 0)
            #expect(try await Self.found(store, "+49302222").isEmpty)
            #expect(try await Self.found(store, "+49303333").isEmpty)

            // Removed after: the keys it was indexed with go.
            #expect(try await store.deleteEntry(accountId: "acc_a", id: "pbe_m"))
            #expect(try await store.deleteEntry(accountId: "acc_a", id: "pbe_s1"))
            #expect(try await Self.keyRows(store) == (0, 0))
        }
    }

    /// A data directory from before staged keys (an index by entry, a foreign key):
    /// its keys survive the upgrade and leave with their entries.
    @Test func keysFromBeforeTheUpgradeAreKeptAndRemovedWithTheirEntries() async throws {
        let directory = try EntryAnswerTests.Directory()
        defer { directory.remove() }
        do {
            let queue = try DatabaseQueue(path: directory.path)
            try SQLiteStore.migrator.migrate(queue, upTo: "2026-12-06-entry-answers-follow-rows")
            try await queue.write { db in
                try db.execute(sql: "INSERT INTO account (id, name, region, timeZone, createdAt) VALUES ('acc_a', 'A', 'DE', 'Europe/Berlin', ?)",
                               arguments: [Self.date])
                for (i, number) in ["+49301111", "+49302222"].enumerated() {
                    let keyed = Self.entry("pbe_\(i)", name: "Old \(i)", numbers: [number])
                    try db.execute(sql: """
                        INSERT INTO phonebookEntry (id, accountId, source, sortKey, displayName, numbers, createdAt, updatedAt)
                        VALUES (?, 'acc_a', 'S', ?, ?, ?, ?, ?)
                        """, arguments: [keyed.entry.id, Data(keyed.sortKey), keyed.entry.displayName,
                                         PhonebookEntryRow.encodeNumbers(keyed.entry.numbers), Self.date, Self.date])
                    for key in keyed.entry.numbers[0].lookupKeys {
                        try db.execute(sql: "INSERT INTO phonebookNumber (accountId, key, entrySeq) VALUES ('acc_a', ?, ?)",
                                       arguments: [key, db.lastInsertedRowID])
                    }
                }
                #expect(try db.indexes(on: "phonebookNumber").contains { $0.name == "phonebookNumber_entry" })
            }
            try queue.close()
        }
        let store = try SQLiteStore(path: directory.path)
        defer { try? store.close() }
        #expect(try await Self.found(store, "+49301111") == ["Old 0"])
        #expect(try await Self.found(store, "+49302222") == ["Old 1"])
        #expect(try await store.deleteEntry(accountId: "acc_a", id: "pbe_0"))
        #expect(try await Self.found(store, "+49301111").isEmpty)
        #expect(try await Self.keyRows(store) == (2, 0))
        let (indexes, foreignKeys) = try await store.write { db in
            (try db.indexes(on: "phonebookNumber").map(\.name), try db.foreignKeys(on: "phonebookNumber").count)
        }
        #expect(!indexes.contains("phonebookNumber_entry"))
        #expect(foreignKeys == 0)
    }

    @Test func listingBySourceReadsOnlyIndexesItHas() async throws {
        try await Self.withStore { store in
            try await store.insertEntries([
                Self.entry("pbe_m1", name: "Zeta", numbers: ["+49301"], source: .manual),
                Self.entry("pbe_m2", name: "Alpha", numbers: ["+49302"], source: .manual),
            ])
            try await store.writeSyncBatch(inserts: [Self.entry("pbe_s1", name: "Beta", numbers: ["+49303"])], updates: [])
            let manual = try await store.entries(accountId: "acc_a", filter: PhonebookFilter(source: .manual), after: nil, limit: 10)
            #expect(manual.map(\.entry.displayName) == ["Alpha", "Zeta"])
            let synced = try await store.entries(accountId: "acc_a", filter: PhonebookFilter(source: .synced), after: nil, limit: 10)
            #expect(synced.map(\.entry.displayName) == ["Beta"])
            // Manual entries are listed from their own index, in order, without a sort.
            let plan = try await store.write { db in
                try Row.fetchAll(db, sql: """
                    EXPLAIN QUERY PLAN SELECT id FROM phonebookEntry WHERE accountId = 'acc_a' AND source = 'M' ORDER BY sortKey, id LIMIT 10
                    """).map { $0["detail"] as String }.joined(separator: "; ")
            }
            #expect(plan.contains("phonebookEntry_manualOrder"))
            #expect(!plan.contains("TEMP B-TREE"))
        }
    }
}
