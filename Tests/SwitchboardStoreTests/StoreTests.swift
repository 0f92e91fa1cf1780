import Foundation
import GRDB
import SwitchboardCore
import Testing
@testable import SwitchboardStore

@Suite struct StoreTests {
    @Test func identifiersIncreaseStrictlyWithinAMillisecond() {
        let now = Date()
        let ids = (0..<1_000).map { _ in Identifier.make("usr", now: now) }
        #expect(ids == ids.sorted())
        #expect(Set(ids).count == ids.count)
    }

    @Test func uniqueEmailAndExtensionPerAccountAreConflictsNamingTheField() async throws {
        let store = try SQLiteStore.inMemory()
        let now = Date()
        try await store.insertAccount(Account(id: "acc_a", name: "A", region: "DE", createdAt: now))
        try await store.insertAccount(Account(id: "acc_b", name: "B", region: "FI", createdAt: now))
        try await store.insertUser(User(id: "usr_1", accountId: "acc_a", name: "Ann", email: "ann@x.example", extensionNumber: "12", createdAt: now, updatedAt: now))
        await #expect(throws: SwitchboardError.conflict("e-mail address already in use in this account", field: "email")) {
            try await store.insertUser(User(id: "usr_2", accountId: "acc_a", name: "Ann 2", email: "ann@x.example", createdAt: now, updatedAt: now))
        }
        await #expect(throws: SwitchboardError.conflict("extension already in use in this account", field: "extension")) {
            try await store.insertUser(User(id: "usr_3", accountId: "acc_a", name: "Bo", email: "bo@x.example", extensionNumber: "12", createdAt: now, updatedAt: now))
        }
        // Another account may use both.
        try await store.insertUser(User(id: "usr_4", accountId: "acc_b", name: "Ann", email: "ann@x.example", extensionNumber: "12", createdAt: now, updatedAt: now))
        #expect(try await store.users(accountId: "acc_b", PageRequest()).map(\.id) == ["usr_4"])
        #expect(try await store.user(accountId: "acc_b", id: "usr_1") == nil)
    }

    @Test func deletingAUserRevokesItsKeysInOneTransaction() async throws {
        let store = try SQLiteStore.inMemory()
        let now = Date()
        try await store.insertAccount(Account(id: "acc_a", name: "A", region: "DE", createdAt: now))
        try await store.insertUser(User(id: "usr_1", accountId: "acc_a", name: "Ann", email: "ann@x.example", createdAt: now, updatedAt: now))
        try await store.insertAPIKey(APIKey(id: "key_1", accountId: "acc_a", role: .user, userId: "usr_1", label: "k", secretHash: [1, 2], createdAt: now, createdBy: nil))
        #expect(try await store.deleteUser(accountId: "acc_a", id: "usr_1", at: now) == ["key_1"])
        #expect(try await store.apiKey(id: "key_1")?.isRevoked == true)
        #expect(try await store.deleteUser(accountId: "acc_a", id: "usr_1", at: now) == nil)
    }
}

@Suite struct LookupSnapshotTests {
    /// Lookup connections keep their read snapshot between lookups; a write
    /// acknowledged before a lookup starts must still be visible to it.
    @Test func lookupsSeeEveryAcknowledgedWriteAtOnce() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteStore(path: directory.appendingPathComponent("db.sqlite").path)
        defer { try? store.close() }
        let now = Date()
        try await store.insertAccount(Account(id: "acc_a", name: "A", region: "DE", createdAt: now))
        func entry(_ id: String, name: String, key: String) -> KeyedEntry {
            let number = EntryNumber(kind: .phone, raw: key, e164: key, display: key, digits: key, lookupKeys: ["e164:\(key)"])
            return KeyedEntry(
                entry: PhonebookEntry(id: id, accountId: "acc_a", source: .manual, displayName: name, numbers: [number], createdAt: now, updatedAt: now),
                sortKey: Array(name.utf8))
        }
        for i in 0..<50 {
            let key = "+4930\(1_000_000 + i)"
            // A miss first, so the connection holds a snapshot from before the insert.
            #expect(try await store.entries(accountId: "acc_a", numberKey: "e164:\(key)").isEmpty)
            try await store.insertEntries([entry("pbe_\(i)", name: "Name \(i)", key: key)])
            #expect(try await store.entries(accountId: "acc_a", numberKey: "e164:\(key)").map(\.id) == ["pbe_\(i)"])
            try await store.updateEntry(entry("pbe_\(i)", name: "Renamed \(i)", key: key))
            #expect(try await store.entries(accountId: "acc_a", numberKey: "e164:\(key)").map(\.displayName) == ["Renamed \(i)"])
            #expect(try await store.deleteEntry(accountId: "acc_a", id: "pbe_\(i)"))
            #expect(try await store.entries(accountId: "acc_a", numberKey: "e164:\(key)").isEmpty)
        }
    }
}

@Suite struct RFC3339Tests {
    @Test(arguments: [0.0, 951_782_400.0, 1_795_556_417.9, -86_401.0, 4_102_444_799.0])
    func matchesFoundationsISO8601(seconds: Double) {
        let date = Date(timeIntervalSince1970: seconds)
        #expect(RFC3339.string(date) == date.formatted(.iso8601))
    }

