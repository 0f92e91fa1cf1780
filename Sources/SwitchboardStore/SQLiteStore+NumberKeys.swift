import GRDB
import SwitchboardCore

/// Caller-ID number keys: `phonebookNumber` holds one row per (account, key,
/// entry), clustered on the key a lookup asks for (docs/design/number-keys.md).
///
/// A sync's new entries do not insert their keys there one by one: ~4 keys
/// per entry land at random places in a B-tree of millions, so each batch
/// rewrote most of its pages. They are staged in `phonebookNumberStaged`
/// (appended in entry order, with the entry, in the same transaction) and
/// published — inserted in key order, one pass over the index — by
/// `publishStagedNumberKeys()`, which the sync engine calls every
/// `SyncService.entriesPerPublish` new entries, at the end of every run, and
/// at start-up (after a crash). Until then, lookups do not find those entries
/// by number; search, list and get do.
///
/// There is no index by entry (it was as large as the keys and took as many
/// random inserts): an entry's keys are removed by value, from the keys its
/// stored numbers list (`EntryNumber.lookupKeys`, the very keys it was
/// indexed with). Entry sequence numbers are never reused
/// (AUTOINCREMENT), so a key whose entry is gone can never name another.
extension SQLiteStore {
    static func registerNumberKeyMigration(_ migrator: inout DatabaseMigrator) {
        // Foreign keys stay on while it runs (see the entry-answer migrations): the rebuilt table
        // has none, and GRDB's full check afterwards would read every entry.
        migrator.registerMigration("2026-12-06-number-keys-staged", foreignKeyChecks: .immediate) { db in
            try db.execute(sql: """
                CREATE TABLE phonebookNumberNew (
                    accountId TEXT NOT NULL,
                    key TEXT NOT NULL,
                    entrySeq INTEGER NOT NULL,
                    PRIMARY KEY (accountId, key, entrySeq)
                ) WITHOUT ROWID;
                INSERT INTO phonebookNumberNew (accountId, key, entrySeq)
                    SELECT accountId, key, entrySeq FROM phonebookNumber ORDER BY accountId, key, entrySeq;
                DROP TABLE phonebookNumber;
                ALTER TABLE phonebookNumberNew RENAME TO phonebookNumber;
                CREATE TABLE phonebookNumberStaged (
                    entrySeq INTEGER NOT NULL,
                    accountId TEXT NOT NULL,
                    key TEXT NOT NULL,
                    PRIMARY KEY (entrySeq, key)
                ) WITHOUT ROWID;
                CREATE TRIGGER account_numberKeys AFTER DELETE ON account FOR EACH ROW BEGIN
                    DELETE FROM phonebookNumber WHERE accountId = OLD.id;
                    DELETE FROM phonebookNumberStaged WHERE accountId = OLD.id;
                END;
                """)
            // Listing by source: manual entries are few beside synced ones, so only they get
            // an index of their own; a listing of synced entries reads the book's order index
            // and skips the manual ones. (The full index took a random insert per synced row.)
            try db.execute(sql: """
                DROP INDEX phonebookEntry_sourceOrder;
                CREATE INDEX phonebookEntry_manualOrder ON phonebookEntry(accountId, sortKey, id) WHERE source = 'M';
                """)
        }
    }

    /// The entries whose keys one publishing transaction moves, at most (about four keys
    /// each): big enough that the index is walked a few times per million, small enough
    /// that other writers wait a few seconds at most.
    static let entriesPerPublishingTransaction = 200_000

    static let publishingCacheKiB = 16_384

    public func publishStagedNumberKeys() async throws -> Int {
        try await publishStagedNumberKeys(entriesPerTransaction: Self.entriesPerPublishingTransaction)
    }

    func publishStagedNumberKeys(entriesPerTransaction: Int) async throws -> Int {
        var published = 0
        while true {
            let (moved, more) = try await write { db -> (Int, Bool) in
                // The keys are inserted in order, so a small page cache does; SQLite's sorter
                // may use as much memory as the cache is large, and would otherwise add 64 MiB
                // to the peak of a large import.
                try db.execute(sql: "PRAGMA cache_size = -\(Self.publishingCacheKiB)")
                defer { try? db.execute(sql: "PRAGMA cache_size = -\(Self.writerCacheKiB)") }
                // Whole entries, in entry order, up to the limit; the keys go in in key order.
                let last = try Int64.fetchOne(db, sql: """
                    SELECT entrySeq FROM (SELECT DISTINCT entrySeq FROM phonebookNumberStaged ORDER BY entrySeq LIMIT ?)
                    ORDER BY entrySeq DESC LIMIT 1
                    """, arguments: [entriesPerTransaction])
                guard let last else { return (0, false) }
                try db.execute(sql: """
                    INSERT OR IGNORE INTO phonebookNumber (accountId, key, entrySeq)
                    SELECT accountId, key, entrySeq FROM phonebookNumberStaged WHERE entrySeq <= ?
                    ORDER BY accountId, key, entrySeq
                    """, arguments: [last])
                let moved = db.changesCount
                try db.execute(sql: "DELETE FROM phonebookNumberStaged WHERE entrySeq <= ?", arguments: [last])
                let more = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM phonebookNumberStaged)") ?? false
                return (moved, more)
            }
            published += moved
            if !more { return published }
        }
    }

    /// Removes the number keys of a stored entry, published or staged. `numbers`: the
    /// row's stored numbers, which list the keys it was indexed with.
    static func removeNumberKeys(accountId: String, seq: Int64, numbers: String, in db: Database) throws {
        let delete = try db.cachedStatement(sql: "DELETE FROM phonebookNumber WHERE accountId = ? AND key = ? AND entrySeq = ?")
        for key in Set(PhonebookEntryRow.decodeNumbers(numbers).flatMap(\.lookupKeys)) {
            try delete.execute(arguments: [accountId, key, seq])
        }
        try db.cachedStatement(sql: "DELETE FROM phonebookNumberStaged WHERE entrySeq = ?").execute(arguments: [seq])
    }
}
