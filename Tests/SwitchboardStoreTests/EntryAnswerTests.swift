import Foundation
import GRDB
import SwitchboardCore
import Testing
@testable import SwitchboardStore

/// The answer the store keeps with each entry (`phonebookEntry.answer`): what
/// a caller-ID lookup on the event loop copies instead of building JSON.
@Suite struct EntryAnswerTests {
    /// A rendering that shows every field the tests change, tagged so that two
    /// formats can be told apart.
    static func format(_ tag: String) -> EntryAnswerFormat {
        EntryAnswerFormat { e in
            Array("\(tag)|\(e.id)|\(e.displayName)|\(e.company ?? "-")|\(e.numbers.map(\.raw))|\(milliseconds(e.createdAt))|\(milliseconds(e.updatedAt))".utf8)
        }
    }

    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1_000).rounded()) }

    struct Directory {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sb-answers-\(UUID().uuidString)")
        var path: String { url.appendingPathComponent("db.sqlite").path }
        init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        func remove() { try? FileManager.default.removeItem(at: url) }
    }

    static func entry(_ id: String, name: String, key: String, at date: Date, company: String? = nil) -> KeyedEntry {
        let number = EntryNumber(kind: .phone, raw: key, e164: key, display: key, digits: key, lookupKeys: ["e164:\(key)"])
        return KeyedEntry(
            entry: PhonebookEntry(
                id: id, accountId: "acc_a", source: .manual, displayName: name, company: company, numbers: [number], createdAt: date, updatedAt: date),
            sortKey: Array(name.utf8))
    }

    /// Runs `body` on a new file store with `format` and account `acc_a`.
    static func withStore(_ format: EntryAnswerFormat, _ body: (SQLiteStore) async throws -> Void) async throws {
        let directory = try Directory()
        defer { directory.remove() }
        let store = try SQLiteStore(path: directory.path, answerFormat: format)
        defer { try? store.close() }
        try await store.insertAccount(Account(id: "acc_a", name: "A", region: "DE", createdAt: Date(timeIntervalSince1970: 1_765_000_000)))
        try await body(store)
    }

    /// What a lookup on the event loop reads for `key`: each row's stored answer,
    /// or nil when the store cannot answer that way (some row has none).
    static func storedAnswers(_ store: SQLiteStore, key: String) throws -> [String]? {
        var answers: [String] = []
        let visited = try store.visitEntriesNow(accountId: "acc_a", numberKey: "e164:\(key)") { answers.append($0.entryJSON.string) }
        return visited ? answers : nil
    }

    /// The answer `format` makes of the entry as the store reads it back.
    static func expected(_ store: SQLiteStore, _ format: EntryAnswerFormat, key: String) async throws -> [String] {
        try await store.entries(accountId: "acc_a", numberKey: "e164:\(key)").map { String(decoding: format.render($0), as: UTF8.self) }
    }

    @Test func insertsUpdatesAndSyncBatchesStoreTheAnswerOfWhatTheyWrote() async throws {
        let format = Self.format("v1")
        try await Self.withStore(format) { store in
            // Sub-millisecond dates: the answer shows them as they read back from the row.
            let date = Date(timeIntervalSince1970: 1_765_000_000.123_456_7)

            try await store.insertEntries([Self.entry("pbe_1", name: "Anna", key: "+49301", at: date)])
            let inserted = try #require(try Self.storedAnswers(store, key: "+49301"))
            #expect(inserted == (try await Self.expected(store, format, key: "+49301")))
            #expect(inserted.first?.contains("|Anna|") == true)
            // The stored precision (milliseconds), not the written date's.
            #expect(inserted.first?.hasSuffix("|1765000000123|1765000000123") == true)

            try await store.updateEntry(Self.entry("pbe_1", name: "Anna Renamed", key: "+49301", at: date.addingTimeInterval(60), company: "ACME"))
            let updated = try #require(try Self.storedAnswers(store, key: "+49301"))
            #expect(updated == (try await Self.expected(store, format, key: "+49301")))
            #expect(updated.first?.contains("|Anna Renamed|ACME|") == true)
            // An update keeps the row's creation date (and id, source, origin), whatever the entry passed says.
            #expect(updated.first?.hasSuffix("|1765000000123|1765000060123") == true)

            try await store.writeSyncBatch(
                inserts: [Self.entry("pbe_2", name: "Bert", key: "+49302", at: date)],
                updates: [Self.entry("pbe_1", name: "Anna Synced", key: "+49301", at: date.addingTimeInterval(120))])
            _ = try await store.publishStagedEntries()  // a sync's new entries are found by number after this
            let synced = try #require(try Self.storedAnswers(store, key: "+49302"))
            #expect(synced.first?.contains("|Bert|") == true)
            #expect(synced == (try await Self.expected(store, format, key: "+49302")))
            #expect(try Self.storedAnswers(store, key: "+49301")?.first?.contains("|Anna Synced|") == true)
        }
    }

    @Test func entriesWrittenWithoutAFormatAreRenderedWhenAStoreWithOneOpens() async throws {
        let directory = try Directory()
        defer { directory.remove() }
        let date = Date(timeIntervalSince1970: 1_765_000_000)
        do {
            let plain = try SQLiteStore(path: directory.path)
            try await plain.insertAccount(Account(id: "acc_a", name: "A", region: "DE", createdAt: date))
            try await plain.insertEntries((0..<5).map { Self.entry("pbe_\($0)", name: "N\($0)", key: "+4930\($0)", at: date) })
            // No answer stored: a lookup cannot be answered from the row.
            #expect(try Self.storedAnswers(plain, key: "+49300") == nil)
            try plain.close()
        }
        let format = Self.format("v1")
        let store = try SQLiteStore(path: directory.path, answerFormat: format)
        defer { try? store.close() }
        #expect(try Self.storedAnswers(store, key: "+49300") == nil)
        // In batches smaller than the table, so that the cursor between batches is used.
        #expect(try await store.renderPendingAnswers(batch: 2) == 5)
        for i in 0..<5 {
            #expect(try Self.storedAnswers(store, key: "+4930\(i)") == (try await Self.expected(store, format, key: "+4930\(i)")))
        }
        #expect(try await store.renderPendingAnswers() == 0)
    }

    @Test func aChangedFormatClearsTheStoredAnswersAndRendersThemAgain() async throws {
        let directory = try Directory()
        defer { directory.remove() }
        let date = Date(timeIntervalSince1970: 1_765_000_000)
        do {
            let old = try SQLiteStore(path: directory.path, answerFormat: Self.format("v1"))
            try await old.insertAccount(Account(id: "acc_a", name: "A", region: "DE", createdAt: date))
            try await old.insertEntries([Self.entry("pbe_1", name: "Anna", key: "+49301", at: date)])
            #expect(try Self.storedAnswers(old, key: "+49301")?.first?.hasPrefix("v1|") == true)
            try old.close()
        }
        let format = Self.format("v2")
        #expect(format.version != Self.format("v1").version)
        let store = try SQLiteStore(path: directory.path, answerFormat: format)
        // Never an answer in the old format, not even before the new one is rendered.
        #expect(try Self.storedAnswers(store, key: "+49301") == nil)
        #expect(try await store.renderPendingAnswers() == 1)
        #expect(try Self.storedAnswers(store, key: "+49301") == (try await Self.expected(store, format, key: "+49301")))
        #expect(try Self.storedAnswers(store, key: "+49301")?.first?.hasPrefix("v2|") == true)
        // Opening again with the same format keeps them.
        try store.close()
        let again = try SQLiteStore(path: directory.path, answerFormat: format)
        defer { try? again.close() }
        #expect(try Self.storedAnswers(again, key: "+49301")?.first?.hasPrefix("v2|") == true)
    }

    /// A server from before the answer column (after a rollback) updates rows without
    /// rendering: their answers are cleared, never shown stale.
    @Test func anUpdateThatDoesNotRenderClearsTheAnswer() async throws {
        try await Self.withStore(Self.format("v1")) { store in
            let date = Date(timeIntervalSince1970: 1_765_000_000)
            try await store.insertEntries([Self.entry("pbe_1", name: "Anna", key: "+49301", at: date), Self.entry("pbe_2", name: "Bert", key: "+49302", at: date)])
            try await store.write { db in
                try db.execute(sql: "UPDATE phonebookEntry SET displayName = 'Anna Old Server', updatedAt = ? WHERE id = 'pbe_1'", arguments: [date.addingTimeInterval(5)])
                // Not an edit: the collation re-key changes the sort key only.
                try db.execute(sql: "UPDATE phonebookEntry SET sortKey = x'00' WHERE id = 'pbe_2'")
            }
            #expect(try Self.storedAnswers(store, key: "+49301") == nil)
            #expect(try Self.storedAnswers(store, key: "+49302")?.first?.contains("|Bert|") == true)
            #expect(try await store.renderPendingAnswers() == 1)
            #expect(try Self.storedAnswers(store, key: "+49301")?.first?.contains("|Anna Old Server|") == true)
            // This store's own updates render, so they keep an answer.
            try await store.updateEntry(Self.entry("pbe_1", name: "Anna New", key: "+49301", at: date.addingTimeInterval(10)))
            #expect(try Self.storedAnswers(store, key: "+49301")?.first?.contains("|Anna New|") == true)
        }
    }

    @Test func aFormatsVersionFollowsItsRendering() {
        let a = Self.format("a"), b = Self.format("b")
        #expect(a.version == Self.format("a").version)
        #expect(a.version != b.version)
        // Two renderings that differ only in a field the sample sets.
        let withNote = EntryAnswerFormat { Array(($0.note ?? "").utf8) }
        let withTitle = EntryAnswerFormat { Array(($0.title ?? "").utf8) }
        #expect(withNote.version != withTitle.version)
    }
}