    /// Caller-ID answers copy a stored timestamp's digits; the text must be the one the
    /// date the store reads from it gives, and anything not in the stored form is declined.
    /// What `phonebook.create` answers from memory and what `phonebook.get` reads back
    /// show the same second: the server's clock gives dates the store keeps as they are.
    @Test func clockDatesShowTheSameSecondOnceStored() throws {
        var generator = SystemRandomNumberGenerator()
        let instants = [1_765_000_005.999_6, 1_765_000_005.999_5, 1_765_000_005.000_4, 951_868_799.999_9]
            + (0..<500).map { _ in Double.random(in: 0..<4_102_444_800, using: &generator) }
        var differedUnrounded = false
        for seconds in instants {
            let raw = Date(timeIntervalSince1970: seconds)
            func readBack(_ date: Date) throws -> Date {
                let stored = try DatabaseQueue().read { db in try String.fetchOne(db, sql: "SELECT ?", arguments: [date])! }
                return try #require(Date.fromDatabaseValue(stored.databaseValue))
            }
            let now = raw.roundedToMilliseconds
            #expect(RFC3339.string(now) == RFC3339.string(try readBack(now)), "\(seconds)")
            #expect(abs(now.timeIntervalSince(try readBack(now))) < 0.000_001, "\(seconds)")
            if RFC3339.string(raw) != RFC3339.string(try readBack(raw)) { differedUnrounded = true }
        }
        // The case this guards against: an unrounded date near a second's end.
        #expect(differedUnrounded)
    }

    @Test func storedTimestampsGiveTheDatesText() throws {
        func viaCopy(_ stored: String) -> String? {
            var stored = stored
            return stored.withUTF8 { RFC3339.text(storedUTC: UnsafeRawBufferPointer($0)) }.map { text in
                text.withUTF8 { String(decoding: $0, as: UTF8.self) }
            }
        }
        var generator = SystemRandomNumberGenerator()
        let dates = [0.0, 951_782_400.5, 951_868_799.999, 951_868_799.999_9, 4_102_444_799.0, 1_795_556_417.25]
            + (0..<500).map { _ in Double.random(in: 0..<4_102_444_800, using: &generator) }
        for seconds in dates {
            let date = Date(timeIntervalSince1970: seconds)
            let stored = try DatabaseQueue().read { db in try String.fetchOne(db, sql: "SELECT ?", arguments: [date])! }
            // The date the store reads back (GRDB rounds to the millisecond when it stores, so
            // xx:05.9996 is stored, and read back, as xx:06.000).
            let readBack = try #require(Date.fromDatabaseValue(stored.databaseValue))
            #expect(viaCopy(stored) == RFC3339.string(readBack), "\(stored)")
        }
        for declined in ["", "2026-12-06", "2026-12-06T08:53:44", "2026-02-30 08:53:44", "2026-13-01 08:53:44",
                         "2025-02-29 00:00:00", "2026-12-06 24:00:00", "2026-12-06 08:60:00", "2026-12-06 08:53:60",
                         "2026-12-06 08:53:44.", "2026-12-06 08:53:44Z", "2026-12-06 08:53:4x", "0000-01-01 00:00:00"] {
            #expect(viaCopy(declined) == nil, "\(declined)")
        }
        #expect(viaCopy("2024-02-29 23:59:59") == "2024-02-29T23:59:59Z")
        #expect(viaCopy("2026-12-06 08:53:44.123") == "2026-12-06T08:53:44Z")
    }
}

@Suite struct PhonebookRowTests {
    @Test func numbersSurviveTheirStoredForm() {
        let numbers = [
            EntryNumber(kind: .phone, raw: "030 1234567", e164: "+49301234567", display: "030 1234567", digits: "0301234567",
                        lookupKeys: ["e164:+49301234567", "national:301234567", "suffix:01234567"]),
            EntryNumber(kind: .other, raw: "ask Zoë ☎", e164: nil, display: "ask Zoë ☎", digits: "", lookupKeys: []),
            EntryNumber(kind: .mobile, raw: "+999 1", e164: nil, display: "+999 1", digits: "9991", lookupKeys: ["digits:9991"]),
        ]
        #expect(PhonebookEntryRow.decodeNumbers(PhonebookEntryRow.encodeNumbers(numbers)) == numbers)
        #expect(PhonebookEntryRow.decodeNumbers("").isEmpty)
    }
}

/// Ranking reads a matching row's numbers only on suffix matches, and only to
/// ask whether one of them was kept as typed.
@Suite struct StoredNumbersTests {
    func keptAsTyped(_ numbers: [EntryNumber]) -> Bool {
        var text = PhonebookEntryRow.encodeNumbers(numbers)
        return text.withUTF8 { PhonebookEntryRow.anyKeptAsTyped(UnsafeRawBufferPointer($0)) }
    }

    @Test func aNumberWithoutE164IsKeptAsTyped() {
        let read = EntryNumber(kind: .phone, raw: "030 1234567", e164: "+49301234567", display: "030 1234567", digits: "0301234567",
                               lookupKeys: ["e164:+49301234567", "national:301234567", "suffix:01234567"])
        let typed = EntryNumber(kind: .fax, raw: "Ärzte \"Nacht\" 12-34", e164: nil, display: "Ärzte \"Nacht\" 12-34", digits: "1234",
                                lookupKeys: ["digits:1234"])
        #expect(!keptAsTyped([]))
        #expect(!keptAsTyped([read]))
        #expect(keptAsTyped([typed]))
        #expect(keptAsTyped([read, typed]))
        #expect(keptAsTyped([typed, read]))
    }
}
