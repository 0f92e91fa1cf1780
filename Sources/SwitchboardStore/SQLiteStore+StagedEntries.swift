import Foundation
import GRDB
import SwitchboardCore

/// A sync's new entries are written with their row and search rows, and
/// *staged* for the two indexes that would otherwise take random inserts all
/// over a B-tree of millions of rows, batch after batch: their caller-ID
/// number keys (`phonebookNumber`, ~4 per entry) and their place in the
/// book's alphabetical order (`phonebookOrder`). Keys are appended to
/// `phonebookNumberStaged`, the entry to `phonebookOrderStaged` (both in entry
/// order, so appends stay at their end), in the same transaction as the entry.
/// `publishStagedEntries()` then inserts them in key order — one pass along
/// each index — which the sync engine does every `SyncService.entriesPerPublish`
/// new entries, at the end of every run and at start-up (after a crash). Until
/// then, lookups do not find those entries by number and `phonebook.list`
/// does not show them; get and search do. See docs/design/staged-entries.md.
///
/// Neither index is indexed by entry: an entry's keys are removed by value,
/// from the keys its stored numbers list (`EntryNumber.lookupKeys`, the very
/// keys it was indexed with), its order row by its (account, sort key, id).
/// Entry sequence numbers are never reused (AUTOINCREMENT), so an index row
/// whose entry is gone can never name another.
extension SQLiteStore {
    static func registerStagedEntryMigrations(_ migrator: inout DatabaseMigrator) {
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
        migrator.registerMigration("2026-12-06-entry-order-staged", foreignKeyChecks: .immediate) { db in
            // The book's order moves from an index of the entry table to a table of its own,
            // so that a sync can stage it. Filled in order from the index it replaces.
            try db.execute(sql: """
                CREATE TABLE phonebookOrder (
                    accountId TEXT NOT NULL,
                    sortKey BLOB NOT NULL,
                    id TEXT NOT NULL,
                    entrySeq INTEGER NOT NULL,
                    PRIMARY KEY (accountId, sortKey, id)
                ) WITHOUT ROWID;
                INSERT INTO phonebookOrder (accountId, sortKey, id, entrySeq)
                    SELECT accountId, sortKey, id, seq FROM phonebookEntry INDEXED BY phonebookEntry_order ORDER BY accountId, sortKey, id;
                DROP INDEX phonebookEntry_order;
                CREATE TABLE phonebookOrderStaged (entrySeq INTEGER PRIMARY KEY);
                DROP TRIGGER account_numberKeys;
                CREATE TRIGGER account_phonebookIndexes AFTER DELETE ON account FOR EACH ROW BEGIN
                    DELETE FROM phonebookNumber WHERE accountId = OLD.id;
                    DELETE FROM phonebookNumberStaged WHERE accountId = OLD.id;
                    DELETE FROM phonebookOrder WHERE accountId = OLD.id;
                END;
                """)
        }
        migrator.registerMigration("2026-12-06-staged-keys-in-key-order", foreignKeyChecks: .immediate) { db in
            // The staged keys' columns declared in their primary key's order. SQLite 3.40.0 to
            // 3.41.0 (Debian 12 ships 3.40.1) report false "NULL value in …" errors from
            // `PRAGMA integrity_check` and `quick_check` for a WITHOUT ROWID table whose
            // primary key is declared in another order than its columns: an operator checking
            // a data directory would have been told it was corrupt. The trigger that names the
            // table is dropped first (a rename checks every trigger against the schema) and made
            // again, now also removing the staged order rows of the account's entries, which
            // the account's removal deleted (before, the next publishing dropped them).
            try db.execute(sql: """
                DROP TRIGGER account_phonebookIndexes;
                CREATE TABLE phonebookNumberStagedNew (
                    entrySeq INTEGER NOT NULL,
                    key TEXT NOT NULL,
                    accountId TEXT NOT NULL,
                    PRIMARY KEY (entrySeq, key)
                ) WITHOUT ROWID;
                INSERT INTO phonebookNumberStagedNew (entrySeq, key, accountId) SELECT entrySeq, key, accountId FROM phonebookNumberStaged;
                DROP TABLE phonebookNumberStaged;
                ALTER TABLE phonebookNumberStagedNew RENAME TO phonebookNumberStaged;
                CREATE TRIGGER account_phonebookIndexes AFTER DELETE ON account FOR EACH ROW BEGIN
                    DELETE FROM phonebookNumber WHERE accountId = OLD.id;
                    DELETE FROM phonebookNumberStaged WHERE accountId = OLD.id;
                    DELETE FROM phonebookOrder WHERE accountId = OLD.id;
                    DELETE FROM phonebookOrderStaged WHERE NOT EXISTS (SELECT 1 FROM phonebookEntry WHERE seq = entrySeq);
                END;
                """)
        }
    }

    /// The entries whose keys one publishing transaction moves, at most (about four keys
    /// each): big enough that the index is walked a few times per million, small enough
    /// that other writers wait a few seconds at most.
    static let entriesPerPublishingTransaction = 200_000

    static let publishingCacheKiB = 16_384

    public func publishStagedEntries() async throws -> Int {
        try await publishStagedEntries(entriesPerTransaction: Self.entriesPerPublishingTransaction)
    }

    func publishStagedEntries(entriesPerTransaction: Int) async throws -> Int {
        // Most runs stage nothing (an unchanged source, a few updates): asked on a reader,
        // so they take no turn of the writer and end no lookup snapshots.
        guard try await writer.read({ db in try Self.hasStagedRows(db) }) else { return 0 }
        var published = 0
        while true {
            let (entries, more) = try await write { db -> (Int, Bool) in
                // The rows are inserted in order, so a small page cache does; SQLite's sorter
                // may use as much memory as the cache is large, and would otherwise add 64 MiB
                // to the peak of a large import.
                try db.execute(sql: "PRAGMA cache_size = -\(Self.publishingCacheKiB)")
                defer { try? db.execute(sql: "PRAGMA cache_size = -\(Self.writerCacheKiB)") }
                // Whole entries, in entry order, up to the limit.
                guard let last = try Int64.fetchOne(db, sql: """
                    SELECT max(entrySeq) FROM (
                        SELECT entrySeq FROM phonebookOrderStaged UNION SELECT entrySeq FROM phonebookNumberStaged
                        ORDER BY entrySeq LIMIT ?)
                    """, arguments: [entriesPerTransaction])
                else { return (0, false) }
                let entries = try Int.fetchOne(db, sql: "SELECT count(*) FROM phonebookOrderStaged WHERE entrySeq <= ?", arguments: [last]) ?? 0
                // Each index in its own key order: one pass along it.
                try db.execute(sql: """
                    INSERT OR IGNORE INTO phonebookNumber (accountId, key, entrySeq)
                    SELECT accountId, key, entrySeq FROM phonebookNumberStaged WHERE entrySeq <= ? ORDER BY accountId, key, entrySeq
                    """, arguments: [last])
                try db.execute(sql: "DELETE FROM phonebookNumberStaged WHERE entrySeq <= ?", arguments: [last])
                try db.execute(sql: """
                    INSERT OR IGNORE INTO phonebookOrder (accountId, sortKey, id, entrySeq)
                    SELECT e.accountId, e.sortKey, e.id, e.seq FROM phonebookOrderStaged s CROSS JOIN phonebookEntry e
                    WHERE s.entrySeq <= ? AND e.seq = s.entrySeq ORDER BY e.accountId, e.sortKey, e.id
                    """, arguments: [last])
                try db.execute(sql: "DELETE FROM phonebookOrderStaged WHERE entrySeq <= ?", arguments: [last])
                return (entries, try Self.hasStagedRows(db))
            }
            published += entries
            if !more { return published }
        }
    }

    static func hasStagedRows(_ db: Database) throws -> Bool {
        try Bool.fetchOne(db, sql: """
            SELECT EXISTS (SELECT 1 FROM phonebookOrderStaged) OR EXISTS (SELECT 1 FROM phonebookNumberStaged)
            """) ?? false
    }

    /// Moves a renamed entry to its new place in the order, if it has one: a staged entry is
    /// placed when it is published, with the sort key its row has then.
    static func moveOrder(accountId: String, seq: Int64, id: String, from oldSortKey: Data, to newSortKey: Data, in db: Database) throws {
        guard oldSortKey != newSortKey, try removePublishedOrder(accountId: accountId, sortKey: oldSortKey, id: id, in: db) else { return }
        try db.cachedStatement(sql: "INSERT INTO phonebookOrder (accountId, sortKey, id, entrySeq) VALUES (?, ?, ?, ?)")
            .execute(arguments: [accountId, newSortKey, id, seq])
    }

    /// Deletes a published order row; false when there was none.
    private static func removePublishedOrder(accountId: String, sortKey: Data, id: String, in db: Database) throws -> Bool {
        try db.cachedStatement(sql: "DELETE FROM phonebookOrder WHERE accountId = ? AND sortKey = ? AND id = ?")
            .execute(arguments: [accountId, sortKey, id])
        return db.changesCount > 0
    }

    /// Removes the number keys of stored entries, published or staged. `numbers`: each row's
    /// stored numbers, which list the keys it was indexed with. The published keys go in key
    /// order, so a large removal touches each page of the index once.
    static func removeNumberKeys(accountId: String, of entries: [(seq: Int64, numbers: String)], in db: Database) throws {
        var keys: [(key: String, seq: Int64)] = []
        for entry in entries {
            for key in EntryIndexTexts.keys(of: PhonebookEntryRow.decodeNumbers(entry.numbers)) { keys.append((key, entry.seq)) }
        }
        // Keys are ASCII, where String's order is the index's byte order.
        keys.sort { $0.key != $1.key ? $0.key < $1.key : $0.seq < $1.seq }
        let delete = try db.cachedStatement(sql: "DELETE FROM phonebookNumber WHERE accountId = ? AND key = ? AND entrySeq = ?")
        for (key, seq) in keys { try delete.execute(arguments: [accountId, key, seq]) }
        let staged = try db.cachedStatement(sql: "DELETE FROM phonebookNumberStaged WHERE entrySeq = ?")
        for entry in entries { try staged.execute(arguments: [entry.seq]) }
    }
}

extension SQLiteStore {
    /// The entries one removal transaction deletes, at most: few commits for a cancelled
    /// interface's million entries (each commit rewrites the key pages it touched), and a
    /// few seconds of the writer at most between other writers' turns.
    static let entriesPerRemovalTransaction = 50_000

    /// Deletes stored rows of the account (`seqs` in ascending order), their index rows and
    /// forwarding to them; returns how many there were. Each index is walked in its own
    /// order: the entries' number keys sorted by key, their order rows by sort key, the
    /// rest by row number, so a large removal touches each page once rather than a page per
    /// row (a million unseen entries took 7 minutes one by one).
    static func removeEntries(accountId: String, seqs: [Int64], in db: Database) throws -> Int {
        var found: [(seq: Int64, id: String)] = []
        var numbers: [(seq: Int64, numbers: String)] = []
        var order: [(sortKey: Data, id: String)] = []
        let select = try db.cachedStatement(sql: "SELECT id, numbers, sortKey FROM phonebookEntry WHERE seq = ? AND accountId = ?")
        for seq in seqs {
            guard let row = try Row.fetchOne(select, arguments: [seq, accountId]) else { continue }
            let id: String = row[0]
            found.append((seq, id))
            numbers.append((seq, row[1]))
            order.append((row[2], id))
        }
        guard !found.isEmpty else { return 0 }

        try removeNumberKeys(accountId: accountId, of: numbers, in: db)
        order.sort { a, b in
            let byKey = Self.compareBytes(a.sortKey, b.sortKey)
            return byKey != 0 ? byKey < 0 : a.id < b.id
        }
        for (sortKey, id) in order { _ = try removePublishedOrder(accountId: accountId, sortKey: sortKey, id: id, in: db) }

        // Forwarding targets are few: asked once, not once per entry (the column has no index).
        let targets = Set(try String.fetchAll(db, sql: """
            SELECT DISTINCT forwardingEntryId FROM user WHERE accountId = ? AND forwardingEntryId IS NOT NULL
            """, arguments: [accountId]))
        if !targets.isEmpty {
            let unforward = try db.cachedStatement(sql: "UPDATE user SET forwardingEntryId = NULL WHERE accountId = ? AND forwardingEntryId = ?")
            for entry in found where targets.contains(entry.id) { try unforward.execute(arguments: [accountId, entry.id]) }
        }
        let byRow = try ["DELETE FROM phonebookOrderStaged WHERE entrySeq = ?",
                         "DELETE FROM phonebookWords WHERE rowid = ?", "DELETE FROM phonebookDigits WHERE rowid = ?",
                         "DELETE FROM phonebookEntry WHERE seq = ?"].map { try db.cachedStatement(sql: $0) }
        for statement in byRow {
            for entry in found { try statement.execute(arguments: [entry.seq]) }
        }
        return found.count
    }

    /// Blobs in SQLite's order for them (memcmp, then the shorter first); generic `Data`
    /// comparison was a quarter of a million-entry removal.
    static func compareBytes(_ a: Data, _ b: Data) -> Int32 {
        let common = min(a.count, b.count)
        if common > 0 {
            let c = a.withUnsafeBytes { x in b.withUnsafeBytes { y in memcmp(x.baseAddress!, y.baseAddress!, common) } }
            if c != 0 { return c }
        }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }
}
